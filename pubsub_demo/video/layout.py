"""Where windows go on the screen: side by side, in equal shares, each fitting its share; and the
tiles of a wall in its window.

The video server's window and the two clients' stand side by side, each in a third of the
screen; a frame too large for its share is shown scaled down, aspect kept. The wall's window
takes the whole screen, one tile per camera.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pubsub_demo.video.screen import Area

EDGE = 16  # pixels between the windows and the screen's left and right edges
WINDOW_GAP = 20  # pixels between the side-by-side windows
TOP = 40  # pixels above the windows: room for a desktop's top bar (GNOME's, macOS's menu bar)
BOTTOM = 56  # pixels below the windows: room for a task bar or a dock
DECORATION = (16, 48)  # pixels a window manager may add around a window's content (borders; borders and title bar)
SLOTS = 3  # windows side by side in a part's demo: the server's and two clients'
TILE_GAP = 4  # pixels between a wall's tiles
TILE_ASPECT = 16 / 9  # a wall's tiles: the shape of most cameras' pictures (others are shown inside, aspect kept)


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


def whole_screen(area: Area) -> tuple[int, int]:
    """The size (width, height) of a picture shown in a window that takes the whole screen `area`,
    with room for the window manager's frame, a top bar and a task bar: `window_place`'s one slot."""
    return area.width - 2 * EDGE - DECORATION[0], area.height - TOP - BOTTOM - DECORATION[1]


def tile_grid(size: tuple[int, int], count: int, aspect: float = TILE_ASPECT) -> list[Place]:
    """Where each of `count` tiles goes in a picture of `size` (width, height): equal tiles of
    `aspect` (width / height), as large as fit, TILE_GAP apart, in rows from the top left, the
    grid in the middle. Every tile is inside the picture, and none overlaps another."""
    width, height = size
    if count < 1:
        return []
    best = (0.0, 1)
    for columns in range(1, count + 1):
        rows = -(-count // columns)
        tile_width = min((width - (columns - 1) * TILE_GAP) / columns, (height - (rows - 1) * TILE_GAP) / rows * aspect)
        best = max(best, (tile_width, columns))
    columns = best[1]
    rows = -(-count // columns)
    tile_width = max(1, math.floor(best[0]))
    tile_height = max(1, math.floor(min(tile_width / aspect, (height - (rows - 1) * TILE_GAP) / rows)))
    left = (width - columns * tile_width - (columns - 1) * TILE_GAP) // 2
    top = (height - rows * tile_height - (rows - 1) * TILE_GAP) // 2
    return [
        Place(
            left + (k % columns) * (tile_width + TILE_GAP),
            top + (k // columns) * (tile_height + TILE_GAP),
            tile_width,
            tile_height,
        )
        for k in range(count)
    ]
