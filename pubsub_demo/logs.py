"""The error log, in the original scripts' format, and how a script ends.

Every script logs warnings and errors to one file (by default errors_log.log at the top of the
project) as `%(process)s - %(asctime)s - %(levelname)s - %(message)s`, with messages such as
`SERVER ERROR: Exception of type ZMQError : Address in use`. The person at the terminal gets the
same news as one plain line on stderr.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path
from typing import Callable, NoReturn

LOG_FORMAT = "%(process)s - %(asctime)s - %(levelname)s - %(message)s"
DEFAULT_LOG_FILE = Path(__file__).resolve().parent.parent / "errors_log.log"

_logger = logging.getLogger("pubsub_demo")
_logger.addHandler(logging.NullHandler())
_logger.propagate = False
_role = "SCRIPT"


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
    """Log warnings and errors of this process to `log_file`; `role` is SERVER or CLIENT."""
    global _role
    _role = role
    try:
        handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError as error:
        raise Fatal(f"cannot write the log file {log_file}: {error.strerror}") from error
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    _logger.addHandler(handler)
    _logger.setLevel(logging.WARNING)


def error(message: str, cause: BaseException | None = None) -> None:
    """Log `ROLE ERROR: …` (the exception in the original wording) and tell the user."""
    _logger.error(f"{_role} ERROR: {describe(cause) if cause else message}")
    say(message)


def warning(message: str) -> None:
    """Log `ROLE WARNING: message` and tell the user."""
    log_warning(message)
    say(message)


def log_warning(message: str) -> None:
    """Log `ROLE WARNING: message` only."""
    _logger.warning(f"{_role} WARNING: {message}")


def say(message: str) -> None:
    """One line on stderr for the person at the terminal, named after the script."""
    print(f"{Path(sys.argv[0]).name}: {message}", file=sys.stderr, flush=True)


def run(main: Callable[[], None]) -> NoReturn:
    """Run a script's main(): Ctrl+C or SIGTERM end it with code 0, a Fatal error with code 1.

    Stopping is the normal way to end a server or a client, so it gets no traceback; the
    `with` blocks in main() close the sockets on the way out.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored (as by `cmd &`)
    signal.signal(signal.SIGTERM, _interrupt)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # lines show up at once in a pipe too
    try:
        main()
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not interrupt the clean-up
        sys.exit(0)
    except BrokenPipeError:  # `server.py | head` has read enough: end quietly, like other tools
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Fatal as fatal:
        if fatal.warning:
            _logger.warning(f"{_role}: {fatal.warning}")
            say(str(fatal))
        else:
            error(str(fatal), fatal.cause)
        sys.exit(1)
    sys.exit(0)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
