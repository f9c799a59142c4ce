"""Benchmark: many cameras into one wall (video_transmission/wall.py), beside the plain way.

Cameras are real video_transmission/camera.py processes, each sending its test pattern (640x360,
JPEG quality 80, 15 frames/s by default) to a port on this computer. First our wall takes them,
with its window (on a virtual desktop: Xvfb and openbox); then, on the same port and from the
same cameras, the plain way, as imagezmq's hub does it: one loop that receives every frame,
decodes it whole and shows it (cv2.imshow, a window per camera), with ZeroMQ's default queues.
For each: the frames per second each camera gets on the screen, how old a frame is when shown
(send to show; the cameras and the wall share this computer's clock), and the CPU the wall (or
the hub) takes; and the CPU a camera takes per frame it makes.

Then: 100 cameras at 2 frames/s into the wall, every tile's rate; and a wall that subscribes to
one camera only (--only): the bytes each camera left out sends, from the kernel's own count of
each connection (`ss`).

Run: python benchmarks/wall_fanin.py [--cameras 30] [--seconds 10] [--many 100] [--no-window]
(--no-window: no desktop needed; the wall and the hub then only take the frames, show none.)
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.desktop import start_desktop  # noqa: E402  (the window tests' virtual desktop)

FRAME_LINE = re.compile(r"^frame (\d+) of ([\w.-]+): \S+, latency ([\d.]+) ms$")
START_TIMEOUT = 120.0  # seconds for every camera to join: 100 Pythons starting on 2 cores take a while


class Process:
    """A process whose stdout lines are kept with the time each came (time.monotonic)."""

    def __init__(self, command: list[str], env: dict[str, str] | None = None) -> None:
        self.popen = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
        )
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        for line in self.popen.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\n")))

    def cpu(self) -> float:
        times = psutil.Process(self.popen.pid).cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(10)


def cameras(port: int, count: int, args: argparse.Namespace, fps: float) -> list[Process]:
    size = ["--width", str(args.width), "--height", str(args.height), "--jpeg", str(args.jpeg)]
    return [
        Process([sys.executable, "video_transmission/camera.py", "--connect", f"tcp://127.0.0.1:{port}",
                 "--name", f"cam{k:03}", "--fps", f"{fps:g}", *size, "--log-file", os.devnull])
        for k in range(count)
    ]  # fmt: skip


def wait_for_all(receiver: Process, count: int) -> None:
    """Wait until `receiver` has printed a frame of each of `count` cameras."""
    deadline = time.monotonic() + START_TIMEOUT
    while len({m[2] for _, line in list(receiver.lines) if (m := FRAME_LINE.match(line))}) < count:
        if time.monotonic() > deadline or receiver.popen.poll() is not None:
            raise RuntimeError(f"not every one of {count} cameras reached the receiver")
        time.sleep(0.2)  # polling the receiver's output, with a deadline


def measure(receiver: Process, senders: list[Process], seconds: float, warm_up: float) -> dict:
    """What `receiver` shows of each camera over `seconds`, after `warm_up` seconds, and the CPU
    it and the cameras take."""
    time.sleep(warm_up)  # the warm-up: queues and rates settle
    cpu, camera_cpu, started = receiver.cpu(), sum(s.cpu() for s in senders), time.monotonic()
    time.sleep(seconds)  # the measuring window
    cpu, camera_cpu = receiver.cpu() - cpu, sum(s.cpu() for s in senders) - camera_cpu
    ended = time.monotonic()
    counts: dict[str, int] = {}
    ages: list[float] = []
    for when, line in list(receiver.lines):
        match = FRAME_LINE.match(line)
        if match and started <= when < ended:
            counts[match[2]] = counts.get(match[2], 0) + 1
            ages.append(float(match[3]))
    rates = [counts.get(f"cam{k:03}", 0) / (ended - started) for k in range(len(senders))]
    ages.sort()
    return {
        "rates": rates,
        "age": (statistics.median(ages), ages[int(0.95 * (len(ages) - 1))], ages[-1]) if ages else (0, 0, 0),
        "cores": cpu / (ended - started),
        "camera cores": camera_cpu / (ended - started),
    }


def pattern_costs(args: argparse.Namespace, count: int = 300) -> tuple[float, float]:
    """Milliseconds to draw a camera's test pattern, and to encode it as JPEG, each alone in a loop."""
    from pubsub_demo import wire
    from pubsub_demo.video.test_card import NamedTestCard

    pattern = NamedTestCard("cam000", args.width, args.height, args.fps)
    started = time.perf_counter()
    for _ in range(count):
        frame = pattern.read()
    drawn = time.perf_counter()
    for _ in range(count):
        wire.encode(frame, jpeg_quality=args.jpeg, one_part=True)
    return 1000 * (drawn - started) / count, 1000 * (time.perf_counter() - drawn) / count


def report(name: str, figures: dict) -> str:
    rates, (median, p95, worst) = figures["rates"], figures["age"]
    return (
        f"{name}: per camera {min(rates):.1f}-{max(rates):.1f} frames/s (median {statistics.median(rates):.1f}); "
        f"frames {median:.0f} ms old at the median, {p95:.0f} ms at the 95th percentile, {worst:.0f} ms at worst; "
        f"{figures['cores']:.2f} of a core"
    )


