"""The error log, in the original scripts' format, and how a script ends.

Every script logs warnings and errors to one file (by default errors_log.log at the top of the
project) as `%(process)s - %(asctime)s - %(levelname)s - %(message)s`, with messages such as
`SERVER ERROR: Exception of type ZMQError : Address in use`. The person at the terminal gets the
same news as one plain line on stderr.

The log can neither fill the disk nor stop the script: a flood of one kind of line is written
once and counted (`FloodGate`), and a log file that cannot be written (a full disk, a FIFO that
nothing reads) is said once and then left alone. Ctrl+C, SIGTERM and SIGHUP always stop a
script, with exit code 0 (`run`, `checkpoint`).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Callable, NoReturn, TextIO

LOG_FORMAT = "%(process)s - %(asctime)s - %(levelname)s - %(message)s"
DEFAULT_LOG_FILE = Path(__file__).resolve().parent.parent / "errors_log.log"
FLOOD_WINDOW = 10.0  # seconds: each kind of log line is written once in this time, the rest counted
MAX_KINDS = 100  # kinds of log line tracked at once, so that made-up messages cannot fill the memory
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # Ctrl+C, `kill`, the terminal closed
STOP_GRACE = 10.0  # seconds the clean-up after a stop may take before the script ends without it

_logger = logging.getLogger("pubsub_demo")
_logger.addHandler(logging.NullHandler())
_logger.propagate = False
_role = "SCRIPT"
_stop_signal: int | None = None  # the signal that asked the script to stop, once its handler has run
_stop_arrived = threading.Event()  # set as soon as a stop signal comes, even before its handler runs


class Fatal(Exception):
    """An error the script cannot go on with: `run` logs it, says it on stderr, exits 1.

    It is logged as `ROLE ERROR: …` (with `cause` in the original wording if given), or, with
    `warning`, as the warning `ROLE: warning`, as the original logged a video it could not open.
    """

    def __init__(self, message: str, cause: BaseException | None = None, *, warning: str | None = None) -> None:
        super().__init__(message)
        self.cause = cause
        self.warning = warning


def describe(error: BaseException) -> str:
    """The original scripts' wording: `Exception of type ZMQError : Address in use`."""
    return f"Exception of type {type(error).__name__} : {error}"


def setup(log_file: Path, role: str) -> None:
    """Log warnings and errors of this process to `log_file`; `role` is SERVER or CLIENT.

    A log file that cannot be opened is a Fatal error, except a FIFO that nothing reads: that
    is said on stderr and the script goes on without a log.
    """
    global _role
    _role = role
    try:
        handler = LogFile(log_file)
    except OSError as error:
        if error.errno != errno.ENXIO:
            raise Fatal(f"cannot write the log file {log_file}: {error.strerror}") from error
        say(f"cannot write the log file {log_file}: it is a FIFO that nothing reads; going on without a log")
        return
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    _logger.addHandler(handler)
    _logger.setLevel(logging.WARNING)


class LogFile(logging.StreamHandler):
    """The log file, written so that it never stops the script.

    It is opened without waiting (a FIFO with no reader fails at once instead of hanging) and
    written without waiting (a reader that stops reading cannot block the script). If a line
    cannot be written (the disk is full, the FIFO's reader has gone), that is said once on
    stderr and the script goes on without the log, instead of a traceback for every line.
    """

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o666)
        super().__init__(open(fd, "a", encoding="utf-8"))
        self.path = path

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        if isinstance(error, BlockingIOError):
            reason = "its reader does not keep up"
        _logger.removeHandler(self)
        with contextlib.suppress(OSError, ValueError):  # the lines still in the buffer cannot be written either
            self.stream.close()
        self.stream = None
        say(f"cannot write the log file {self.path}: {reason}; going on without it")


def error(message: str, cause: BaseException | None = None) -> None:
    """Log `ROLE ERROR: …` (the exception in the original wording) and tell the user."""
    _log(logging.ERROR, f"{_role} ERROR: {describe(cause) if cause else message}")
    say(message)


def warning(message: str) -> None:
    """Log `ROLE WARNING: message` and tell the user."""
    log_warning(message)
    say(message)


def log_warning(message: str) -> None:
    """Log `ROLE WARNING: message` only."""
    _log(logging.WARNING, f"{_role} WARNING: {message}")


