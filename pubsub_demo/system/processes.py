"""Starting a script that can be asked to stop cleanly, and asking it (demo.py's scripts).

Each script gets a group of its own, so that a Ctrl+C at the terminal reaches the demo only,
which then stops its scripts itself. Linux and macOS: a session of its own, asked with SIGTERM.
Windows has neither sessions nor SIGTERM (its `terminate` is TerminateProcess, a kill, exit code
1): a process group of its own (CREATE_NEW_PROCESS_GROUP), asked with CTRL_BREAK_EVENT, which
Python turns into SIGBREAK, a stop signal for our scripts (signals.STOP_SIGNALS).
"""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any


def start(command: list[str], **options: Any) -> subprocess.Popen[str]:
    """subprocess.Popen(command, **options), in a group of its own."""
    if sys.platform == "win32":
        return subprocess.Popen(command, creationflags=subprocess.CREATE_NEW_PROCESS_GROUP, **options)
    return subprocess.Popen(command, start_new_session=True, **options)


def ask_to_stop(process: subprocess.Popen[str]) -> None:
    """Ask `process` (from `start`) to stop: it cleans up and exits with code 0."""
    if sys.platform == "win32":
        process.send_signal(signal.CTRL_BREAK_EVENT)
    else:
        process.send_signal(signal.SIGTERM)


# The exit code of a Windows process that Ctrl+Break ended before it took the signal (ntstatus.h).
STATUS_CONTROL_C_EXIT = 0xC000013A


def stopped_cleanly(code: int) -> bool:
    """Whether exit code `code` is that of a script that stopped as asked (one still starting
    Python when asked ends at once, with no clean-up to do)."""
    if sys.platform == "win32":
        return code in (0, STATUS_CONTROL_C_EXIT)
    return code in (0, -signal.SIGTERM)
