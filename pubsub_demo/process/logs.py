"""The error log, in the original scripts' format.

Every script logs warnings and errors to one file (by default errors_log.log at the top of the
project) as `%(process)s - %(asctime)s - %(levelname)s - %(message)s`, with messages such as
`SERVER ERROR: Exception of type ZMQError : Address in use`. The person at the terminal gets the
same news as one plain line on stderr (console.say).

The log can neither fill the disk nor stop the script: a flood of one kind of line is written
once and counted (`FloodGate`), and a log file that cannot be written (a full disk, a FIFO that
nothing reads) is said once and then left alone.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pubsub_demo.process.console import say
from pubsub_demo.system import files

LOG_FORMAT = "%(process)s - %(asctime)s - %(levelname)s - %(message)s"
DEFAULT_LOG_FILE = Path(__file__).resolve().parents[2] / "errors_log.log"
FLOOD_WINDOW = 10.0  # seconds: each kind of log line is written once in this time, the rest counted
MAX_KINDS = 100  # kinds of log line tracked at once, so that made-up messages cannot fill the memory

_logger = logging.getLogger("pubsub_demo")
_logger.addHandler(logging.NullHandler())
_logger.propagate = False
_role = "SCRIPT"


class Fatal(Exception):
    """An error the script cannot go on with: lifetime.run logs it, says it on stderr, exits 1.

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
    """Log warnings and errors of this process to `log_file`; `role` is SERVER, CLIENT, RELAY...

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
    written without waiting (a reader that stops reading cannot block the script): system/files.py. If a line
    cannot be written (the disk is full, the FIFO's reader has gone), that is said once on
    stderr and the script goes on without the log, instead of a traceback for every line.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(files.open_for_appending(path))
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


def log_fatal(fatal: Fatal) -> None:
    """Log a Fatal error as the original scripts would, and tell the user."""
    if fatal.warning:
        _log(logging.WARNING, f"{_role}: {fatal.warning}")
        say(str(fatal))
    else:
        error(str(fatal), fatal.cause)


def kind(message: str) -> str:
    """What a message is about, whatever its numbers: `header says 56 bytes` and `… 48 bytes` are one kind."""
    return re.sub(r"\d+", "N", message)


class FloodGate:
    """Lets the first log line of each kind through in each FLOOD_WINDOW and counts the others,
    so that a publisher sending 10,000 bad messages a second costs a few lines, not megabytes.

    When the window is over, each kind that had more gets one line: `… and 9,999 more like it
    in the last 10 s`. At most MAX_KINDS kinds are told apart; lines of further kinds are only
    counted, all together. `clock` gives the time in seconds (time.monotonic).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
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
                self._started = self._clock()
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
        return self._started is not None and self._clock() - self._started >= FLOOD_WINDOW

    def _close_window(self) -> list[tuple[int, str]]:
        if self._started is None:
            return []
        span = f"in the last {max(1.0, self._clock() - self._started):.0f} s"
        lines = [
            (level, f"{message} … and {more:,} more like it {span}")
            for level, message, more in self._kinds.values()
            if more
        ]
        if self._others:
            lines.append(
                (logging.WARNING, f"{_role} WARNING: … and {self._others:,} more log lines of other kinds {span}")
            )
        self._started, self._kinds, self._others = None, {}, 0
        return lines


_flood_gate = FloodGate()


def _log(level: int, message: str) -> None:
    for line_level, line in _flood_gate.admit(level, message):
        _logger.log(line_level, line)


def write_counts(*, only_if_over: bool) -> None:
    """Write the counts of the log lines held back (see FloodGate): only once their window is
    over, with `only_if_over`; all of them, without (as a script ends)."""
    for level, line in _flood_gate.counts(only_if_over=only_if_over):
        _logger.log(level, line)
