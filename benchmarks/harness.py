"""Throughput harness shared by the benchmarks: a publisher and a subscriber in two processes.

The publisher binds a PUB socket on a port the OS picks and sends one message after another
as fast as it can; the subscriber connects, waits for its first message (the slow joiner),
then counts the messages it receives and decodes for a fixed time. The rate is what the
subscriber got, so a format that is slow on either side shows up in it.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zmq

Send = Callable[[zmq.Socket, Any, int], None]
Receive = Callable[[zmq.Socket], Any]


@dataclass
class Format:
    """One way of carrying a message: how to send it and how to receive it."""

    name: str
    send: Send
    receive: Receive


def _publish(fmt: Format, make_payload: Callable[[], Any], hwm: int, ports: Any, stop: Any) -> None:
    payload = make_payload()  # made here: pickling it over to this process could change it (wire.empty)
    with zmq.Context() as context, context.socket(zmq.PUB) as publisher:
        publisher.sndhwm = hwm
        publisher.linger = 0
        ports.put(publisher.bind_to_random_port("tcp://127.0.0.1"))
        seq = 0
        while not stop.is_set():
            for _ in range(100):
                fmt.send(publisher, payload, seq)
                seq += 1


def _subscribe(fmt: Format, port: int, hwm: int, seconds: float, results: Any) -> None:
    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        subscriber.rcvhwm = hwm
        subscriber.linger = 0
        subscriber.connect(f"tcp://127.0.0.1:{port}")
        subscriber.subscribe(b"")
        if not subscriber.poll(10_000):
            results.put(None)
            return
        count, start = 0, time.perf_counter()
        deadline = start + seconds
        while True:
            fmt.receive(subscriber)
            count += 1
            if count % 64 == 0 and time.perf_counter() >= deadline:
                break
        results.put(count / (time.perf_counter() - start))


def rate(fmt: Format, make_payload: Callable[[], Any], *, seconds: float = 2.0, hwm: int = 1000) -> float:
    """Messages per second that `fmt` carries from one process to another over tcp loopback;
    the publisher sends what `make_payload()` (a module-level function) returns, again and again."""
    spawn = mp.get_context("spawn")
    ports, results, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    publisher = spawn.Process(target=_publish, args=(fmt, make_payload, hwm, ports, stop))
    publisher.start()
    port = ports.get(timeout=30)
    subscriber = spawn.Process(target=_subscribe, args=(fmt, port, hwm, seconds, results))
    subscriber.start()
    result = results.get(timeout=seconds + 60)
    stop.set()
    subscriber.join(10)
    publisher.join(10)
    if result is None:
        raise RuntimeError(f"{fmt.name}: the subscriber received nothing")
    return result


def compare(
    formats: list[Format], make_payload: Callable[[], Any], *, rounds: int, seconds: float, hwm: int = 1000
) -> dict[str, list[float]]:
    """The rate of each format in each of `rounds` rounds, the formats taking turns in each round."""
    rates: dict[str, list[float]] = {fmt.name: [] for fmt in formats}
    for _ in range(rounds):
        for fmt in formats:
            rates[fmt.name].append(rate(fmt, make_payload, seconds=seconds, hwm=hwm))
    return rates


def median_ratio(numerators: list[float], denominators: list[float]) -> float:
    """The median of the round-by-round ratios: two formats measured in the same round share
    the machine's mood of the moment, so their ratio is steadier than a ratio of medians."""
    return statistics.median(a / b for a, b in zip(numerators, denominators))
