"""Benchmark: students straight to a teacher on a slow link, against students behind a relay.

On Linux network namespaces (as the classroom tests make them, see tests/support/namespaces.py): a teacher's
host whose link sends at most 20 Mbit/s (`tc qdisc … tbf rate 20mbit burst 32kbit latency
50ms`, as a Wi-Fi laptop might), a relay's host and 10 students' hosts, all on one switch. The
teacher runs the video server (the test pattern, 640x360, JPEG quality 80, 30 frames/s: some
13.5 kB a frame, 3.2 Mbit/s a copy); each student runs video_transmission/client1.py.

Two rows, one after the other: the students connected straight to the teacher, then to the
relay (relay.py on its own host, connected to the teacher). For each: the frames per second
each student got, how old the frames were when shown (latency, send to show, all hosts sharing
this machine's clock), and the bytes the teacher's link sent, from the interface's own
counters. Last, how many times more bytes the teacher's link carried without the relay.

Needs root and iproute2 (`ip`, `tc`). Run: sudo python benchmarks/relay_fanout.py [--students 10] [--seconds 10]
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from support.namespaces import Host, Network  # noqa: E402  (the classroom tests' namespaces)

FRAME_LINE = re.compile(r"^frame (\d+): .* latency ([\d.]+) ms")
START_TIMEOUT = 60.0  # seconds for a script to start: 12 Pythons starting at once on 2 cores take a while


class Script:
    """A script running on a host (a namespace), each line of its stdout kept with when it came."""

    def __init__(self, host: Host, script: Path, *args: str, log_file: Path) -> None:
        command = host.command(sys.executable, str(script), *args, "--log-file", str(log_file))
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, cwd=ROOT
        )
        self.lines: list[tuple[float, str]] = []
        self.errors: list[str] = []
        self._new = threading.Condition()
        threading.Thread(target=self._collect, daemon=True).start()
        threading.Thread(target=lambda: self.errors.extend(self.process.stderr), daemon=True).start()

    def _collect(self) -> None:
        for line in self.process.stdout:
            with self._new:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._new.notify_all()

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match[str]:
        """The first line matching `pattern` (searched), waiting up to `timeout` s for it."""
        regex, seen = re.compile(pattern), 0
        deadline = time.monotonic() + timeout
        with self._new:
            while True:
                for _, line in self.lines[seen:]:
                    if match := regex.search(line):
                        return match
                seen = len(self.lines)
                if not self._new.wait(max(0.0, deadline - time.monotonic())):
                    raise RuntimeError(f"no line matching {pattern!r} within {timeout} s; stderr: {self.errors[-3:]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@dataclass
class Row:
    """What one arrangement gave, over the measuring window."""

    rates: list[float]  # frames per second, each student
    latencies: list[float]  # ms, every frame every student showed
    worst: list[float]  # ms, each student's 95th percentile
    sent: int  # bytes the teacher's link sent
    seconds: float
    relay_line: str = ""
    relay_cpu: float = 0.0  # share of one core the relay used


def tx_bytes(host: Host) -> int:
    """Bytes sent so far by the host's link, from the interface's counters."""
    shown = subprocess.run(
        ["ip", "-n", host.namespace, "-j", "-s", "link", "show", "dev", host.link],
        check=True,
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    return json.loads(shown)[0]["stats64"]["tx"]["bytes"]


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (`ip netns exec` became the script: same process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(network: Network, students: list[Host], args: argparse.Namespace, *, relay: bool, log: Path) -> Row:
    """Run the server, the relay if `relay`, and the students; measure for args.seconds."""
    teacher = network.hosts["teacher"]
    scripts = []
    try:
        server = Script(
            teacher,
            ROOT / "video_transmission" / "server.py",
            "--share",
            "--no-window",
            "--jpeg",
            str(args.jpeg),
            "--fps",
            str(args.fps),
            log_file=log,
        )
        scripts.append(server)
        port = server.wait_for(r"^Publishing on tcp://\S+:(\d+) ")[1]
        address = f"tcp://{teacher.address}:{port}"
        if relay:
            room = network.hosts["relay"]
            relaying = Script(room, ROOT / "relay.py", "--connect", address, "--share", log_file=log)
            scripts.append(relaying)
            relaying.wait_for(r"^Publishing on ")
            address = f"tcp://{room.address}:{port}"
        clients = [
            Script(
                host,
                ROOT / "video_transmission" / "client1.py",
                "--connect",
                address,
                "--no-window",
                "--print-frames",
                log_file=log,
            )
            for host in students
        ]
        scripts += clients
        for client in clients:
            client.wait_for(r"^frame \d")
        time.sleep(args.warmup)  # a measuring window's lead-in: queues and TCP windows settle
        cpu_before = cpu_seconds(relaying.process.pid) if relay else 0.0
        sent_before, started = tx_bytes(teacher), time.monotonic()
        time.sleep(args.seconds)  # the measuring window
        sent_after, ended = tx_bytes(teacher), time.monotonic()
        relay_cpu = (cpu_seconds(relaying.process.pid) - cpu_before) / (ended - started) if relay else 0.0
    finally:
        for script in reversed(scripts):  # the students first: none of them sees its server go
            script.stop()
    rates, latencies, worst = [], [], []
    for client in clients:
        shown = [
            float(match[2])
            for moment, line in client.lines
            if started <= moment < ended and (match := FRAME_LINE.match(line))
        ]
        rates.append(len(shown) / (ended - started))
        latencies += shown
        worst.append(percentile(shown, 0.95) if shown else float("nan"))
    relay_line = (
        next((line for moment, line in reversed(relaying.lines) if moment < ended and line.startswith("Relay:")), "")
        if relay
        else ""
    )
    return Row(rates, latencies, worst, sent_after - sent_before, ended - started, relay_line, relay_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=10, help="students' hosts (default 10)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window of each row (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before it, once all receive (default 3)")
    parser.add_argument("--rate", default="20mbit", help="the teacher's link, as tc writes it (default 20mbit)")
    parser.add_argument("--fps", type=float, default=30.0, help="frames per second sent (default 30)")
    parser.add_argument("--jpeg", type=int, default=80, help="JPEG quality (default 80)")
    parser.add_argument("--rows", default="straight,relay", help="which rows, in order (default straight,relay)")
    args = parser.parse_args()
    reason = Network.available()
    if reason:
        sys.exit(f"relay_fanout.py: {reason}")
    network = Network()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"relay_fanout_{os.getpid()}.log"
    rows: dict[str, Row] = {}
    try:
        teacher = network.add("teacher")
        network.add("relay")
        students = [network.add(f"student{n}") for n in range(1, args.students + 1)]
        subprocess.run(
            [
                *teacher.command(
                    "tc",
                    "qdisc",
                    "add",
                    "dev",
                    teacher.link,
                    "root",
                    "tbf",
                    "rate",
                    args.rate,
                    "burst",
                    "32kbit",
                    "latency",
                    "50ms",
                )
            ],
            check=True,
            timeout=10,
        )
        for name in args.rows.split(","):
            rows[name] = measure(network, students, args, relay=name == "relay", log=log)
    finally:
        network.close()
    print(
        f"{args.students} students; video 640x360, JPEG {args.jpeg}, {args.fps:g} frames/s; the teacher's link "
        f"{args.rate}; {args.seconds:g} s measured"
    )
    titles = {"straight": "straight to the teacher", "relay": "through a relay"}
    print(f"{'':34}" + "".join(f"{titles[name]:>26}" for name in rows))
    table = [
        ("students' frames/s: min / median", lambda r: f"{min(r.rates):.1f} / {statistics.median(r.rates):.1f}"),
        (
            "latency (ms): median / 95% / max",
            lambda r: (
                f"{statistics.median(r.latencies):.0f} / {percentile(r.latencies, 0.95):.0f} / {max(r.latencies):.0f}"
            ),
        ),
        ("worst student's 95% latency (ms)", lambda r: f"{max(r.worst):.0f}"),
        ("frames shown over 250 ms old", lambda r: f"{sum(age > 250 for age in r.latencies)} of {len(r.latencies)}"),
        ("teacher's link: MB, Mbit/s", lambda r: f"{r.sent / 1e6:.1f}, {8 * r.sent / r.seconds / 1e6:.1f}"),
    ]
    for label, cell in table:
        print(f"{label:34}" + "".join(f"{cell(row):>26}" for row in rows.values()))
    if "relay" in rows:
        print(
            f"the relay's last stats line: {rows['relay'].relay_line}; it used {rows['relay'].relay_cpu:.0%} of a core"
        )
    if {"straight", "relay"} <= rows.keys():
        straight, relayed = (rows[name].sent / rows[name].seconds for name in ("straight", "relay"))
        print(
            f"the teacher's link sent {straight / relayed:.1f}x the bytes straight to "
            f"the teacher that it sent to the relay"
        )


if __name__ == "__main__":
    main()
