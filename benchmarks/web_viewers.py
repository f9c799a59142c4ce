"""Benchmark: browsers watching the video through web.py, beside the usual way (web_usual.py: a
thread per viewer writing every frame, as the common Flask and WebGear MJPEG examples do), in the
same run, from the same video server.

Three scenes, each measured on one gateway after the other:
  1. `--viewers` (30) viewers of 1280x720 JPEG quality 80 at 30 frames/s;
  2. the same, and one viewer on a slow link (a phone on a busy Wi-Fi): on a computer of its own,
     a Linux network namespace (tests/support/namespaces.py), whose link from the teacher's sends `--slow-rate`
     (2 Mbit/s: `tc qdisc … tbf rate 2mbit burst 32kbit latency 50ms`, as relay_fanout.py's);
  3. `--many` (100) viewers of 640x360 at 15 frames/s.
A viewer is a connection to /stream.mjpg read as fast as it comes (viewers.py's processes, two of
them): for each, the frames per second it got and how old each frame was when it had arrived whole
(now minus the server's send time, X-Sent: one clock, one computer). And the CPU the gateway took.
The server, the gateways and the viewers but the slow one run on the teacher's namespace, and
reach each other over its loopback. Scene 2 needs root and iproute2 (without them, it is left out).

Run: sudo python benchmarks/web_viewers.py [--seconds 10] [--viewers 30] [--many 100]
     (--smoke: a second of each scene, few viewers, small frames: that it runs, not what it measures)
"""

from __future__ import annotations

import argparse
import json
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
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))
from support.namespaces import Network  # noqa: E402  (the classroom tests' namespaces)

START_TIMEOUT = 60.0  # seconds: Pythons starting on a busy 2-core machine


