"""Shared test helpers: run the real scripts as subprocesses and read what they print.

Nothing here waits without a time limit: every wait names its timeout, and a script still
running at the end of a test is stopped.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest
import zmq

from netns import Network

ROOT = Path(__file__).resolve().parent.parent
NUMBERS = ROOT / "random_numbers_transmission"
VIDEO = ROOT / "video_transmission"
TIMEOUT = 20.0  # seconds: generous for a loaded 2-core machine; a passing test takes far less
# Set when the project's code is shown Windows' or macOS's standard library (tests/emulation).
AS_SYSTEM = os.environ.get("PUBSUB_DEMO_AS")
UNCOUNTED_LINE = re.compile(r"^\S+\.py: this computer's system does not count the bytes each connection sends")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Where the project's code is shown another system (tests/emulation), what that system lacks
    is not asserted: `only_on(systems)`, and `kernel_counts` (this kernel's byte counts, which a
    view of another system cannot read; those systems' own are parsed in tests/unit)."""
    if not AS_SYSTEM:
        return
    for item in items:
        only_on = item.get_closest_marker("only_on")
        if only_on and AS_SYSTEM not in only_on.args:
            item.add_marker(pytest.mark.skip(reason=f"not on {AS_SYSTEM}: {', '.join(only_on.args)} only"))
        if item.get_closest_marker("kernel_counts"):
            item.add_marker(pytest.mark.skip(reason=f"the code shown {AS_SYSTEM} cannot read this kernel's counts"))


