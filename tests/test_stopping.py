"""Stopping, with the real scripts: Ctrl+C, SIGTERM and SIGHUP are never lost, not even while a
script starts; `demo.py | head` ends everything."""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import select
import signal
import subprocess
import sys
import termios
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support.paths import NUMBERS, ROOT, VIDEO
from support.scripts import TIMEOUT, Script

# With the tests that keep the cores busy, one after another (see pyproject.toml): hundreds of
# scripts started and stopped.
pytestmark = pytest.mark.xdist_group("heavy")

STOP_TIMEOUT = 5.0  # seconds: a stopped script is gone in well under one; a lost signal never ends it
TRIES = 100  # the loss rate this test was written for, 5 and 9 of 200, shows in 100 with odds of 97%
SHARES = 4  # the tries are split into this many tests, which run side by side (pytest-xdist)


def _stop_a_busy_video_server(log_file: Path, sig: int, rng: random.Random) -> str | None:
    """Start a video server sending 1280x720 frames as fast as it can, stop it with `sig`;
    what went wrong, or None."""
    server = Script(
        VIDEO / "server.py",
        "--bind",
        "tcp://127.0.0.1:*",
        "--no-window",
        "--fps",
        "0",
        "--width",
        "1280",
        "--height",
        "720",
        log_file=log_file,
    )
    try:
        server.expect(r"^Publishing on ")
        time.sleep(rng.uniform(0, 0.05))  # a measuring window: the signal lands anywhere in the loop
        try:
            code = server.interrupt(sig, timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return (
                f"{signal.Signals(sig).name} lost: still running after {STOP_TIMEOUT:g} s; stderr {server.stderr[-3:]}"
            )
        if code != 0 or any("Traceback" in line or "Exception ignored" in line for line in server.stderr):
            return f"{signal.Signals(sig).name}: exit code {code}, stderr {server.stderr[-6:]}"
        return None
    finally:
        server.kill()


@pytest.mark.parametrize("share", range(SHARES), ids=lambda share: f"tries {share + 1} of {SHARES}")
def test_ctrl_c_and_sigterm_are_never_lost_on_a_busy_video_server(tmp_path, share):
    """The signal handler's KeyboardInterrupt can land inside pyzmq's clean-up of a zero-copy
    frame, which cannot raise it; a server sending frames as fast as it can is the likeliest
    to be caught there. Every stop must still end it: exit code 0, no traceback. TRIES stops in
    all, SIGINT and SIGTERM mixed, in SHARES tests of TRIES / SHARES each."""
    rng = random.Random(7)
    signals = [signal.SIGINT, signal.SIGTERM] * (TRIES // 2)
    rng.shuffle(signals)
    tries = list(enumerate(signals))[share::SHARES]
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:  # two at a time: half the wait, on two cores
        problems = [
            problem
            for problem in pool.map(
                lambda args: _stop_a_busy_video_server(tmp_path / "errors_log.log", *args),
                [(sig, random.Random(n)) for n, sig in tries],
            )
            if problem
        ]
    print(
        f"{len(problems)} of {len(tries)} stops failed (SIGINT and SIGTERM mixed), "
        f"{time.monotonic() - started:.1f} s for the {len(tries)} tries"
    )
    for problem in problems:
        print(problem)
    assert problems == []


def _loading(pid: int, library: str) -> bool:
    """True once the process has loaded a shared library whose path contains `library`."""
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # ended already
        return True


def _stop_while_starting(path: Path, args: list[str], log_file: Path, when: float | str) -> tuple[str, int, str, bool]:
    """Start a script, send Ctrl+C as soon as it loads the library `when`, or `when` seconds
    after it starts loading numpy (the first library the package loads: Python itself has
    started by then, which on a loaded machine can take longer than 0.1 s, and a Ctrl+C before
    it is Python's own affair); what happened: (when, exit code, stderr, whether it had got as
    far as printing)."""
    process = subprocess.Popen(
        [sys.executable, str(path), *args, "--log-file", str(log_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while (
            not _loading(process.pid, when if isinstance(when, str) else "_multiarray_umath")
            and time.monotonic() < deadline
        ):
            time.sleep(0.001)  # polling for the library, at a fine grain
        if isinstance(when, float):
            time.sleep(when)  # a measuring window: the moment the Ctrl+C comes
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return (
        (f"{when} s after numpy began loading" if isinstance(when, float) else f"while {when} loads"),
        process.returncode,
        err,
        bool(out),
    )


def test_ctrl_c_while_a_script_starts_ends_it_quietly(tmp_path):
    """numpy, zmq and OpenCV take a moment to load: a Ctrl+C then must end the script just as
    quietly as later on. The Ctrl+C comes at set moments, and as each library starts loading."""
    scripts = [
        (NUMBERS / "client1.py", ["--connect", f"ipc://{tmp_path}/nobody.sock"], ["libzmq", "_multiarray_umath"]),
        (
            VIDEO / "server.py",
            ["--bind", "tcp://127.0.0.1:*", "--no-window"],  # two run at once
            ["libzmq", "_multiarray_umath", "cv2"],
        ),
    ]
    runs = [(path, args, when) for path, args, libraries in scripts for when in [*libraries, 0.1, 0.2, 0.3, 0.4, 0.5]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda run: _stop_while_starting(*run[:2], tmp_path / "errors_log.log", run[2]), runs))
    for (path, _, _), (when, code, err, printed) in zip(runs, results):
        print(
            f"{path.parent.name}/{path.name}, Ctrl+C {when}: exit code {code}"
            f"{', after it was up' if printed else ''}{', stderr: ' + err if err else ''}"
        )
    assert [(when, code) for when, code, err, _ in results if code != 0 or "Traceback" in err] == []
    assert not any(printed for when, _, _, printed in results if when.startswith("while"))


@pytest.mark.only_on("linux", "darwin")  # SIGHUP; Windows' closed console: tests/unit/test_signals.py
def test_closing_the_terminal_stops_a_script_cleanly(tmp_path):
    """The script runs in a terminal of its own (a pseudo-terminal), which the test then closes:
    the script gets SIGHUP, and nothing it prints can go anywhere. It stops with exit code 0."""
    bind = ("--bind", "tcp://127.0.0.1:*")
    scripts = [
        (NUMBERS / "server.py", b"Publishing on", *bind, "--interval", "0.05"),
        (VIDEO / "server.py", b"Publishing on", *bind, "--no-window", "--fps", "30"),
        (VIDEO / "wall.py", b"Receiving on", *bind, "--no-window"),
        (VIDEO / "camera.py", b"connecting to", "--connect", f"ipc://{tmp_path}/wall.sock"),
    ]
    for path, up, *args in scripts:
        terminal, script_side = os.openpty()
        process = subprocess.Popen(
            [
                sys.executable,
                str(path),
                *args,
                "--log-file",
                str(tmp_path / "errors_log.log"),
            ],
            stdin=script_side,
            stdout=script_side,
            stderr=script_side,
            start_new_session=True,
            preexec_fn=_take_the_terminal,
        )
        os.close(script_side)
        try:
            try:
                shown = _read_until(terminal, up)
            finally:
                os.close(terminal)  # the terminal window closes
            code = process.wait(TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT)
        print(f"{path.parent.name}/{path.name}: exit code {code} after its terminal closed")
        assert up in shown
        assert code == 0
    assert " - ERROR - " not in (tmp_path / "errors_log.log").read_text()


def _take_the_terminal() -> None:
    """In the child, before the script starts: make its stdin (a pseudo-terminal) the
    controlling terminal of its new session, as a terminal window does for its shell."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _read_until(fd: int, text: bytes, timeout: float = TIMEOUT) -> bytes:
    """Read from `fd` until `text` appears or `timeout` seconds passed; what was read."""
    shown = b""
    deadline = time.monotonic() + timeout
    while text not in shown and time.monotonic() < deadline:
        if select.select([fd], [], [], deadline - time.monotonic())[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: the other side has gone
                break
            if not chunk:
                break
            shown += chunk
    return shown


def start_demo(address: str, log_file: Path, **streams: object) -> subprocess.Popen:
    """`demo.py numbers` at `address`, in a process group of its own, as a terminal starts a command."""
    command = [sys.executable, str(ROOT / "demo.py"), "numbers", "--address", address, "--log-file", str(log_file)]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True, **streams)


def _running_with(text: str) -> list[str]:
    """The processes (not yet ended) whose command line holds `text`: their command lines. (The
    demo starts each script in a session of its own, and a script whose demo has ended is
    nobody's child: its command line, which names the demo's address, is what finds it.)"""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # ended meanwhile
            continue
        if text in command and state != "Z":  # a zombie has ended; only its exit code is left
            found.append(command)
    return found


def test_demo_piped_into_head_ends_with_all_its_scripts(tmp_path):
    """`python demo.py numbers | head -3`: the test plays head, reading three lines from the
    demo's stdout (a pipe) and closing it. The demo and its four scripts must be gone within
    5 s, with no traceback (0.3 s on a quiet machine; the bound leaves room for a loaded one,
    where the scripts may still be loading numpy when the pipe closes)."""
    reading_end, writing_end = os.pipe()
    stderr = tmp_path / "stderr.txt"
    address = f"ipc://{tmp_path}/demo.sock"
    with stderr.open("w") as stderr_file:
        demo = start_demo(address, tmp_path / "errors_log.log", stdout=writing_end, stderr=stderr_file)
    os.close(writing_end)
    try:
        lines = b""
        deadline = time.monotonic() + TIMEOUT
        while lines.count(b"\n") < 3 and time.monotonic() < deadline:
            if select.select([reading_end], [], [], deadline - time.monotonic())[0]:
                lines += os.read(reading_end, 1)  # a byte at a time, as head reads no more than it needs
        # Three lines may come before a busy demo has started its last script: head closes the
        # pipe once all five are up (the test is that they all end then).
        while len(_running_with(address)) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)  # polling for the scripts to start, with a deadline
        started = len(_running_with(address))
    finally:
        os.close(reading_end)  # head has read its three lines and ends
    closed = time.monotonic()
    try:
        assert lines.count(b"\n") == 3, lines
        assert started == 5  # the demo and its four scripts
        while (_running_with(address) or demo.poll() is None) and time.monotonic() < closed + 5:
            time.sleep(0.01)  # polling for the processes to end, at a fine grain
        ended = time.monotonic() - closed
        left = _running_with(address)
    finally:
        for pid in {int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/cmdline") if address in _read(stat)}:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        demo.wait(TIMEOUT)
    print(
        f"demo | head -3: {started} processes, gone {ended:.2f} s after the pipe closed; "
        f"first lines {lines.decode().splitlines()}"
    )
    assert left == []
    assert demo.returncode == 0
    assert stderr.read_text() == ""  # no traceback, and no script that ended badly


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:
        return ""


LOST_AT_START = """
import os, signal, weakref
from pubsub_demo.process import lifetime

lifetime.begin()


class Thing:
    pass


thing = Thing()
# A Ctrl+C that lands in a clean-up that cannot raise, as one did in importlib's while OpenCV loaded:
keep = weakref.ref(thing, lambda _: os.kill(os.getpid(), signal.SIGINT))
del thing
lifetime.run(lambda: print("main ran"))
"""


def test_a_ctrl_c_dropped_while_a_script_starts_still_stops_it(tmp_path):
    """Python drops an exception raised in a clean-up (a weakref's callback, say) and prints it
    as "Exception ignored": a Ctrl+C that lands there, while the libraries load, was lost, and
    the script ran on (seen once in some 200 Ctrl+Cs at start-up, on a loaded machine). It is noted, and the
    script stops before its main() starts: exit code 0, nothing said."""
    done = subprocess.run([sys.executable, "-c", LOST_AT_START], capture_output=True, text=True, timeout=TIMEOUT)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_ctrl_c_at_the_terminal_while_the_demo_starts_its_scripts_ends_all_quietly(tmp_path):
    """Ctrl+C at a terminal goes to every process of its foreground group. The demo's scripts run
    in sessions of their own, so it reaches the demo only, which stops them: even scripts still
    starting Python (which a Ctrl+C there makes print its own traceback) end without a word."""
    for delay in (0.0, 0.1, 0.3):
        address = f"ipc://{tmp_path}/demo-{delay}.sock"
        demo = start_demo(address, tmp_path / "log", stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + TIMEOUT
            while len(_running_with(address)) < 2 and time.monotonic() < deadline:
                time.sleep(0.005)  # polling for the first script to start, at a fine grain
            time.sleep(delay)  # a measuring window: the moment the Ctrl+C comes
            os.killpg(demo.pid, signal.SIGINT)  # Ctrl+C, as the terminal sends it
            output = demo.communicate(timeout=TIMEOUT)[0].decode()
            deadline = time.monotonic() + 5
            while _running_with(address) and time.monotonic() < deadline:
                time.sleep(0.01)  # polling for the scripts to end, with a deadline
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait(TIMEOUT)
        print(f"Ctrl+C {delay} s after the first script started: exit code {demo.returncode}; {output!r}")
        assert demo.returncode == 0 and _running_with(address) == []
        assert "Traceback" not in output and "Fatal Python error" not in output and "exit code" not in output


def run_source(script: Path, source: str) -> subprocess.CompletedProcess[str]:
    """Write `source` (a script that starts as ours do, with lifetime) to `script` and run it."""
    script.write_text(source)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=TIMEOUT)


LOCK_LOSES_THE_STOP = """
from pubsub_demo.process import lifetime

lifetime.begin()

import os
import signal
import threading


def main() -> None:
    lock = threading.Lock()  # what Event.wait's Condition holds, and fails to take back
    try:
        os.kill(os.getpid(), signal.{signal})  # its handler raises KeyboardInterrupt here, or a moment later
        while True:
            pass
    except KeyboardInterrupt:
        lock.release()  # "release unlocked lock": threading's `with` block on its way out


lifetime.run(main)
"""


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_a_stop_that_python_s_threading_turns_into_a_runtime_error_still_ends_the_script_quietly(tmp_path, stop):
    """A stop that lands while a Condition takes its lock back (Event.wait, Thread.start: pyzmq
    starts a thread at a server's first zero-copy send) comes out of threading as RuntimeError
    "release unlocked lock", the KeyboardInterrupt its context: seen once in 100 stops of a busy
    video server. Written here as it happens there, the script must still end with exit code 0."""
    result = run_source(tmp_path / "stops_in_a_lock.py", LOCK_LOSES_THE_STOP.replace("{signal}", stop))
    assert (result.returncode, result.stderr) == (0, "")


def test_a_runtime_error_that_no_stop_caused_is_shown_with_its_traceback(tmp_path):
    source = LOCK_LOSES_THE_STOP.replace("os.kill(os.getpid(), signal.{signal})", "raise KeyboardInterrupt")
    result = run_source(tmp_path / "a_real_error.py", source)
    assert result.returncode == 1 and "RuntimeError: release unlocked lock" in result.stderr


STOP_WHILE_MAKING_A_SOCKET = """
from pubsub_demo.process import lifetime

lifetime.begin()

import os
import signal

import zmq


class Socket(zmq.Socket):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)  # the stop lands here: the socket is not yet its context's
        sum(range(1000))  # bytecodes for the handler to run in


class Context(zmq.Context):
    _socket_class = Socket


def main() -> None:
    with Context() as context, context.socket(zmq.SUB) as subscriber:
        while True:
            lifetime.checkpoint()
            subscriber.poll(10)


lifetime.run(main)
"""


def test_a_stop_while_pyzmq_makes_a_socket_ends_the_script_at_once(tmp_path):
    """A KeyboardInterrupt inside Context.socket would leave the new socket open, unknown to the
    context and held by the traceback: closing the context would then wait for it until the
    clean-up's grace (10 s) was over, and demo.py would have killed the script by then (seen
    under load: `demo.py | head`'s scripts not gone within 5 s). The stop waits for the next
    checkpoint instead."""
    started = time.monotonic()
    result = run_source(tmp_path / "stop_while_making_a_socket.py", STOP_WHILE_MAKING_A_SOCKET)
    took = time.monotonic() - started
    print(f"stopped while making a socket: exit code {result.returncode} after {took:.2f} s; {result.stderr!r}")
    assert (result.returncode, result.stderr) == (0, "")
    assert took < 5  # not the clean-up's grace of 10 s: 0.2 s here


CTRL_C_SHOWN_AND_GONE_ON = """
from pubsub_demo.process import lifetime

lifetime.begin()

import os
import signal
import sys


def library_code() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C, while a library loads
    sum(range(1000))  # bytecodes for the handler to run in


try:
    library_code()
except KeyboardInterrupt as interrupt:  # what a caller in C that shows an error and goes on does
    sys.excepthook(KeyboardInterrupt, interrupt, interrupt.__traceback__.tb_next)


def main() -> None:
    raise AssertionError("main() ran after a Ctrl+C at start-up")


lifetime.run(main)
"""


def test_a_ctrl_c_at_start_up_that_a_library_shows_and_goes_on_from_ends_the_script_quietly(tmp_path):
    """Seen once in a full run: a Ctrl+C while importlib waited for a module's lock was shown as
    a traceback by a caller that then went on (the script ended with exit code 0, the traceback
    on its stderr). Written here as such a caller does it: nothing shown, main() never runs."""
    result = run_source(tmp_path / "ctrl_c_shown.py", CTRL_C_SHOWN_AND_GONE_ON)
    assert (result.returncode, result.stderr) == (0, "")