def say(message: str) -> None:
    """One line on stderr for the person at the terminal, named after the script, from any thread.

    If no one reads stderr any more (`2>&1 | head` has ended), it goes to /dev/null from then
    on and the script goes on: raised, the error would end the thread that was saying something,
    the relay's watch for one, which the relay cannot do without.
    """
    try:
        print(f"{Path(sys.argv[0]).name}: {message}", file=sys.stderr, flush=True)
    except OSError:
        _silence(sys.stderr)  # the line still in its buffer goes there too: no error at the exit


def inform(message: str) -> None:
    """One line of news on stdout (who joined, who left), from any thread."""
    try:
        print(message)
    except (OSError, ValueError):  # stdout's reader has gone: the main thread ends the script
        pass


class WholeLines:
    """Standard output for several threads: each thread's lines go out whole. (print() writes a
    line's text and its newline in two calls, between which another thread's line could land.)"""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._pending = threading.local()  # this thread's line so far

    def write(self, text: str) -> int:
        pending = getattr(self._pending, "text", "") + text
        complete, newline, self._pending.text = pending.rpartition("\n")
        if newline:
            with self._lock:
                self._stream.write(complete + newline)
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()

    def __getattr__(self, name: str) -> object:  # fileno, encoding, ...: the stream's own
        return getattr(self._stream, name)


def kind(message: str) -> str:
    """What a message is about, whatever its numbers: `header says 56 bytes` and `… 48 bytes` are one kind."""
    return re.sub(r"\d+", "N", message)


class FloodGate:
    """Lets the first log line of each kind through in each FLOOD_WINDOW and counts the others,
    so that a publisher sending 10,000 bad messages a second costs a few lines, not megabytes.

    When the window is over, each kind that had more gets one line: `… and 9,999 more like it
    in the last 10 s`. At most MAX_KINDS kinds are told apart; lines of further kinds are only
    counted, all together.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: float | None = None  # when the current window began; None: no window yet
        self._kinds: dict[str, list] = {}  # kind -> [level, the line written, how many more came]
        self._others = 0  # lines of kinds beyond MAX_KINDS

    def admit(self, level: int, message: str) -> list[tuple[int, str]]:
        """The lines to write for `message`: itself if it is the first of its kind in this
        window, and the counts of the window before if that one is over."""
        with self._lock:
            lines = self._close_window() if self._over() else []
            if self._started is None:
                self._started = time.monotonic()
            seen = self._kinds.get(kind(message))
            if seen is not None:
                seen[2] += 1
            elif len(self._kinds) >= MAX_KINDS:
                self._others += 1
            else:
                self._kinds[kind(message)] = [level, message, 0]
                lines.append((level, message))
            return lines

    def counts(self, *, only_if_over: bool) -> list[tuple[int, str]]:
        """The count lines of the current window (only once it is over, with `only_if_over`),
        which then ends."""
        with self._lock:
            return self._close_window() if self._over() or not only_if_over else []

    def _over(self) -> bool:
        return self._started is not None and time.monotonic() - self._started >= FLOOD_WINDOW

    def _close_window(self) -> list[tuple[int, str]]:
        if self._started is None:
            return []
        span = f"in the last {max(1.0, time.monotonic() - self._started):.0f} s"
        lines = [(level, f"{message} … and {more:,} more like it {span}")
                 for level, message, more in self._kinds.values() if more]
        if self._others:
            lines.append((logging.WARNING, f"{_role} WARNING: … and {self._others:,} more log lines of other kinds {span}"))
        self._started, self._kinds, self._others = None, {}, 0
        return lines


_flood_gate = FloodGate()


def _log(level: int, message: str) -> None:
    for line_level, line in _flood_gate.admit(level, message):
        _logger.log(line_level, line)


def _write_counts(*, only_if_over: bool) -> None:
    for level, line in _flood_gate.counts(only_if_over=only_if_over):
        _logger.log(level, line)


def stop_requested() -> bool:
    """Whether a stop signal came (for a thread that must help the main one stop), even one
    whose handler has not run yet: it runs only once the main thread runs Python code again."""
    return _stop_arrived.is_set() or _stop_signal is not None


def checkpoint() -> None:
    """Call at each step of a script's loop: it stops the script if a stop was asked for, and
    writes the counts of held-back log lines once their window is over (see FloodGate).

    The signal handler raises KeyboardInterrupt where the script happens to be; if that is
    inside a C extension's clean-up (pyzmq frees a zero-copy frame, say), the exception is
    dropped there. The handler also notes the stop, so it is raised again here.
    """
    if _stop_signal is not None:
        raise KeyboardInterrupt
    _write_counts(only_if_over=True)


def run(main: Callable[[], None]) -> NoReturn:
    """Run a script's main(): Ctrl+C, SIGTERM or SIGHUP end it with code 0, a Fatal error with code 1.

    Stopping is the normal way to end a server or a client, so it gets no traceback; the
    `with` blocks in main() close the sockets on the way out.
    """
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # lines show up at once in a pipe too
    sys.stdout = WholeLines(sys.stdout)  # type: ignore[assignment]
    _drop_lost_interrupts()
    _watch_the_clean_up()
    try:
        for stop_signal in STOP_SIGNALS:  # SIGINT too, even if started with it ignored (as by `cmd &`)
            signal.signal(stop_signal, _ask_to_stop)
        main()
    except KeyboardInterrupt:
        for stop_signal in STOP_SIGNALS:  # a second Ctrl+C must not interrupt the clean-up
            signal.signal(stop_signal, signal.SIG_IGN)
        if _stop_signal == signal.SIGHUP:  # the terminal has gone: anything printed now would fail
            _silence(sys.stdout, sys.stderr)
        _exit(0)
    except BrokenPipeError:  # `server.py | head` has read enough: end quietly, like other tools
        _silence(sys.stdout)
        _exit(0)
    except Fatal as fatal:
        if fatal.warning:
            _log(logging.WARNING, f"{_role}: {fatal.warning}")
            say(str(fatal))
        else:
            error(str(fatal), fatal.cause)
        _exit(1)
    _exit(0)


def _exit(code: int) -> NoReturn:
    _write_counts(only_if_over=False)
    sys.exit(code)


def _silence(*streams: object) -> None:
    """Send what is still to be printed on these streams to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in streams:
        os.dup2(devnull, stream.fileno())  # type: ignore[attr-defined]


