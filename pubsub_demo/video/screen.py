"""The screen the windows go on: is there one, and how large is it.

Without a display, OpenCV's window code (Qt in the opencv-python wheels) aborts the whole
process with a core dump and a message about reinstalling the application; `check_display`
finds that out first and says it in one line. `screen_area` reads the size of the screen from
the window system (through the `screeninfo` package: X11's RandR, Windows, macOS), so that
the windows can be made to fit it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from dataclasses import dataclass

import screeninfo

from pubsub_demo.process.logs import Fatal

NO_WINDOW_HINT = "start with --no-window to print stats lines instead"


@dataclass(frozen=True)
class Area:
    """A rectangle of the screen, in pixels."""

    x: int
    y: int
    width: int
    height: int


# The smallest screen the windows are laid out for: used when the window system does not say.
DEFAULT_AREA = Area(0, 0, 1366, 768)


def check_display() -> None:
    """Raise Fatal, with one line for the user, if there is no display to open a window on.

    Only X11 and Wayland desktops (Linux, the BSDs) can be without one: Windows and macOS
    always have a screen for a program that runs in a user's session."""
    if sys.platform in ("win32", "darwin", "cygwin"):
        return
    name = os.environ.get("DISPLAY")
    if not name:
        if not os.environ.get("WAYLAND_DISPLAY"):
            raise Fatal(f"cannot open a window: there is no display (DISPLAY is not set); {NO_WINDOW_HINT}")
        if _needs_x11():
            raise Fatal(
                f"cannot open a window: OpenCV's windows need an X11 display, and DISPLAY is not set; {NO_WINDOW_HINT}"
            )
        return  # Wayland only, and this OpenCV can use it: there is no X display to ask
    if not _x_display_opens(name):
        raise Fatal(f"cannot open a window: the display {name} does not answer; {NO_WINDOW_HINT}")


def _needs_x11() -> bool:
    """Whether OpenCV's windows need an X11 display: those of the opencv-python wheels (Qt with
    only its X11 plugin) do; GTK builds (a Linux distribution's OpenCV) can use Wayland too."""
    import cv2  # only here: the demo launcher checks the display without loading OpenCV

    gui = next((line for line in cv2.getBuildInformation().splitlines() if line.strip().startswith("GUI:")), "")
    return not any(backend in gui.upper() for backend in ("GTK", "WAYLAND"))


def _x_display_opens(name: str) -> bool:
    """Whether the X display `name` takes a connection (True if libX11 is not there to ask)."""
    library = ctypes.util.find_library("X11")
    if library is None:
        return True  # no way to ask here; OpenCV will find out
    xlib = ctypes.CDLL(library)
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = xlib.XOpenDisplay(name.encode())
    if not display:
        return False
    xlib.XCloseDisplay(display)
    return True


def screen_area() -> Area:
    """The primary monitor's place and size, as the window system tells them; DEFAULT_AREA if it
    does not (the windows then fit any screen from 1366x768 up)."""
    try:
        monitors = screeninfo.get_monitors()
    except screeninfo.ScreenInfoError:  # no way to ask on this system
        return DEFAULT_AREA
    # The primary monitor, or else the one at the desktop's top left corner: where new windows appear.
    monitor = min(monitors, key=lambda m: (not m.is_primary, (m.x, m.y) != (0, 0)))
    return Area(monitor.x, monitor.y, monitor.width, monitor.height)
