"""Showing frames: a window that the user can close, or (headless) a stats line once a second;
and a video client's loop, which shows the newest frame each time."""

from __future__ import annotations

import argparse
import math
import time
import zlib

import cv2
import numpy as np

from . import logs
from .receiving import TICK, Newest, subscribe, video_only
from .video import pattern_number
from .wire import VIDEO_MAX_BYTES, Message

ESC = 27
WINDOW_GAP = 20  # pixels between the side-by-side windows
PLACING_TIME = 3.0  # seconds during which a new window is put back where we asked
PLACING_SLACK = 64  # pixels: room for the title bar and borders a window manager adds


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
        text = f"{rate:.1f} frames/s"
        if self.latencies:  # a client's frames: how late they came, and how many it skipped
            text += f", latency {1000 * sum(self.latencies) / len(self.latencies):.1f} ms, dropped {self.dropped}"
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
        self._keep_in_place()
        return self.idle()

    def idle(self) -> bool:
        """Let the window redraw and read keys while no frame comes; False if the user asked to stop."""
        if not (self.window and self.opened):
            return True
        key = cv2.waitKey(1) & 0xFF
        try:
            closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:  # some backends raise instead, once the user has closed the window
            closed = True
        if closed:
            self.opened = False
        return not (closed or key in (ord("q"), ESC))

    def close(self) -> None:
        if self.opened:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)  # let the window system take it away now
            self.opened = False

    def _open(self, frame_width: int) -> None:
        cv2.namedWindow(self.title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        self.place = self.position or (self.slot * (frame_width + WINDOW_GAP), 0)
        cv2.moveWindow(self.title, *self.place)
        self.opened, self.opened_at = True, time.monotonic()

    def _keep_in_place(self) -> None:
        """Move the window again if it is not where we asked, in its first seconds only.

        A window manager that is still taking in a new window may put it where it likes and
        drop our move; asking again once the window is up makes it stick. After that, the
        user may drag the window wherever they like."""
        if time.monotonic() - self.opened_at > PLACING_TIME:
            return
        x, y, _, _ = cv2.getWindowImageRect(self.title)
        if abs(x - self.place[0]) > PLACING_SLACK or abs(y - self.place[1]) > PLACING_SLACK:
            cv2.moveWindow(self.title, *self.place)


def describe_frame(message: Message) -> str:
    """One line about a frame, for --print-frames: number, size, checksum, latency, pattern number."""
    frame = message.array
    number = message.seq if message.seq >= 0 else "?"  # the pickle format carries no number
    line = f"frame {number}: {frame.shape[1]}x{frame.shape[0]} crc32 {zlib.crc32(np.ascontiguousarray(frame)):08x}"
    if not math.isnan(message.sent_at):
        line += f" latency {1000 * (time.time() - message.sent_at):.1f} ms"
    pattern = pattern_number(frame)
    if pattern is not None:
        line += f" pattern {pattern}"
    return line


def show_newest(args: argparse.Namespace, title: str, slot: int) -> None:
    """A video client's loop: show the newest frame each time, until --frames were shown or the
    user closes the window. --delay pretends that each frame takes that long to handle.

    The socket lives in a background thread (see `Newest`), which takes every frame off it as
    soon as it comes; the socket holds 2 frames at most, not ZeroMQ's default of 1000."""
    display = Display(title, slot, window=not args.no_window, position=args.window_position,
                      overlay=args.stats, print_frames=args.print_frames)
    shown = 0
    try:
        with Newest(subscribe(args, queue=2, max_bytes=VIDEO_MAX_BYTES, check=video_only)) as newest:
            while shown != args.frames:
                logs.checkpoint()  # stop if asked to, even if the KeyboardInterrupt got lost
                message = newest.take(timeout=TICK)
                if message is None:
                    keep_going = display.idle()
                else:
                    keep_going = display.show(message)
                    shown += 1
                    time.sleep(args.delay)
                if not keep_going:
                    return
    finally:
        display.close()