def hub(port: int, window: bool) -> None:
    """The plain way, as imagezmq's hub: receive every frame, decode it whole, show it; one loop."""
    import cv2
    import zmq

    from pubsub_demo import wire

    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        subscriber.bind(f"tcp://127.0.0.1:{port}")
        subscriber.subscribe(b"")
        try:
            while True:
                topic, frame = subscriber.recv_multipart(copy=False)
                message = wire.decode([frame])
                name = bytes(topic)[:-1].decode()
                if window:
                    cv2.imshow(name, message.array)
                    cv2.waitKey(1)
                age = 1000 * (time.time() - message.sent_at)
                size = f"{message.array.shape[1]}x{message.array.shape[0]}"
                print(f"frame {message.seq} of {name}: {size}, latency {age:.1f} ms")
        except KeyboardInterrupt:
            pass


def bytes_sent(port: int) -> dict[int, int]:
    """Each connection to `port` on this computer: its local port, and the bytes its peer acknowledged."""
    output = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True, check=True
    ).stdout
    found, local = {}, None
    for line in output.splitlines():
        if match := re.search(r"127\.0\.0\.1:(\d+)\s+127\.0\.0\.1:" + str(port), line):
            local = int(match[1])
        elif local is not None and (acked := re.search(r"bytes_acked:(\d+)", line)):
            found[local] = int(acked[1])
            local = None
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=30, help="cameras beside the plain way (default 30)")
    parser.add_argument("--fps", type=float, default=15.0, help="their frames a second (default 15)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--jpeg", type=int, default=80)
    parser.add_argument("--seconds", type=float, default=10.0, help="each measuring window (default 10)")
    parser.add_argument("--warm-up", type=float, default=3.0, help="seconds before each window (default 3)")
    parser.add_argument("--many", type=int, default=100, help="cameras at --many-fps into the wall (default 100)")
    parser.add_argument("--many-fps", type=float, default=2.0)
    parser.add_argument("--no-plain", action="store_true", help="skip the plain way")
    parser.add_argument("--no-window", dest="window", action="store_false", help="no desktop: take frames, show none")
    parser.add_argument("--hub", type=int, help=argparse.SUPPRESS)  # the plain way's process, on this port
    args = parser.parse_args()
    if args.hub:
        return hub(args.hub, args.window)

    desktop: list[subprocess.Popen] = []
    env = dict(os.environ)
    if args.window:
        desktop, env["DISPLAY"] = start_desktop(1920, 1080)
    window = [] if args.window else ["--no-window"]
    port = _free_port()
    started = []

    def wall(*extra: str) -> Process:
        command = [sys.executable, "video_transmission/wall.py", "--bind", f"tcp://127.0.0.1:{port}", "--print-frames"]
        started.append(Process([*command, "--max-cameras", "256", *window, *extra, "--log-file", os.devnull], env))
        return started[-1]

    draw, encode = pattern_costs(args)  # first, while the cameras do not run yet
    try:
        print(
            f"{args.cameras} cameras ({args.width}x{args.height}, JPEG {args.jpeg}, {args.fps:g} frames/s) on "
            f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {args.seconds:g} s each",
            flush=True,
        )
        ours = wall()
        senders = cameras(port, args.cameras, args, args.fps)
        started += senders
        wait_for_all(ours, args.cameras)
        figures = measure(ours, senders, args.seconds, args.warm_up)
        print(report("  ours (wall.py)          ", figures), flush=True)
        frames = args.cameras * args.fps
        print(
            f"  a camera's own cost: {1000 * figures['camera cores'] / frames:.2f} ms of CPU per frame "
            f"({args.cameras} cameras: {figures['camera cores']:.2f} of a core); alone, in a loop: drawing "
            f"its pattern {draw:.2f} ms, encoding it {encode:.2f} ms",
            flush=True,
        )
        ours.stop()
        if not args.no_plain:
            plain = Process([sys.executable, __file__, "--hub", str(port), *window], env)
            started.append(plain)
            wait_for_all(plain, args.cameras)
            print(report("  the plain way (one loop)", measure(plain, senders, args.seconds, args.warm_up)), flush=True)
            plain.stop()
        for sender in senders:
            sender.stop()

        print(f"{args.many} cameras at {args.many_fps:g} frames/s, load {os.getloadavg()[0]:.2f}:", flush=True)
        many = wall()
        senders = cameras(port, args.many, args, args.many_fps)
        started += senders
        wait_for_all(many, args.many)
        print(report("  ours (wall.py)          ", measure(many, senders, args.seconds, args.warm_up)), flush=True)
        many.stop()

        only = wall("--only", "cam000")
        deadline = time.monotonic() + START_TIMEOUT
        while len(bytes_sent(port)) < args.many and time.monotonic() < deadline:
            time.sleep(0.2)  # polling the connections, with a deadline: every camera connects again
        time.sleep(args.warm_up)  # the warm-up: every camera has the subscription
        before, started_at = bytes_sent(port), time.monotonic()
        time.sleep(args.seconds)  # the measuring window
        after, elapsed = bytes_sent(port), time.monotonic() - started_at
        rates = sorted((after[local] - before[local]) / elapsed for local in after if local in before)
        print(
            f"  --only cam000: {len(rates)} connections; the {len(rates) - 1} cameras left out send "
            f"{statistics.median(rates[:-1]):.0f} bytes/s at the median, {max(rates[:-1]):.0f} at most; "
            f"cam000 {rates[-1] / 1000:.1f} kB/s",
            flush=True,
        )
        only.stop()
    finally:
        for process in reversed(started):
            process.stop()
        for process in reversed(desktop):
            process.terminate()
            process.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


if __name__ == "__main__":
    main()
