"""Video sources for the video server and the wall's cameras: a file (played in a loop), a
camera, a still picture, or the test pattern (test_card.py).

A picture (PNG, JPEG, ...) or a video of a single frame is served as a video whose frames are
all the same. OpenCV, FFmpeg and the image libraries print their own complaints about a source
they cannot read; those are kept off the terminal, where the server says in one line what is
wrong.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Protocol

import cv2
import numpy as np

from pubsub_demo import wire
from pubsub_demo.process import pacing
from pubsub_demo.process.logs import Fatal
from pubsub_demo.video.test_card import CARD_SIZE, DEFAULT_FPS, NamedTestCard, TestCard
from pubsub_demo.wire import VIDEO_MAX_BYTES, WALL_MAX_BYTES

FFMPEG_QUIET = "-8"  # AV_LOG_QUIET, for OPENCV_FFMPEG_LOGLEVEL


class Source(Protocol):
    fps: float

    def read(self) -> np.ndarray: ...

    def close(self) -> None: ...


class Still:
    """One picture served as a video: the same frame again and again, `fps` times a second."""

    def __init__(self, picture: np.ndarray, fps: float = DEFAULT_FPS) -> None:
        self.picture, self.fps = picture, fps

    def read(self) -> np.ndarray:
        # A new frame each time, never the same array twice: wire.encode writes each frame's
        # header into the room in front of it while the frame before may still wait in the socket.
        frame = wire.empty(self.picture.shape, self.picture.dtype)
        frame[...] = self.picture
        return frame

    def close(self) -> None:
        pass


class VideoFile:
    """A video file or a camera, through OpenCV; a file starts again when it ends."""

    def __init__(self, spec: str) -> None:
        self.is_camera = spec.isdigit()
        self.name = f"camera {spec}" if self.is_camera else spec
        self.capture = cv2.VideoCapture(int(spec) if self.is_camera else spec)
        if not self.capture.isOpened():
            message = f"cannot open {self.name}: {_why_not(spec)}"
            raise Fatal(message, warning=f"Opening video warning: {message}")
        fps = self.capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 0 < fps < 1000 else DEFAULT_FPS

    @property
    def size(self) -> tuple[int, int]:
        """The frames' width and height, as the file or camera tells them (0 if it does not)."""
        return int(self.capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self.capture.get(cv2.CAP_PROP_FRAME_HEIGHT))

    def read(self) -> np.ndarray:
        ok, frame = self.capture.read(self._new_frame())
        if not ok and not self.is_camera:  # the end of the file: rewind, as the original did
            self.rewind()
            ok, frame = self.capture.read(self._new_frame())
        if not ok:
            raise Fatal(
                f"cannot read a frame from {self.name}",
                warning=f"Opening video warning: cannot read a frame from {self.name}",
            )
        return frame

    def has_more_frames(self) -> bool:
        """Whether another frame follows; it is skipped (rewind to read it again)."""
        return self.is_camera or self.capture.grab()

    def rewind(self) -> None:
        self.capture.set(cv2.CAP_PROP_POS_FRAMES, 0)

    def _new_frame(self) -> np.ndarray:
        """A frame for OpenCV to decode into, made to travel without a copy (see wire.empty)."""
        width, height = self.size
        return wire.empty((height, width, 3))

    def close(self) -> None:
        self.capture.release()


def open_source(
    spec: str | None,
    width: int | None,
    height: int | None,
    *,
    pattern: Callable[[int, int], Source] = TestCard,
    max_bytes: int = VIDEO_MAX_BYTES,
    receivers: str = "the clients'",
) -> Source:
    """The source that --video names (None: the test pattern, made by `pattern` for a width and
    a height), checked by reading a frame.

    A picture, or a video of a single frame, becomes a `Still` (resized once, here). Frames
    too large for the `receivers` (their `max_bytes`, see `check_frame_size`) stop the sender
    before any is sent.
    """
    if spec is None:
        size = width or CARD_SIZE[0], height or CARD_SIZE[1]
        check_frame_size(size, max_bytes, receivers)
        return pattern(*size)
    with _quiet_libraries():
        picture = _read_picture(spec)
        if picture is not None:
            check_frame_size(output_size(picture.shape[1], picture.shape[0], width, height), max_bytes, receivers)
            return Still(resize(picture, width, height))
        source = VideoFile(spec)
        if all(source.size):  # the size the file says: checked before a frame that large is decoded
            check_frame_size(output_size(*source.size, width, height), max_bytes, receivers)
        first = source.read()  # in case it said none:
        check_frame_size(output_size(first.shape[1], first.shape[0], width, height), max_bytes, receivers)
        if not source.has_more_frames():
            source.close()
            return Still(resize(first, width, height))
        if not source.is_camera:
            source.rewind()
        return source


def check_frame_size(size: tuple[int, int], max_bytes: int = VIDEO_MAX_BYTES, receivers: str = "the clients'") -> None:
    """Stop (Fatal) if frames of `size` (width, height) would not fit in the `receivers`' message
    limit, `max_bytes` (the video clients', by default).

    A receiver drops the connection of a message over its limit, so such frames would never show.
    """
    nbytes = wire.HEADER.size + size[0] * size[1] * 3
    if nbytes > max_bytes:
        mib = 1024 * 1024
        raise Fatal(
            f"frames of {size[0]}x{size[1]} pixels take {nbytes / mib:.0f} MiB, over {receivers} "
            f"{max_bytes // mib} MiB limit: make them smaller with --width or --height"
        )


