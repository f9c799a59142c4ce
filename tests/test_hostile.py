"""Hostile subscribers, with the real servers: a peer that speaks ZeroMQ's wire protocol (ZMTP)
by hand over a plain TCP socket and sends what no real subscriber would: one enormous
subscription, or tens of thousands of them, again and again. No key is needed for that without
--curve. The servers must stay small, keep publishing to everyone else, and stop on Ctrl+C.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Callable

import pytest

from conftest import NUMBERS, VIDEO, start_server
from test_faults import rss_mb

SECONDS = 3.0  # how long each flood lasts: the measuring window for the other clients' rate


def frame(body: bytes, *, command: bool = False) -> bytes:
    """One ZMTP frame: flags, size (1 byte, or 8 for a long frame), body."""
    flags = 0x04 if command else 0x00
    if len(body) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def greeting(minor: int) -> bytes:
    """The 64-byte ZMTP 3.x greeting of a client with the NULL mechanism (no security)."""
    return b"\xff" + bytes(8) + b"\x7f" + bytes([3, minor]) + b"NULL".ljust(20, b"\0") + b"\0" + bytes(31)


def subscription(topic: bytes, *, as_command: bool) -> bytes:
    """A SUBSCRIBE: a message starting with 1 (ZMTP 3.0), or a SUBSCRIBE command (ZMTP 3.1)."""
    return frame(b"\x09SUBSCRIBE" + topic, command=True) if as_command else frame(b"\x01" + topic)


class HandMadeSubscriber:
    """A SUB peer written by hand: greeting, READY as a SUB socket, then whatever it is told to send."""

    def __init__(self, port: int, *, minor: int = 0) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=1.0)
        ready = frame(b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 3) + b"SUB", command=True)
        self.socket.sendall(greeting(minor) + ready)

    def send(self, data: bytes) -> None:
        self.socket.sendall(data)

    def close(self) -> None:
        self.socket.close()


class PeakMemory:
    """Samples a process's resident memory (MB) every 20 ms in a thread; the highest it saw."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_mb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb(self.pid))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join(5)
        return self.peak


def flood(
    port: int, batch: Callable[[], bytes], *, minor: int, seconds: float, give_up: Callable[[], bool]
) -> tuple[int, int]:
    """Send batches to the server for `seconds`, connecting again whenever it cuts us off.
    Returns (batches sent in full, connections made). Stops early if `give_up()` says so."""
    sent = connections = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not give_up():
        peer = HandMadeSubscriber(port, minor=minor)
        connections += 1
        try:
            while time.monotonic() < deadline and not give_up():
                peer.send(batch())
                sent += 1
        except OSError:  # cut off (or, for a moment, not read): connect again and go on
            pass
        finally:
            peer.close()
    return sent, connections


def topics(size: int, count: int, *, as_command: bool = False) -> Callable[[], bytes]:
    """A maker of batches of `count` distinct random subscriptions of `size` bytes each."""
    return lambda: b"".join(subscription(os.urandom(size), as_command=as_command) for _ in range(count))


ATTACKS = {  # name: (batch maker, subscriptions per batch, ZMTP minor version)
    "one 50 MB subscription, again and again": (lambda: subscription(b"x" * 50_000_000, as_command=False), 1, 0),
    "1 KB subscriptions": (topics(1000, 100), 100, 0),
    "100-byte subscriptions": (topics(100, 1000), 1000, 0),
    "100-byte SUBSCRIBE commands (ZMTP 3.1)": (topics(100, 1000, as_command=True), 1000, 1),
}


def attack_and_measure(server, port: int, client, attack: str, per_second: float) -> None:
    """Flood `server` as `attack` says while `client` receives; check memory, rate and stopping.
    `client` prints one line per message received (client3.py: per value); `per_second` is the rate
    of lines expected without an attack."""
    batch, per_batch, minor = ATTACKS[attack]
    pid = server.process.pid
    client.expect(r"^\S")
    before = rss_mb(pid)
    memory = PeakMemory(pid)
    lines_before, started = len(client.stdout), time.monotonic()
    sent, connections = flood(
        port, batch, minor=minor, seconds=SECONDS, give_up=lambda: memory.peak - before > 100
    )  # failing anyway: spare the machine
    elapsed = time.monotonic() - started
    rate = (len(client.stdout) - lines_before) / elapsed
    time.sleep(0.5)  # a measuring window: what the server holds once the attacker has gone
    peak, after = memory.stop(), rss_mb(pid)
    print(
        f"{attack}: {sent * per_batch} subscriptions sent over {connections} connections in {elapsed:.1f} s; "
        f"server memory {before:.0f} MB before, {peak:.0f} MB at most, {after:.0f} MB after; "
        f"client got {rate / per_second:.0%} of the normal rate"
    )
    assert peak - before < 50 and after - before < 50
    assert rate > 0.75 * per_second
    assert server.interrupt() == 0  # Ctrl+C still stops it at once
    if per_batch > 1:
        assert sent * per_batch >= 10_000  # the flood really was one
        assert connections > 1  # it was cut off, came back, and was cut off again


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_hostile_subscriber_costs_the_numbers_server_little_and_slows_no_one(run, attack):
    server, address = start_server(run, "--interval", "0.05")  # 20 arrays a second
    client = run(NUMBERS / "client3.py", "--connect", address)  # prints the 6 values of each
    attack_and_measure(server, int(address.rsplit(":", 1)[1]), client, attack, per_second=6 * 20)


@pytest.mark.parametrize("attack", ["one 50 MB subscription, again and again", "100-byte subscriptions"])
def test_a_hostile_subscriber_costs_the_video_server_little_and_slows_no_one(run, attack):
    server = run(
        VIDEO / "server.py",
        "--bind",
        "tcp://127.0.0.1:*",
        "--no-window",
        "--width",
        "160",
        "--height",
        "90",
        "--fps",
        "30",
    )
    address = server.expect(r"Publishing on (\S+) ")[1]
    client = run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames")  # a line a frame
    attack_and_measure(server, int(address.rsplit(":", 1)[1]), client, attack, per_second=30)
