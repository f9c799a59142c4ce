"""The figures a video script prints: frames per second, megabytes per second, latency and frames
dropped, once a second (`Stats`; what went out to a server's clients: outflow.py); and one line
per frame, for --print-frames (`describe_frame`).
"""

from __future__ import annotations

import math
import time
import zlib
from typing import NamedTuple

import numpy as np

from pubsub_demo.video.test_card import card_number
from pubsub_demo.wire import Message


class Figures(NamedTuple):
    """A second's figures: frames per second, megabytes per second, mean latency in ms (None if
    the frames carry no time), frames dropped."""

    fps: float
    megabytes: float
    latency: float | None
    dropped: int


class Stats:
    """Frames per second, megabytes per second, latency (send to show) and frames dropped, over
    the last second; for a server, also how many clients it sends to (the MB/s are what went out
    to all of them: see `line`)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.frames = self.dropped = self.bytes = 0
        self.latencies: list[float] = []
        self.last_seq: int | None = None
        self.clients: int | None = None

    def add(self, message: Message, clients: int | None = None) -> None:
        self.count(message.seq, message.sent_at, message.size * (1 if clients is None else clients))
        self.clients = clients

    def count(self, seq: int, sent_at: float, size: int) -> None:
        """Count a frame: its number, when it was sent (time.time(); nan if not known), its bytes."""
        self.frames += 1
        self.bytes += size
        if not math.isnan(sent_at):
            self.latencies.append(time.time() - sent_at)
        if self.last_seq is not None and seq > self.last_seq + 1:
            self.dropped += seq - self.last_seq - 1
        if seq >= 0:
            self.last_seq = seq

    def due(self) -> bool:
        return time.monotonic() - self.start >= 1.0

    def line(self, sent: int | None = None) -> str:
        """The stats since the last line, and a fresh start. A server gives the bytes that went
        out (`sent`, from an Outflow) where they can be counted; else its frames' size times its
        clients stands for them, which is what went out only while every client keeps up."""
        figures = self.figures(sent)
        text = f"{figures.fps:.1f} frames/s"
        if self.clients is not None:  # a server's: to how many, and what that costs its network
            text += f", {self.clients} client{'' if self.clients == 1 else 's'}"
        text += f", {figures.megabytes:.1f} MB/s"
        if figures.latency is not None:  # a client's frames: how late they came, and how many it skipped
            text += f", latency {figures.latency:.1f} ms, dropped {figures.dropped}"
        return text

    def figures(self, sent: int | None = None) -> Figures:
        """The figures since the last call (with `sent`, as `line`), and a fresh start."""
        elapsed = time.monotonic() - self.start
        latency = 1000 * sum(self.latencies) / len(self.latencies) if self.latencies else None
        megabytes = (self.bytes if sent is None else sent) / elapsed / 1e6
        figures = Figures(self.frames / elapsed, megabytes, latency, self.dropped)
        self.start, self.frames, self.dropped, self.bytes, self.latencies = time.monotonic(), 0, 0, 0, []
        return figures


def describe_frame(message: Message) -> str:
    """One line about a frame, for --print-frames: number, size, checksum, latency, pattern number."""
    frame = message.array
    number = message.seq if message.seq >= 0 else "?"  # the pickle format carries no number
    line = f"frame {number}: {frame.shape[1]}x{frame.shape[0]} crc32 {zlib.crc32(np.ascontiguousarray(frame).data):08x}"
    if not math.isnan(message.sent_at):
        line += f" latency {1000 * (time.time() - message.sent_at):.1f} ms"
    pattern = card_number(frame)
    if pattern is not None:
        line += f" pattern {pattern}"
    return line
