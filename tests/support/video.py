"""The video part as the tests drive it: its server started headless on a port the system picks,
the frame lines a script prints, what a client sees of its frames, test-pattern frames sent until
shown, and arrays that no video client can show."""

from __future__ import annotations

import re
import statistics

import numpy as np
import zmq

from pubsub_demo import wire
from pubsub_demo.video import test_card as video

from support.paths import VIDEO
from support.scripts import TIMEOUT

FRAME_LINE = re.compile(r"frame (\d+|\?): (\d+)x(\d+) crc32 ([0-9a-f]{8})(?: latency ([\d.]+) ms)?(?: pattern (\d+))?")


def frame_lines(script) -> list[dict]:
    frames = []
    for line in script.stdout:
        match = FRAME_LINE.fullmatch(line)
        if match:
            seq, width, height, crc, latency, pattern = match.groups()
            frames.append(
                dict(
                    seq=None if seq == "?" else int(seq),
                    size=(int(width), int(height)),
                    crc=crc,
                    latency=float(latency) if latency else None,
                    pattern=int(pattern) if pattern else None,
                )
            )
    return frames


def start_video_server(run, *args: str):
    server = run(VIDEO / "server.py", "--bind", "tcp://127.0.0.1:*", "--no-window", "--print-frames", *args)
    address = server.expect(r"Publishing on (\S+) ")[1]
    return server, address


def watched(watcher, frames: int) -> tuple[float, float]:
    """What a client printing its frames (--print-frames) sees in its next `frames` frames: the
    rate at which the server's frame numbers go on (frames a second, however many the client
    skips: a busy computer makes any client skip some) and the median latency, in ms."""
    watcher.skip_seen()
    lines = [watcher.expect(r"^frame (\d+): .* latency ([\d.]+) ms") for _ in range(frames)]
    times = watcher.stdout_times[-frames:]
    rate = (int(lines[-1][1]) - int(lines[0][1])) / (times[-1] - times[0])
    return rate, statistics.median(float(line[2]) for line in lines)


# Well-formed arrays that no video client can show: each once crashed it inside OpenCV.
NOT_VIDEO = {
    "float64 (6,)": np.arange(6.0),
    "0x0x3": np.zeros((0, 0, 3), np.uint8),
    "4-D": np.zeros((4, 4, 3, 1), np.uint8),
    "int64": np.zeros((8, 8, 3), np.int64),
    "uint32": np.zeros((8, 8, 3), np.uint32),
    "2 channels": np.zeros((8, 8, 2), np.uint8),
    "5 channels": np.zeros((8, 8, 5), np.uint8),
    "float32 frame": np.zeros((8, 8, 3), np.float32),
    "1-D uint8": np.zeros(10, np.uint8),
    "too wide": np.zeros((1, 20000), np.uint8),
}


def pattern_frame(number: int, size: tuple[int, int] = (160, 90)) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), 128, np.uint8)
    video.draw_number(frame, number)
    return frame


def send_frame_until_shown(publisher: zmq.Socket, client, number: int) -> None:
    """Send a test-pattern frame until the client prints it (the slow joiner, as send_until_printed)."""
    for _ in range(int(TIMEOUT / 0.2)):
        publisher.send_multipart(wire.encode(pattern_frame(number), seq=number), copy=False)
        try:
            client.expect(rf"^frame {number}: .* pattern {number}$", timeout=0.2)
            return
        except AssertionError:
            pass
    raise AssertionError(f"the client never showed frame {number}")
