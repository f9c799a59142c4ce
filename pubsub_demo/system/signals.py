"""What asks a script to stop, on each system, and how another thread hears of it.

Linux and macOS: Ctrl+C (SIGINT), `kill` (SIGTERM), the terminal closed (SIGHUP).
Windows: Ctrl+C (SIGINT), Ctrl+Break (SIGBREAK, also what demo.py sends its scripts), and the
console window closed, which Windows says to a console handler of its own, not with a signal:
`hold_the_closing_console` turns it into a SIGBREAK and waits for the clean-up.
"""

from __future__ import annotations

import _thread
import ctypes
import signal
import socket
import sys
import threading
from collections.abc import Callable

if sys.platform == "win32":
    STOP_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGBREAK)
    HANG_UP: int | None = None  # no terminal to hang up: a closed console is a SIGBREAK here
else:
    STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    HANG_UP = signal.SIGHUP  # the terminal has gone: nothing can be printed any more

# Windows' console events (wincon.h) that end the process 5 s after its handlers are told.
CONSOLE_CLOSED, LOGGED_OFF, SHUT_DOWN = 2, 5, 6
CONSOLE_GRACE = 4.5  # s the clean-up may take before the handler gives up waiting

_kept: list[object] = []  # what must live as long as the process: the wake-up socket, the handler


def wake_on_signals() -> socket.socket:
    """A socket that becomes readable as soon as a signal arrives, whatever thread Python's C
    handler runs in, before the Python handler runs in the main thread (signal.set_wakeup_fd).

    A socket pair, not a pipe: Windows takes only a socket there, and the others take either."""
    reading, writing = socket.socketpair()
    writing.setblocking(False)  # the signal handler must never wait
    signal.set_wakeup_fd(writing.fileno(), warn_on_full_buffer=False)  # only the first byte matters
    _kept.append(writing)
    return reading


def keep_off_this_thread() -> None:
    """Let no stop signal be taken by the calling thread, so that it reaches the main thread and
    interrupts what it waits for (the relay's proxy, in C). On Windows a signal never lands in a
    thread of ours: nothing to do."""
    if sys.platform != "win32":
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def console_handler(stop: Callable[[], None], cleaned_up: threading.Event) -> Callable[[int], bool]:
    """A handler of Windows' console events: the console closed, a log-off or a shut-down call
    `stop` and wait until `cleaned_up` is set (Windows ends the process as the handler returns,
    5 s at most after the event); Ctrl+C and Ctrl+Break are left to Python (False)."""

    def handle(event: int) -> bool:
        if event not in (CONSOLE_CLOSED, LOGGED_OFF, SHUT_DOWN):
            return False
        stop()
        cleaned_up.wait(CONSOLE_GRACE)
        return True

    return handle


def hold_the_closing_console(cleaned_up: threading.Event) -> bool:
    """On Windows, stop the script as Ctrl+Break does when its console window is closed, and
    hold the window's closing until `cleaned_up` is set (or CONSOLE_GRACE has passed). Whether
    the handler is in place (never elsewhere)."""
    if sys.platform != "win32":
        return False
    try:
        handler = ctypes.WINFUNCTYPE(ctypes.c_int, ctypes.c_uint)(
            console_handler(lambda: _thread.interrupt_main(signal.SIGBREAK), cleaned_up)
        )
        placed = bool(ctypes.windll.kernel32.SetConsoleCtrlHandler(handler, True))
    except (AttributeError, OSError):  # no console API (not the real Windows)
        return False
    _kept.append(handler)
    return placed
