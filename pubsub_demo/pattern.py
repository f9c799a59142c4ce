"""The built-in test pattern, and the frame number written into its pixels.

The test pattern needs no file: moving shapes, the frame number and a clock, and the frame
number once more as a row of black and white cells along the bottom, which `pattern_number`
reads back from any copy of the frame (even a JPEG one, or a screenshot of a window). The tests
use it to tell which frame a client shows.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from . import wire
from .logs import Fatal

DEFAULT_FPS = 30.0  # the test pattern's frames/s, and any source's that does not say its own
PATTERN_SIZE = (640, 360)
CODE_BITS = 32  # 24 bits of frame number, 8 bits of check
CODE_ROWS = 16  # height of the row of cells, in pixels


class TestPattern:
    """An endless, moving test picture of the given size."""

    def __init__(self, width: int, height: int, fps: float = DEFAULT_FPS) -> None:
        if width < 2 * CODE_BITS or height < 3 * CODE_ROWS:
            raise Fatal(f"the test pattern needs at least {2 * CODE_BITS}x{3 * CODE_ROWS} pixels")
        self.width, self.height, self.fps = width, height, fps
        y, x = np.mgrid[0:height, 0:width]
        self.background = np.dstack([255 * x // width, 255 * y // height, np.full_like(x, 96)]).astype(np.uint8)
        self.number = 0

    def read(self) -> np.ndarray:
        n, w, h = self.number, self.width, self.height
        frame = wire.empty(self.background.shape)
        frame[...] = self.background
        phase = n / self.fps
        centre = (int(w / 2 + w / 3 * np.cos(phase)), int(h / 2 + h / 4 * np.sin(2 * phase)))
        cv2.circle(frame, centre, h // 8, (255, 255, 255), -1)
        corner = int((n * 4) % (w - h // 4))
        cv2.rectangle(frame, (corner, h // 2), (corner + h // 4, h // 2 + h // 4), (0, 0, 160), -1)
        scale = h / 360
        cv2.putText(frame, f"frame {n}", (10, int(40 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2)
        cv2.putText(
            frame, time.strftime("%H:%M:%S"), (10, int(80 * scale)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 2
        )
        draw_number(frame, n)
        self.number += 1
        return frame

    def close(self) -> None:
        pass


def draw_number(frame: np.ndarray, number: int) -> None:
    """Write `number` (24 bits) and a check byte as black/white cells along the frame's bottom."""
    number &= 0xFFFFFF
    bits = (number << 8) | _check(number)
    cell = frame.shape[1] // CODE_BITS
    for i in range(CODE_BITS):
        on = (bits >> (CODE_BITS - 1 - i)) & 1
        frame[-CODE_ROWS:, i * cell : (i + 1) * cell] = 255 if on else 0


def pattern_number(frame: np.ndarray) -> int | None:
    """The number that `draw_number` wrote into this frame, or None if there is none."""
    if frame.ndim < 2 or frame.shape[0] < CODE_ROWS or frame.shape[1] < CODE_BITS:
        return None
    cell = frame.shape[1] // CODE_BITS
    row = frame[-CODE_ROWS // 2]
    bits = 0
    for i in range(CODE_BITS):
        bits = (bits << 1) | int(np.mean(row[i * cell + cell // 2]) > 127)
    number = bits >> 8
    return number if bits & 0xFF == _check(number) else None


def _check(number: int) -> int:
    return (sum(number.to_bytes(3, "big")) & 0xFF) ^ 0xA5