class Script:
    """A script running as a subprocess, its stdout and stderr collected line by line."""

    def __init__(
        self,
        path: Path,
        *args: str,
        log_file: Path | None,
        env: dict[str, str] | None = None,
        prefix: list[str] | None = None,
    ) -> None:
        self.command = [*(prefix or []), sys.executable, str(path), *args] + (
            ["--log-file", str(log_file)] if log_file else []
        )
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.stdout_times: list[float] = []  # when each stdout line arrived (time.monotonic)
        self._new_lines: queue.Queue[tuple[str, str]] = queue.Queue()
        for name, stream, lines in (
            ("stdout", self.process.stdout, self.stdout),
            ("stderr", self.process.stderr, self.stderr),
        ):
            threading.Thread(target=self._collect, args=(name, stream, lines), daemon=True).start()
        self._seen: dict[str, int] = {"stdout": 0, "stderr": 0}

    def _collect(self, name: str, stream: IO[str], lines: list[str]) -> None:
        for line in stream:
            if AS_SYSTEM and name == "stderr" and UNCOUNTED_LINE.search(line):
                continue  # said where the kernel's counts cannot be read: its own test is test_other_systems.py
            if name == "stdout":
                self.stdout_times.append(time.monotonic())
            lines.append(line.rstrip("\n"))
            self._new_lines.put((name, line))
        self._new_lines.put((name, ""))

    def expect(self, pattern: str, *, stream: str = "stdout", timeout: float = TIMEOUT) -> re.Match[str]:
        """Wait for a line of `stream` matching `pattern` (searched), among lines not yet matched."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        lines = self.stdout if stream == "stdout" else self.stderr
        while True:
            while self._seen[stream] < len(lines):
                line = lines[self._seen[stream]]
                self._seen[stream] += 1
                match = regex.search(line)
                if match:
                    return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no line matching {pattern!r} on {stream} within {timeout} s; "
                    f"{stream} so far: {lines[-10:]}; stderr: {self.stderr[-5:]}"
                )
            try:
                self._new_lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                pass

    def skip_seen(self) -> None:
        """From now on, `expect` looks only at lines printed after this call."""
        self._seen = {"stdout": len(self.stdout), "stderr": len(self.stderr)}

    def wait(self, timeout: float = TIMEOUT) -> int:
        """Wait for the script to end by itself; its exit code."""
        code = self.process.wait(timeout)
        self._drain()
        return code

    def interrupt(self, sig: int = signal.SIGINT, timeout: float = TIMEOUT) -> int:
        """Send `sig` (Ctrl+C by default) and wait for the script to end; its exit code."""
        self.process.send_signal(sig)
        return self.wait(timeout)

    def _drain(self) -> None:
        """Give the reader threads a moment to take the last lines after the process ended."""
        deadline = time.monotonic() + 5
        ended = 0
        while ended < 2 and time.monotonic() < deadline:
            try:
                _, line = self._new_lines.get(timeout=0.5)
                ended += line == ""
            except queue.Empty:
                pass

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(TIMEOUT)


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "errors_log.log"


@pytest.fixture
def run(log_file: Path) -> Iterator:
    """run(path, *args) starts a script (logging to the test's own log file, unless log=False;
    `prefix` runs it through another command, such as `ip netns exec HOST`); every script
    started is killed at the end of the test."""
    started: list[Script] = []

    def start(
        path: Path, *args: str, env: dict[str, str] | None = None, log: bool = True, prefix: list[str] | None = None
    ) -> Script:
        script = Script(path, *args, log_file=log_file if log else None, env=env, prefix=prefix)
        started.append(script)
        return script

    yield start
    for script in started:
        script.kill()


@contextlib.contextmanager
def classroom(*names: str) -> Iterator[Network]:
    """A network of Linux namespaces (netns.py) with a host for each of `names`, taken down at the
    end. Without root or iproute2 the test is skipped, but it fails in CI (CI=true), which has them."""
    reason = Network.available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run these tests as root with iproute2 installed")
        pytest.skip(f"{reason}; CI runs these tests")
    network = Network()
    try:
        for name in names:
            network.add(name)
        yield network
    finally:
        network.close()


@pytest.fixture(scope="session")
def desktops() -> Iterator:
    """desktops(width, height): the DISPLAY of a virtual desktop of that size (Xvfb and openbox,
    see xscreen.py), started the first time it is asked for and kept for the other tests. Without
    Xvfb or openbox the test is skipped, but it fails in CI (CI=true), which installs them."""
    from xscreen import start_desktop  # python-xlib: only where a window is looked at

    started: dict[tuple[int, int], str] = {}
    processes = []

    def desktop(width: int, height: int) -> str:
        if (width, height) not in started:
            try:
                new_processes, started[width, height] = start_desktop(width, height)
            except FileNotFoundError as missing:
                if os.environ.get("CI"):
                    pytest.fail(f"{missing} is not installed: CI must install it (apt-get install xvfb openbox)")
                pytest.skip(f"{missing} is not installed (apt-get install xvfb openbox); CI runs these tests")
            processes.extend(new_processes)
        return started[width, height]

    yield desktop
    for process in reversed(processes):
        process.terminate()
        process.wait(TIMEOUT)


SCRIPT_WINDOWS = ("Server", "Client 1", "Client 2", "Wall")  # the windows the scripts open


@pytest.fixture
def screen_of(desktops) -> Iterator:
    """screen_of(width, height): a connection to that desktop, for looking at it (closed at the end)."""
    from xscreen import Screen

    screens = []

    def connect(width: int, height: int) -> tuple[Screen, str]:
        name = desktops(width, height)
        screens.append(Screen(name))
        # The desktop is shared: the windows of the test before must be gone first, or a stale
        # "Client 1" could be taken for this test's (seen twice under load: its picture, not ours).
        deadline = time.monotonic() + TIMEOUT
        while left := [w.title for w in screens[-1].windows() if w.viewable and w.title in SCRIPT_WINDOWS]:
            assert time.monotonic() < deadline, f"windows of an earlier test still on the desktop: {left}"
            time.sleep(0.05)  # polling for them to go, with a deadline
        return screens[-1], name

    yield connect
    for screen in screens:
        screen.close()


@pytest.fixture
def context() -> Iterator[zmq.Context]:
    with zmq.Context() as ctx:
        ctx.linger = 0
        yield ctx


def start_server(run, *args: str) -> tuple[Script, str]:
    """Start the numbers server on a port the system picks; the script and its address."""
    server = run(NUMBERS / "server.py", "--bind", "tcp://127.0.0.1:*", *args)
    address = server.expect(r"Publishing on (\S+);")[1]
    return server, address


@pytest.fixture
def not_zeromq():
    """not_zeromq(answer) starts a NotZeroMQ server; all are closed at the end of the test."""
    from forge import NotZeroMQ

    started: list[NotZeroMQ] = []

    def start(answer: Callable[[socket.socket], None]) -> NotZeroMQ:
        started.append(NotZeroMQ(answer))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> Iterator:
    """One headless chromium for a worker's browser tests (browser.py), started the first time one
    asks for it: a chromium takes seconds to start. It fails the test where chromium is missing."""
    from browser import Browser  # websocket-client: only where a page is looked at

    started = Browser(tmp_path_factory.mktemp("chromium"))
    yield started
    started.close()


@pytest.fixture
def browser(chromium) -> Iterator:
    """The worker's chromium, its page left blank and its window 1280x720 after the test."""
    chromium.size(1280, 720)
    yield chromium
    chromium.open("about:blank")  # the page of a gateway that is gone would ask for it every second
