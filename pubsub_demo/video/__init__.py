"""Frames: video sources and the test card, an OpenCV window and where it goes, captions, the stats line, the screen."""

from __future__ import annotations

from typing import NamedTuple


class Shown(NamedTuple):
    """How a video client shows its frames, as its options say (cli.options.video_client): in a
    window or as stats lines only, where, with the stats line drawn on it, a line printed per
    frame, for how many frames, and how long each pretends to take (--delay: a slow client)."""

    window: bool
    position: tuple[int, int] | None
    overlay: bool
    describe: bool
    frames: int | None
    delay: float
