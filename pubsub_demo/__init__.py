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
import sys
from types import TracebackType


def _end_quietly_on_ctrl_c(exc_type: type[BaseException], value: BaseException,
                           traceback: TracebackType | None) -> None:
    """sys.excepthook while a script starts: a Ctrl+C that ends the script while numpy, zmq and
    OpenCV load (a moment) ends it as quietly as one does later, when logs.run has taken over:
    no traceback, exit code 0. Anything else, and anything in a process that only imports the
    package (a test), is shown as usual."""
    reached_the_script = (traceback is not None and traceback.tb_frame.f_code.co_name == "<module>"
                          and traceback.tb_frame.f_globals.get("__name__") == "__main__")
    if issubclass(exc_type, KeyboardInterrupt) and reached_the_script:
        try:
            sys.stdout.flush()
        finally:
            os._exit(0)
    _previous_excepthook(exc_type, value, traceback)


# First thing: the scripts import this package before numpy, zmq and OpenCV for this.
_previous_excepthook = sys.excepthook
sys.excepthook = _end_quietly_on_ctrl_c