def frames(source: Source, width: int | None, height: int | None) -> Iterator[np.ndarray]:
    """Frames from `source` without end, resized if a width or height is asked for."""
    while True:
        yield resize(source.read(), width, height)


def output_size(w: int, h: int, width: int | None, height: int | None) -> tuple[int, int]:
    """The size (width, height) that `resize` makes of a w x h frame: a width or a height alone
    keeps the frame's proportions."""
    if width and height:
        return width, height
    if width:
        return width, max(1, round(h * width / w))
    if height:
        return max(1, round(w * height / h)), height
    return w, h


def resize(frame: np.ndarray, width: int | None, height: int | None) -> np.ndarray:
    """`frame` at the size that --width and --height ask for (itself if that is its size)."""
    h, w = frame.shape[:2]
    size = output_size(w, h, width, height)
    if size == (w, h):
        return frame
    return cv2.resize(
        frame, size, dst=wire.empty((size[1], size[0]) + frame.shape[2:], frame.dtype), interpolation=cv2.INTER_AREA
    )


def _read_picture(spec: str) -> np.ndarray | None:
    """The picture in the file `spec` (as BGR), or None if it is not a picture of one frame
    (an animated GIF, say, plays as a video). imread decodes as image viewers do: a JPEG
    through FFmpeg, as a video, would come out in slightly different colours."""
    if not (os.path.isfile(spec) and cv2.haveImageReader(spec) and cv2.imcount(spec) == 1):
        return None
    with _stderr_to_devnull():  # libpng and libjpeg print their complaints themselves
        return cv2.imread(spec, cv2.IMREAD_COLOR)


def _why_not(spec: str) -> str:
    """Why OpenCV could not open `spec`, as far as we can tell."""
    if spec.isdigit():
        return "no such camera, or it is in use"
    if os.path.isdir(spec):
        return "it is a folder"
    if "://" not in spec and not os.path.exists(spec):
        return "no such file"
    if os.path.isfile(spec) and os.path.getsize(spec) == 0:
        return "the file is empty"
    return "OpenCV cannot read it as a video or a picture"


LOG_LEVEL_SILENT = 0  # OpenCV's cv::utils::logging::LOG_LEVEL_SILENT


@contextlib.contextmanager
def _quiet_libraries() -> Iterator[None]:
    """While a source opens, keep OpenCV's and FFmpeg's own messages off the terminal (with no
    camera, OpenCV tries three ways to open one and says so in a dozen lines).

    OpenCV's log level goes back to what it was afterwards. FFmpeg's (inside OpenCV) is read
    from OPENCV_FFMPEG_LOGLEVEL when the first capture opens, so it stays quiet for the whole
    run: its complaints about a damaged file while it plays are no more use. Either variable,
    set by the user (OPENCV_LOG_LEVEL=DEBUG, say), is left alone.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", FFMPEG_QUIET)
    # OpenCV 5 has them in cv2.utils.logging; 4.x (the newest for macOS 12: 4.10) as cv2's own
    logging = getattr(cv2.utils, "logging", cv2)
    level = logging.getLogLevel()
    if "OPENCV_LOG_LEVEL" not in os.environ:
        logging.setLogLevel(LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        logging.setLogLevel(level)


@contextlib.contextmanager
def _stderr_to_devnull() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for a while: for C libraries that print to stderr
    and have no switch for it."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def open_for_wall(spec: str | None, name: str, width: int | None, height: int | None, fps: float) -> Source:
    """A camera's source (see `open_source`): --video's, or the test pattern with the camera's
    `name` on it (test_card.NamedTestCard); frames no larger than the wall takes."""
    return open_source(
        spec,
        width,
        height,
        pattern=lambda w, h: NamedTestCard(name, w, h, fps),
        max_bytes=WALL_MAX_BYTES,
        receivers="the wall's",
    )


class Playback:
    """A sender's frames from `source`, numbered from 0: `fps` a second on a steady clock (0: as
    fast as they come), resized to `width` x `height` if asked, `count` of them (None: for ever).
    Iterate over it for (number, frame); use it in a `with` block, which closes the source."""

    def __init__(self, source: Source, fps: float, width: int | None, height: int | None, count: int | None) -> None:
        self.source, self.fps, self.width, self.height, self.count = source, fps, width, height, count

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        ticks = pacing.ticks(1 / self.fps if self.fps else 0, self.count)
        return zip(ticks, frames(self.source, self.width, self.height))

    def __enter__(self) -> Playback:
        return self

    def __exit__(self, *exc: object) -> None:
        self.source.close()


def playback(spec: str | None, width: int | None, height: int | None, fps: float | None, count: int | None) -> Playback:
    """A video server's frames: --video's (see `open_source`), at `fps` (None: the video's own rate)."""
    source = open_source(spec, width, height)
    return Playback(source, source.fps if fps is None else fps, width, height, count)


def camera(
    spec: str | None, name: str, width: int | None, height: int | None, fps: float, count: int | None
) -> Playback:
    """A camera's frames (see `open_for_wall`), `fps` a second."""
    return Playback(open_for_wall(spec, name, width, height, fps), fps, width, height, count)