class Process:
    """A script as a subprocess, its stdout lines kept."""

    def __init__(self, *command: str, on: list[str] | None = None) -> None:
        self.popen = subprocess.Popen(  # `on`: the command that runs it on another host (ip netns exec)
            [*(on or []), sys.executable, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
        )
        self.name = Path(command[0]).name
        self.lines: list[str] = []
        output = self.popen.stdout
        assert output is not None
        threading.Thread(target=lambda: self.lines.extend(line.rstrip("\n") for line in output), daemon=True).start()

    def wait_for(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            if self.popen.poll() is not None:
                break
            time.sleep(0.1)  # polling its output, with a deadline
        raise RuntimeError(f"{self.name} did not print {pattern!r}: {self.lines[-5:]}")

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


def watch(url: str, viewers: int, seconds: float, warm_up: float, on: list[str] | None) -> list[Process]:
    """Viewer processes (viewers.py), two for many viewers: each prints its viewers' figures as JSON."""
    split = [viewers] if viewers < 10 else [viewers // 2, viewers - viewers // 2]
    flags = ["--seconds", f"{seconds:g}", "--warm-up", f"{warm_up:g}"]
    return [Process(str(HERE / "viewers.py"), url, str(count), *flags, on=on) for count in split]


def scene(gateway: Process, port: str, viewers: int, args: argparse.Namespace, hosts: dict, *, slow: bool) -> dict:
    """One scene on one gateway: every viewer's figures, the slow one's apart, the gateway's CPU."""
    url = f"http://127.0.0.1:{port}/stream.mjpg"
    watchers = watch(url, viewers, args.seconds, args.warm_up, hosts.get("teacher"))
    slow_watcher = None
    if slow:  # on the phone's host, across the slow link
        far = f"http://{hosts['teacher address']}:{port}/stream.mjpg"
        slow_watcher = watch(far, 1, args.seconds, args.warm_up, hosts["phone"])[0]
    time.sleep(args.warm_up)  # as the viewers do: the measuring window starts after the warm-up
    cpu, started = gateway.cpu(), time.monotonic()
    time.sleep(args.seconds)  # the measuring window
    cores = (gateway.cpu() - cpu) / (time.monotonic() - started)
    process = psutil.Process(gateway.popen.pid)
    figures: dict = {"viewers": [], "cores": cores, "threads": process.num_threads(), "rss": process.memory_info().rss}
    for watcher in [*watchers, *([slow_watcher] if slow_watcher else [])]:
        watcher.popen.wait(START_TIMEOUT)
        line = next((line for line in watcher.lines if line.startswith("{")), None)
        if line is None:
            raise RuntimeError("a viewer process printed no figures")
        found = json.loads(line)["viewers"]
        if watcher is slow_watcher:
            figures["slow"] = found[0]
        else:
            figures["viewers"] += found
    return figures


def report(name: str, figures: dict) -> str:
    rates = [viewer["fps"] for viewer in figures["viewers"]]
    medians = [viewer["age_median"] for viewer in figures["viewers"] if viewer["age_median"] is not None]
    worst = [viewer["age_worst"] for viewer in figures["viewers"] if viewer["age_worst"] is not None]
    text = (
        f"  {name}: per viewer {min(rates):.1f}-{max(rates):.1f} frames/s (median {statistics.median(rates):.1f}); "
        f"age at the median {statistics.median(medians) if medians else float('nan'):.0f} ms, "
        f"worst {max(worst) if worst else float('nan'):.0f} ms; the gateway {figures['cores']:.2f} of a core, "
        f"{figures['threads']} threads, {figures['rss'] / 1e6:.0f} MB"
    )
    if "slow" in figures:
        slow = figures["slow"]
        text += (
            f"\n  {name}, the slow viewer: {slow['fps']:.1f} frames/s, age at the median "
            f"{slow['age_median'] or float('nan'):.0f} ms, worst {slow['age_worst'] or float('nan'):.0f} ms"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window of each scene (default 10)")
    parser.add_argument("--warm-up", type=float, default=2.0, help="seconds before each window (default 2)")
    parser.add_argument("--viewers", type=int, default=30, help="viewers of scenes 1 and 2 (default 30)")
    parser.add_argument("--many", type=int, default=100, help="viewers of scene 3 (default 100)")
    parser.add_argument("--slow-rate", default="2mbit", help="the slow viewer's link, as tc writes it (default 2mbit)")
    parser.add_argument("--scenes", default="1,2,3", help="which scenes, in order (default 1,2,3)")
    parser.add_argument("--smoke", action="store_true", help="a second of each scene, 3 and 5 viewers, small frames")
    args = parser.parse_args()
    big, small = ("1280", "720"), ("640", "360")
    if args.smoke:
        args.seconds, args.warm_up, args.viewers, args.many, big = 1.0, 0.5, 3, 5, small
    scenes = [
        (f"{args.viewers} viewers, {big[0]}x{big[1]} JPEG 80 at 30 frames/s", big, 30, args.viewers, False),
        (f"{args.viewers} viewers and one on a {args.slow_rate} link", big, 30, args.viewers, True),
        (f"{args.many} viewers, {small[0]}x{small[1]} JPEG 80 at 15 frames/s", small, 15, args.many, False),
    ]
    scenes = [scenes[int(number) - 1] for number in args.scenes.split(",")]
    print(f"{os.cpu_count()} cores; {args.seconds:g} s per scene and gateway, after {args.warm_up:g} s", flush=True)
    reason = Network.available()
    if reason:
        print(f"scene 2 left out: {reason}")
        scenes = [one for one in scenes if not one[4]]
    network = None if reason else Network()
    try:
        hosts = {} if network is None else slow_link(network, args.slow_rate)
        for title, (width, height), fps, viewers, slow in scenes:
            print(title, flush=True)
            run_scene(hosts, width, height, fps, viewers, slow, args)
    finally:
        if network is not None:
            network.close()


def slow_link(network: Network, rate: str) -> dict:
    """The teacher's host and the phone's, the teacher's link sending at most `rate`: how to run a
    command on each (and the teacher's address)."""
    teacher, phone = network.add("teacher"), network.add("phone")
    shaping = ["tc", "qdisc", "add", "dev", teacher.link, "root", "tbf", "rate", rate, "burst", "32kbit"]
    subprocess.run(teacher.command(*shaping, "latency", "50ms"), check=True, timeout=10)
    return {"teacher": teacher.command(), "phone": phone.command(), "teacher address": teacher.address}


def run_scene(hosts: dict, width: str, height: str, fps: int, viewers: int, slow: bool, args) -> None:
    """One scene: the video server, then each gateway in turn with its viewers."""
    teacher = hosts.get("teacher")
    server = Process("video_transmission/server.py", "--bind", "tcp://127.0.0.1:*", "--no-window",
                     "--width", width, "--height", height, "--fps", str(fps), "--jpeg", "80",
                     "--log-file", os.devnull, on=teacher)  # fmt: skip
    address = server.wait_for(r"Publishing on (\S+) ")[1]
    listen = "0.0.0.0:0" if teacher else "127.0.0.1:0"  # on the teacher's host: the phone comes from outside
    try:
        for name, script in (("ours (web.py)", "web.py"), ("the usual way", str(HERE / "web_usual.py"))):
            gateway = Process(script, "--connect", address, "--http", listen, "--log-file", os.devnull, on=teacher)
            try:
                port = gateway.wait_for(r"Serving http://\S+:(\d+)/")[1]
                print(report(name, scene(gateway, port, viewers, args, hosts, slow=slow)), flush=True)
            finally:
                gateway.stop()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
