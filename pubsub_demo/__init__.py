"""Plumbing shared by the demo's scripts: logging, options, the wire format, sockets, video.

The scripts in random_numbers_transmission/ and video_transmission/ are the lessons; this
package holds what they have in common, one module per job:

- logs: the error log in the original scripts' format, and clean exits (`run`)
- options: command-line options and their checks
- wire: an array as a ZeroMQ message and back (pure functions)
- sockets: binding, receiving, the socket settings each role needs, and a server's watch over who connects
- receiving: a client's receive loop: decode, skip bad messages, notice silence; the newest-frame thread
- diagnosis: what a client tells its user when nothing comes (the socket monitor's events)
- pacing: a drift-free clock for "N times a second"
- video: video sources (file, camera, built-in test pattern)
- display: windows, keys, the stats line, and a video client's window
- screen: is there a display, and how large is its screen
- security, keys: CURVE encryption and authentication (--curve), and making the keys
- relaying: relay.py's watch beside libzmq's proxy: the stats line, news of its server
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import TracebackType

_interrupted = False  # a Ctrl+C came while the script started


def _end_quietly_on_ctrl_c(exc_type: type[BaseException], value: BaseException,
                           traceback: TracebackType | None) -> None:
    """sys.excepthook while a script starts: a Ctrl+C that ends the script while numpy, zmq and
    OpenCV load (a moment) ends it as quietly as one does later, when logs.run has taken over:
    no traceback, exit code 0. So does the error a library's loading may turn that Ctrl+C into
    (numpy's: `ImportError: PyCapsule_Import could not import module "datetime"`). Anything
    else, and anything in a process that only imports the package (a test), is shown as usual."""
    reached_the_script = (traceback is not None and traceback.tb_frame.f_code.co_name == "<module>"
                          and traceback.tb_frame.f_globals.get("__name__") == "__main__")
    if (issubclass(exc_type, KeyboardInterrupt) or _interrupted) and reached_the_script:
        try:
            sys.stdout.flush()
        finally:
            os._exit(0)
    _previous_excepthook(exc_type, value, traceback)


def _note_ctrl_c(signum: int, frame: object) -> None:
    """SIGINT's handler while a script starts: Python's own (a KeyboardInterrupt), but noted,
    since a library that is loading may turn the KeyboardInterrupt into an error of its own."""
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


# First thing: the scripts import this package before numpy, zmq and OpenCV for this.
_previous_excepthook = sys.excepthook
sys.excepthook = _end_quietly_on_ctrl_c
_python_handles_ctrl_c = signal.getsignal(signal.SIGINT) is signal.default_int_handler
if threading.current_thread() is threading.main_thread() and _python_handles_ctrl_c:
    signal.signal(signal.SIGINT, _note_ctrl_c)  # logs.run sets its own, once the script runs
