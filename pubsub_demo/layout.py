"""Where windows go on the screen: side by side, in equal shares, each fitting its share.

The video server's window and the two clients' stand side by side, each in a third of the
screen; a frame too large for its share is shown scaled down, aspect kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .screen import Area

EDGE = 16  # pixels between the windows and the screen's left and right edges
WINDOW_GAP = 20  # pixels between the side-by-side windows
TOP = 40  # pixels above the windows: room for a desktop's top bar (GNOME's, macOS's menu bar)
BOTTOM = 56  # pixels below the windows: room for a task bar or a dock
DECORATION = (16, 48)  # pixels a window manager may add around a window's content (borders; borders and title bar)
SLOTS = 3  # windows side by side in a part's demo: the server's and two clients'


@dataclass(frozen=True)
class Place:
    """Where a window goes: x, y of its frame's top left corner; the width and height of its content."""

    x: int
    y: int
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def window_place(area: Area, slot: int, image_size: tuple[int, int], slots: int = 3) -> Place:
    """Where the window in `slot` (0 to slots - 1) of `slots` side by side goes on the screen
    `area`, and its size for images of `image_size` (width, height): their own size if that fits
    in its share of the screen with the window's frame, else scaled down to fit, aspect kept.

    The slots are equal, so the windows never overlap, whatever each shows; room is kept for
    the window manager's frame (DECORATION), a top bar (TOP) and a task bar (BOTTOM)."""
    share = (area.width - 2 * EDGE - (slots - 1) * WINDOW_GAP) // slots
    room = share - DECORATION[0], area.height - TOP - BOTTOM - DECORATION[1]
    width, height = image_size
    scale = min(1.0, room[0] / width, room[1] / height)
    size = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    return Place(area.x + EDGE + slot * (share + WINDOW_GAP), area.y + TOP, *size)
