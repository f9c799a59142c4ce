"""Benchmark: 1280x720 video frames over PUB/SUB, and what a slow client costs.

1. Frames per second from one process to another over tcp loopback (see harness.py): our raw
   format, the original scripts' send_pyobj, and plain pyzmq bytes sent and received with
   copy=False (the ceiling: no header, no checks). All three use the video scripts' queue of
   2 frames per subscriber.
2. JPEG: size and encode/decode time of a 1280x720 test-pattern frame.
3. A client that handles 2 frames a second, against a 30 frames/s server, for --slow-seconds:
   the original's way (send_pyobj, default queues) against our scripts; how old the frame
   shown last was, and the client's memory.
4. Our client stopped (SIGSTOP) for --stop-seconds: the memory of server and client, and how
   fresh its first frames are when it goes on.

Run: python benchmarks/video_throughput.py [--rounds 3] [--slow-seconds 20] [--stop-seconds 60]
     python benchmarks/video_throughput.py --only slow --slow-seconds 10   (part 3 alone, for a class)
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import zmq

from pubsub_demo import wire
from pubsub_demo.net.transport import receive_parts, send
from pubsub_demo.video import test_card

from harness import Format, compare, median_ratio

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT, FPS = 1280, 720, 30
QUEUE = 2  # the video scripts' queue per subscriber


def send_ours(publisher: zmq.Socket, frame: np.ndarray, seq: int) -> None:
    send(publisher, wire.encode(frame, seq))


def receive_ours(subscriber: zmq.Socket) -> np.ndarray:
    return wire.decode(receive_parts(subscriber)).array


def send_pickle(publisher: zmq.Socket, frame: np.ndarray, seq: int) -> None:
    publisher.send_pyobj(frame)


def receive_pickle(subscriber: zmq.Socket) -> np.ndarray:
    return subscriber.recv_pyobj()


def send_plain(publisher: zmq.Socket, frame: np.ndarray, seq: int) -> None:
    publisher.send(frame, copy=False)


def receive_plain(subscriber: zmq.Socket) -> zmq.Frame:
    return subscriber.recv(copy=False)


def make_frame() -> np.ndarray:
    """A test-pattern frame, as the video server makes them."""
    return test_card.TestCard(WIDTH, HEIGHT).read()


FORMATS = [
    Format("send_pyobj (original)", send_pickle, receive_pickle),
    Format("plain bytes, copy=False", send_plain, receive_plain),
    Format("our raw format", send_ours, receive_ours),
]


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident memory now and at its peak, in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    now, peak = (int(re.search(rf"{key}:\s+(\d+) kB", status)[1]) / 1024 for key in ("VmRSS", "VmHWM"))
    return now, peak


def original_publisher(port_queue, stop) -> None:
    """The original scripts' way: send_pyobj at 30 frames/s, default queue (1000 messages)."""
    source = test_card.TestCard(WIDTH, HEIGHT)
    with zmq.Context() as context, context.socket(zmq.PUB) as publisher:
        publisher.linger = 0
        port_queue.put(publisher.bind_to_random_port("tcp://127.0.0.1"))
        start = time.monotonic()
        for n in range(10**9):
            if stop.is_set():
                return
            publisher.send_pyobj((time.time(), source.read()))
            time.sleep(max(0.0, start + (n + 1) / FPS - time.monotonic()))


def original_slow_client(port: int, seconds: float, results) -> None:
    """recv_pyobj and 0.5 s of work per frame, as a slow original client would."""
    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        subscriber.linger = 0
        subscriber.connect(f"tcp://127.0.0.1:{port}")
        subscriber.subscribe(b"")
        end = time.monotonic() + seconds
        age = 0.0
        while time.monotonic() < end:
            sent_at, frame = subscriber.recv_pyobj()
            age = time.time() - sent_at
            time.sleep(0.5)
        results.put((age, rss_mb(os.getpid())))


def slow_original(seconds: float) -> tuple[float, float]:
    spawn = mp.get_context("spawn")
    ports, results, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    publisher = spawn.Process(target=original_publisher, args=(ports, stop))
    publisher.start()
    client = spawn.Process(target=original_slow_client, args=(ports.get(timeout=30), seconds, results))
    client.start()
    age, (_, peak) = results.get(timeout=seconds + 60)
    stop.set()
    client.join(10)
    publisher.join(10)
    return age, peak


def start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "video_transmission" / script), *args, "--no-window"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def start_server() -> tuple[subprocess.Popen, str]:
    server = start(
        "server.py", "--bind", "tcp://127.0.0.1:*", "--width", str(WIDTH), "--height", str(HEIGHT), "--fps", str(FPS)
    )
    address = re.search(r"Publishing on (\S+) ", server.stdout.readline())[1]
    return server, address


def latencies(client: subprocess.Popen, count: int) -> list[float]:
    """Latency in ms of the next `count` frames the client prints."""
    values = []
    while len(values) < count:
        match = re.search(r"latency ([\d.]+) ms", client.stdout.readline())
        if match:
            values.append(float(match[1]))
    return values