def _ask_to_stop(signum: int, frame: object) -> None:
    global _stop_signal
    _stop_signal = signum
    raise KeyboardInterrupt


def _watch_the_clean_up() -> None:
    """Note a stop signal the moment it comes, and end the script anyway if its clean-up hangs.

    Python's own signal handler, in C, only notes a signal: the Python handler (`_ask_to_stop`)
    runs when the main thread next runs Python code. A main thread held in C (the relay's
    proxy, in libzmq) runs none until something wakes it, and a signal that lands anywhere but
    in its wait (in another thread, or while it is busy) does not. So the C handler also writes
    the signal's number into a pipe (set_wakeup_fd), from whatever thread it runs in, and a
    background thread reading it sets `_stop_arrived` (see stop_requested).

    Then it gives the clean-up STOP_GRACE seconds: a Ctrl+C that comes while pyzmq creates a
    socket can leave that socket open but unknown to its context, and closing the context then
    waits for it forever.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # the signal handler must never wait
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)  # only the first byte matters

    def watch() -> None:
        os.read(read_end, 1)
        _stop_arrived.set()
        time.sleep(STOP_GRACE)
        _log(logging.WARNING, f"{_role} WARNING: the clean-up did not end within {STOP_GRACE:g} s of the stop")
        say(f"the clean-up did not end within {STOP_GRACE:g} s of the stop; ending without it")
        os._exit(0)

    threading.Thread(target=watch, name="stop watch", daemon=True).start()


def _drop_lost_interrupts() -> None:
    """Keep quiet about a KeyboardInterrupt that a C extension could not raise.

    pyzmq, for one, frees a zero-copy frame in a clean-up that cannot raise exceptions: a
    KeyboardInterrupt from the signal handler that lands there is printed ("Exception ignored
    in …") and dropped. `checkpoint` raises it again, so there is nothing to print.
    """
    previous_excepthook, previous_unraisablehook = sys.excepthook, sys.unraisablehook

    def excepthook(exc_type: type[BaseException], value: BaseException, traceback: TracebackType | None) -> None:
        if not (issubclass(exc_type, KeyboardInterrupt) and _stop_signal is not None):
            previous_excepthook(exc_type, value, traceback)

    def unraisablehook(unraisable: "sys.UnraisableHookArgs") -> None:
        if not (issubclass(unraisable.exc_type, KeyboardInterrupt) and _stop_signal is not None):
            previous_unraisablehook(unraisable)

    sys.excepthook, sys.unraisablehook = excepthook, unraisablehook
