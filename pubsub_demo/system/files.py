"""A log file opened and written without waiting, where the system can.

On Linux and macOS a log file may be a FIFO (`mkfifo`): opened with O_NONBLOCK, a FIFO that
nothing reads fails at once (ENXIO) instead of hanging the script, and a reader that stops
reading makes a write fail (BlockingIOError) instead of blocking it. Windows has no FIFOs in
the file system, and no O_NONBLOCK: a plain append there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TextIO


def open_for_appending(path: Path) -> TextIO:
    """`path`, opened to append text to (created if need be), never waiting for a reader."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    if sys.platform != "win32":
        flags |= os.O_NONBLOCK
    return open(os.open(path, flags, 0o666), "a", encoding="utf-8")
