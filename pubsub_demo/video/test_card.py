"""The built-in test pattern, and the frame number written into its pixels.

The test pattern needs no file: moving shapes, the frame number and a clock, and the frame
number once more as a row of black and white cells along the bottom, which `card_number`
reads back from any copy of the frame (even a JPEG one, or a screenshot of a window). The tests
use it to tell which frame a client shows.

A camera's pattern (`NamedTestCard`) is cheaper, for the many cameras of a wall on one computer:
its name on a colour of its own, drawn once, and per frame only a moving dot and the cells,
which say which camera (`camera_code`) as well as which frame.
"""

from __future__ import annotations

import time
import zlib

import cv2
import numpy as np

from pubsub_demo import wire
from pubsub_demo.process.logs import Fatal

DEFAULT_FPS = 30.0  # the test pattern's frames/s, and any source's that does not say its own
CARD_SIZE = (640, 360)
CODE_BITS = 32  # 24 bits of frame number, 8 bits of check
CODE_ROWS = 16  # height of the row of cells, in pixels


class TestCard:
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


class NamedTestCard:
    """A camera's test picture: `name` in large letters on a colour of its own, a dot going round
    once every 4 s at `fps` frames a second, and the frame code (`camera_code`) along the bottom."""

    def __init__(self, name: str, width: int, height: int, fps: float = DEFAULT_FPS) -> None:
        if width < 2 * CODE_BITS or height < 3 * CODE_ROWS:
            raise Fatal(f"the test pattern needs at least {2 * CODE_BITS}x{3 * CODE_ROWS} pixels")
        self.name, self.width, self.height, self.fps = name, width, height, fps or DEFAULT_FPS
        hue = zlib.crc32(name.encode()) % 180
        colour = cv2.cvtColor(np.array([[[hue, 160, 150]]], np.uint8), cv2.COLOR_HSV2BGR)[0, 0]
        self.background = np.empty((height, width, 3), np.uint8)
        self.background[...] = colour
        font, thickness = cv2.FONT_HERSHEY_SIMPLEX, max(1, height // 60)
        (text_width, text_height), _ = cv2.getTextSize(name, font, 1.0, thickness)
        scale = min(0.8 * width / text_width, 0.3 * height / text_height)
        (text_width, text_height), _ = cv2.getTextSize(name, font, scale, thickness)
        origin = ((width - text_width) // 2, (height + text_height) // 2 - CODE_ROWS)
        cv2.putText(self.background, name, origin, font, scale, (255, 255, 255), thickness, cv2.LINE_AA)
        self.number = 0

    def read(self) -> np.ndarray:
        frame = wire.empty(self.background.shape)  # a new one each time: the one before may still be on its way
        frame[...] = self.background
        phase = 2 * np.pi * self.number / (4 * self.fps)
        w, h = self.width, self.height
        centre = (int(w / 2 + 0.4 * w * np.cos(phase)), int(h / 2 + 0.3 * h * np.sin(phase)))
        cv2.circle(frame, centre, max(2, h // 16), (255, 255, 255), -1)
        draw_number(frame, camera_code(self.name, self.number))
        self.number += 1
        return frame

    def close(self) -> None:
        pass


CAMERA_BITS = 12  # of the code's 24: which camera; the other 12, the frame number (modulo 4096)


def camera_code(name: str, number: int) -> int:
    """The number a camera's pattern writes in its cells: which camera (12 bits of its name's
    CRC-32) and which frame (the frame number's low 12 bits)."""
    frame_bits = 24 - CAMERA_BITS
    return (zlib.crc32(name.encode()) % (1 << CAMERA_BITS)) << frame_bits | number % (1 << frame_bits)


def split_code(code: int) -> tuple[int, int]:
    """(which camera, which frame modulo 4096) from a code that `camera_code` made."""
    frame_bits = 24 - CAMERA_BITS
    return code >> frame_bits, code % (1 << frame_bits)


def draw_number(frame: np.ndarray, number: int) -> None:
    """Write `number` (24 bits) and a check byte as black/white cells along the frame's bottom."""
    number &= 0xFFFFFF
    bits = (number << 8) | _check(number)
    cell = frame.shape[1] // CODE_BITS
    for i in range(CODE_BITS):
        on = (bits >> (CODE_BITS - 1 - i)) & 1
        frame[-CODE_ROWS:, i * cell : (i + 1) * cell] = 255 if on else 0


def card_number(frame: np.ndarray) -> int | None:
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
