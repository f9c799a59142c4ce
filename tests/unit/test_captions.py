"""captions.draw_text on its own: text on pictures of any shape."""

from __future__ import annotations

import numpy as np
import pytest

from pubsub_demo.video import captions


@pytest.mark.parametrize("shape", [(1, 1, 3), (7, 7), (8, 40, 3), (5000, 2, 3), (2, 5000), (720, 1280, 3), (360, 640)])
def test_text_is_drawn_on_pictures_of_any_shape(shape):
    picture = np.full(shape, 200, np.uint8)
    captions.draw_text(picture, "waiting for tcp://127.0.0.1:5688… " * 3, 0.33)
    captions.draw_text(picture, "30.0 frames/s, latency 0.7 ms, dropped 0", 1.0, middle=True)
    if shape[0] >= 40 and shape[1] >= 64:  # large enough for text to show
        assert (picture > 200).any() and (picture < 100).any(), "no text on a dark band"
