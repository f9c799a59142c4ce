"""The video server's sources on their own (video/sources.py): a still picture's frames."""

from __future__ import annotations

import numpy as np

from pubsub_demo.video import sources

from support.pictures import make_picture


def test_still_frames_are_new_arrays(tmp_path):
    """Each frame of a still picture must be its own array: the frame before may still be
    waiting in the socket when wire.encode writes the next one's header in front of it."""
    make_picture(tmp_path / "picture.png")
    source = sources.open_source(str(tmp_path / "picture.png"), None, None)
    assert isinstance(source, sources.Still)
    first, second = source.read(), source.read()
    assert np.array_equal(first, second) and not np.shares_memory(first, second)
