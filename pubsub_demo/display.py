"""Showing frames: a window that the user can close, or (headless) a stats line once a second."""

from __future__ import annotations

import math
import time
import zlib

import cv2
import numpy as np

from .video import pattern_number
from .wire import Message

ESC = 27
WINDOW_GAP = 20  # pixels between the side-by-side windows


class Stats:
    """Frames per second, latency (send to show) and frames dropped, over the last second."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.frames = self.dropped = 0
        self.latencies: list[float] = []
        self.last_seq: int | None = None

    def add(self, message: Message) -> None:
        self.frames += 1
        if not math.isnan(message.sent_at):
            self.latencies.append(time.time() - message.sent_at)
        if self.last_seq is not None and message.seq > self.last_seq + 1:
            self.dropped += message.seq - self.last_seq - 1
        if message.seq >= 0:
            self.last_seq = message.seq

    def due(self) -> bool:
        return time.monotonic() - self.start >= 1.0

    def line(self) -> str:
        """The stats since the last line, and a fresh start."""
        rate = self.frames / (time.monotonic() - self.start)
        latency = f"{1000 * sum(self.latencies) / len(self.latencies):.1f} ms" if self.latencies else "n/a"
        text = f"{rate:.1f} frames/s, latency {latency}, dropped {self.dropped}"
        self.start, self.frames, self.dropped, self.latencies = time.monotonic(), 0, 0, []
        return text


class Display:
    """Where a script's frames go: a window titled `title`, or nothing but stats lines.

    `slot` places the window: 0 at the left, 1 next to it, and so on, so that the server's and
    the clients' windows stand side by side; `position` (x, y) overrides it.
    """

    def __init__(self, title: str, slot: int, *, window: bool = True, position: tuple[int, int] | None = None,
                 overlay: bool = False, print_frames: bool = False) -> None:
        self.title, self.slot, self.window, self.position = title, slot, window, position
        self.overlay, self.print_frames = overlay, print_frames
        self.stats, self.stats_text = Stats(), ""
        self.opened = False

    def show(self, message: Message) -> bool:
        """Show one frame; False once the user asked to stop (q, Esc, or closing the window)."""
        self.stats.add(message)
        if self.print_frames:
            print(describe_frame(message))
        if self.stats.due():
            self.stats_text = self.stats.line()
            if not self.window:
                print(f"{self.title}: {self.stats_text}")
        if not self.window:
            return True
        frame = message.array
        if self.overlay and self.stats_text:
            cv2.putText(frame, self.stats_text, (10, frame.shape[0] - 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (255, 255, 255), 2)
        if not self.opened:
            self._open(frame.shape[1])
        cv2.imshow(self.title, frame)
        return self.idle()

    def idle(self) -> bool:
        """Let the window redraw and read keys while no frame comes; False if the user asked to stop."""
        if not (self.window and self.opened):
            return True
        key = cv2.waitKey(1) & 0xFF
        closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        return not (closed or key in (ord("q"), ESC))

    def close(self) -> None:
        if self.opened:
            cv2.destroyWindow(self.title)
            self.opened = False

    def _open(self, frame_width: int) -> None:
        cv2.namedWindow(self.title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        x, y = self.position or (self.slot * (frame_width + WINDOW_GAP), 0)
        cv2.moveWindow(self.title, x, y)
        self.opened = True


def describe_frame(message: Message) -> str:
    """One line about a frame, for --print-frames: number, size, checksum, latency, pattern number."""
    frame = message.array
    line = f"frame {message.seq}: {frame.shape[1]}x{frame.shape[0]} crc32 {zlib.crc32(np.ascontiguousarray(frame)):08x}"
    if not math.isnan(message.sent_at):
        line += f" latency {1000 * (time.time() - message.sent_at):.1f} ms"
    number = pattern_number(frame)
    if number is not None:
        line += f" pattern {number}"
    return line
