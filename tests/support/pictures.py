"""Pictures and clips for the video server's sources: a numbered test pattern saved as an image or
a one-frame video, and a video written from frames."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pubsub_demo.video import test_card

PICTURE_NUMBER = 4242  # written into the test pictures' row of cells, read back by the clients


def make_picture(path: Path, size: tuple[int, int] = (320, 240)) -> np.ndarray:
    """A test-pattern picture numbered PICTURE_NUMBER, saved as `path` (a .png, .jpg, .avi or
    .mp4 of one frame); the picture as OpenCV reads it back from the file, if it is an image."""
    frame = test_card.TestCard(*size).read()
    test_card.draw_number(frame, PICTURE_NUMBER)
    if path.suffix in (".png", ".jpg"):
        assert cv2.imwrite(str(path), frame)
        return cv2.imread(str(path))
    write_video(path, [frame], fps=25)
    return frame


def write_video(path: Path, frames: list[np.ndarray], fps: float) -> None:
    fourcc = "mp4v" if path.suffix == ".mp4" else "MJPG"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, frames[0].shape[1::-1])
    assert writer.isOpened(), f"cannot write {path.name} here"
    for frame in frames:
        writer.write(frame)
    writer.release()
