"""A virtual desktop for the window tests: Xvfb with a window manager (openbox), and a look at
its windows through python-xlib.

The window manager matters: a desktop always has one, and without one, a Qt window that is
moved right after it appears (as every script moves its own) sometimes stays black.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from Xlib import XK, X, protocol
from Xlib import display as xdisplay
from Xlib.error import DisplayError as XError
from Xlib.ext import xtest


@dataclass
class Window:
    """A top-level window: where its content is on the screen, and the frame around it."""

    title: str
    x: int
    y: int
    width: int
    height: int
    viewable: bool
    handle: object
    frame: tuple[int, int, int, int]  # x, y, width, height of the whole window with its decorations

    def overlaps(self, other: Window) -> bool:
        """Does the other window's frame cover any of this window's content?"""
        return _intersect((self.x, self.y, self.width, self.height), other.frame)

    def frame_overlaps(self, other: Window) -> bool:
        """Do the two windows' frames (decorations included) overlap?"""
        return _intersect(self.frame, other.frame)

    def frame_inside(self, width: int, height: int) -> bool:
        """Is the whole frame (title bar, borders) on a screen of this size?"""
        x, y, frame_width, frame_height = self.frame
        return 0 <= x and x + frame_width <= width and 0 <= y and y + frame_height <= height


def _intersect(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return not (ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay)


def start_desktop(width: int, height: int) -> tuple[list[subprocess.Popen], str]:
    """Xvfb and a window manager; the processes (stop them in reverse order) and the DISPLAY value."""
    if shutil.which("openbox") is None:
        raise FileNotFoundError("openbox")
    xvfb, name = start_xvfb(width, height)
    manager = subprocess.Popen(
        ["openbox"], env=dict(os.environ, DISPLAY=name), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    screen = Screen(name)
    try:
        screen.wait_for_window_manager()  # windows that come before it would be placed by chance
    finally:
        screen.close()
    return [xvfb, manager], name


def start_xvfb(width: int, height: int) -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display number it picks itself; the process and the DISPLAY value."""
    executable = shutil.which("Xvfb")
    if executable is None:
        raise FileNotFoundError("Xvfb")
    # -noreset: keep one server for all the tests, however many clients come and go.
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [
            executable,
            "-displayfd",
            str(write_end),
            "-screen",
            "0",
            f"{width}x{height}x24",
            "-nolisten",
            "tcp",
            "-noreset",
        ],
        pass_fds=[write_end],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    # Xvfb writes its display number and then a newline when it is ready: read both before
    # closing the pipe, or its second write fails and ends it.
    received, deadline = b"", time.monotonic() + 30
    while not received.endswith(b"\n") and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], deadline - time.monotonic())
        chunk = os.read(read_end, 16) if ready else b""
        if not chunk:
            break
        received += chunk
    os.close(read_end)
    number = received.decode().strip()
    if not number:
        process.kill()
        raise RuntimeError("Xvfb did not start")
    return process, f":{number}"


class Screen:
    """The windows on an X display, a screenshot of it, and a hand on its keyboard."""

    def __init__(self, name: str, timeout: float = 30) -> None:
        # Xvfb tells its display number a moment before it takes every connection: retry.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.display = xdisplay.Display(name)
                break
            except (XError, ConnectionError) as error:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"cannot connect to the X display {name}: {error}") from error
                time.sleep(0.1)
        self.root = self.display.screen().root

    def close(self) -> None:
        self.display.close()

    def wait_for_window_manager(self, timeout: float = 30) -> None:
        """Poll until a window manager has announced itself on the root window (EWMH)."""
        check = self.display.intern_atom("_NET_SUPPORTING_WM_CHECK")
        deadline = time.monotonic() + timeout
        while self.root.get_full_property(check, X.AnyPropertyType) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("no window manager came up")
            time.sleep(0.05)  # polling the X server for a condition, with a deadline

    def windows(self) -> Iterator[Window]:
        """Every top-level window, bottom of the stack first (a window manager's frame counts
        as the window it holds)."""
        for top in self.root.query_tree().children:
            client = self._named(top) or top
            geometry = client.get_geometry()
            position = client.translate_coords(self.root, 0, 0)
            frame_geometry = top.get_geometry()
            frame_position = top.translate_coords(self.root, 0, 0)
            viewable = (
                top.get_attributes().map_state == X.IsViewable and client.get_attributes().map_state == X.IsViewable
            )
            yield Window(
                client.get_wm_name() or "",
                -position.x,
                -position.y,
                geometry.width,
                geometry.height,
                viewable,
                client,
                (-frame_position.x, -frame_position.y, frame_geometry.width, frame_geometry.height),
            )

    def _named(self, window: object) -> object | None:
        """The first window with a title at or below `window`."""
        if window.get_wm_name():  # type: ignore[attr-defined]
            return window
        for child in window.query_tree().children:  # type: ignore[attr-defined]
            found = self._named(child)
            if found is not None:
                return found
        return None

    def window(self, title: str) -> Window | None:
        return next((window for window in self.windows() if window.title == title and window.viewable), None)

    def screenshot(self) -> np.ndarray:
        """The whole screen as a BGR image."""
        geometry = self.root.get_geometry()
        image = self.root.get_image(0, 0, geometry.width, geometry.height, X.ZPixmap, 0xFFFFFFFF)
        pixels = np.frombuffer(image.data, np.uint8).reshape(geometry.height, geometry.width, 4)
        return pixels[:, :, :3].copy()

    def ask_to_close(self, window: Window) -> None:
        """What a window manager's close button does: send WM_DELETE_WINDOW."""
        protocols = self.display.intern_atom("WM_PROTOCOLS")
        delete = self.display.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(
            window=window.handle, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        window.handle.send_event(event)
        self.display.flush()

    def press(self, window: Window, key: str) -> None:
        """Type `key` (an X keysym name such as "q" or "Escape") into `window`."""
        window.handle.set_input_focus(X.RevertToParent, X.CurrentTime)
        code = self.display.keysym_to_keycode(XK.string_to_keysym(key))
        xtest.fake_input(self.display, X.KeyPress, code)
        xtest.fake_input(self.display, X.KeyRelease, code)
        self.display.flush()
