"""The terminal: one line on stderr for the person at it (`say`), news on stdout (`inform`), and a
stdout that several threads can print to without mixing their lines (`WholeLines`).

A terminal that has gone (a closed pipe, `2>&1 | head` ended) never stops a script from here:
what would be printed goes to /dev/null instead.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Protocol, TextIO


def say(message: str) -> None:
    """One line on stderr for the person at the terminal, named after the script, from any thread.

    If no one reads stderr any more (`2>&1 | head` has ended), it goes to /dev/null from then
    on and the script goes on: raised, the error would end the thread that was saying something,
    the relay's watch for one, which the relay cannot do without.
    """
    try:
        # One write, the newline with it: print() writes them apart, and another thread's line could land between.
        print(f"{Path(sys.argv[0]).name}: {message}\n", end="", file=sys.stderr, flush=True)
    except OSError:
        silence(sys.stderr)  # the line still in its buffer goes there too: no error at the exit


def inform(message: str) -> None:
    """One line of news on stdout (who joined, who left), from any thread."""
    try:
        print(message)
    except (OSError, ValueError):  # stdout's reader has gone: the main thread ends the script
        pass


class _HasFileno(Protocol):
    def fileno(self) -> int: ...


def silence(*streams: _HasFileno) -> None:
    """Send what is still to be printed on these streams to /dev/null."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in streams:
        os.dup2(devnull, stream.fileno())


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

    def fileno(self) -> int:
        return self._stream.fileno()

    def __getattr__(self, name: str) -> object:  # encoding, isatty, ...: the stream's own
        return getattr(self._stream, name)
