"""A script run as a subprocess, its stdout and stderr read line by line as they come.

Nothing here waits without a time limit: every wait names its timeout.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

TIMEOUT = 20.0  # seconds: generous for a loaded 2-core machine; a passing test takes far less
# Set when the project's code is shown Windows' or macOS's standard library (tests/emulation).
AS_SYSTEM = os.environ.get("PUBSUB_DEMO_AS")
UNCOUNTED_LINE = re.compile(r"^\S+\.py: this computer's system does not count the bytes each connection sends")


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