def slow_ours(seconds: float) -> tuple[float, float]:
    server, address = start_server()
    client = start("client1.py", "--connect", address, "--print-frames", "--delay", "0.5")
    end = time.monotonic() + seconds
    last = 0.0
    while time.monotonic() < end:
        last = latencies(client, 1)[0]
    _, peak = rss_mb(client.pid)
    for process in (client, server):
        process.send_signal(signal.SIGINT)
        process.wait(10)
    return last / 1000, peak


def stopped_client(seconds: float) -> tuple[float, float, float, float, list[float]]:
    server, address = start_server()
    client = start("client1.py", "--connect", address, "--print-frames")
    latencies(client, 30)
    server_before = rss_mb(server.pid)[0]
    client.send_signal(signal.SIGSTOP)
    time.sleep(seconds)  # the benchmark's subject: a client that does nothing for this long
    server_after, client_after = rss_mb(server.pid)[0], rss_mb(client.pid)[0]
    client.send_signal(signal.SIGCONT)
    # The output pipe holds lines printed before the stop: skip them, then take fresh ones.
    fresh = latencies(client, 40)[-5:]
    for process in (client, server):
        process.send_signal(signal.SIGINT)
        process.wait(10)
    return server_before, server_after, client_after, max(rss_mb_peak for rss_mb_peak in [client_after]), fresh


PARTS = ("throughput", "jpeg", "slow", "stopped")  # the four parts above, as --only names them


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per format; the median is reported (default 3)")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one throughput measurement (default 2)")
    parser.add_argument("--slow-seconds", type=float, default=20.0, help="how long the slow clients run (default 20)")
    parser.add_argument("--stop-seconds", type=float, default=60.0, help="how long our client is stopped (default 60)")
    parser.add_argument(
        "--only",
        choices=PARTS,
        action="append",
        help="run only this part (may be given more than once; default: all four)",
    )
    args = parser.parse_args()
    parts = args.only or PARTS

    frame = make_frame()
    if "throughput" in parts:
        print(f"1. Throughput, {WIDTH}x{HEIGHT} BGR frames ({frame.nbytes / 1e6:.1f} MB), queue of {QUEUE}:")
        rates = compare(FORMATS, make_frame, rounds=args.rounds, seconds=args.seconds, hwm=QUEUE)
        pickle_rates, ceiling, ours = rates.values()
        for name, values in rates.items():
            print(f"   {name:26} {statistics.median(values):7.0f} frames/s (median of {len(values)})")
        print(
            f"   ours / ceiling:    {median_ratio(ours, ceiling):6.1%}  (target >= 95%; median of the rounds' ratios)"
        )
        print(f"   ours / send_pyobj: {median_ratio(ours, pickle_rates):6.2f}x (target >= 3.5x)")

    if "jpeg" in parts:
        encoded = wire.encode(frame, jpeg_quality=80)
        size = sum(memoryview(part).nbytes for part in encoded)
        encode_ms = min(_timed(lambda: wire.encode(frame, jpeg_quality=80)) for _ in range(20))
        decode_ms = min(_timed(lambda: wire.decode(encoded)) for _ in range(20))
        print(
            f"2. JPEG quality 80: {size / 1000:.0f} kB, {frame.nbytes / size:.0f}x smaller; "
            f"encode {encode_ms:.1f} ms, decode {decode_ms:.1f} ms"
        )

    if "slow" in parts:
        print(f"3. A client handling 2 frames/s against {FPS} frames/s, after {args.slow_seconds:g} s:", flush=True)
        # Each way takes --slow-seconds and then some: say what runs, so that no one waits in silence.
        print(f"   original way: a server and a slow client run for {args.slow_seconds:g} s...", flush=True)
        age, peak = slow_original(args.slow_seconds)
        print(
            f"   original way: showing a frame {age:.1f} s old ({age * FPS:.0f} frames behind); "
            f"client memory peak {peak:.0f} MB",
            flush=True,
        )
        print(f"   our scripts:  a server and a slow client run for {args.slow_seconds:g} s...", flush=True)
        age, peak = slow_ours(args.slow_seconds)
        print(
            f"   our scripts:  showing a frame {age * 1000:.0f} ms old ({age * FPS:.1f} frames behind); "
            f"client memory peak {peak:.0f} MB"
        )

    if "stopped" in parts:
        server_before, server_after, client_after, _, fresh = stopped_client(args.stop_seconds)
        print(
            f"4. Our client stopped for {args.stop_seconds:g} s: server memory {server_before:.0f} -> "
            f"{server_after:.0f} MB, client {client_after:.0f} MB; latency of its frames after it goes on: "
            f"{', '.join(f'{v:.0f}' for v in fresh)} ms"
        )


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return 1000 * (time.perf_counter() - start)


if __name__ == "__main__":
    main()
