"""What the web gateway makes of each message, in-process (web/content.py): a JPEG frame as it
came, a raw one encoded once, numbers as JSON, and what no browser shows refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pubsub_demo import wire
from pubsub_demo.web import content


def test_a_jpeg_frame_is_passed_on_as_it_came_and_a_raw_one_is_encoded_once():
    frame = np.zeros((90, 160, 3), np.uint8)
    frame[:, 80:] = 255
    sent = wire.encode(frame, 7, jpeg_quality=70)
    decoded = content.decoder()(sent)
    assert isinstance(decoded, content.Jpeg) and decoded.seq == 7
    assert decoded.data == b"".join(bytes(part) for part in sent)[wire.HEADER.size :]  # the very bytes sent
    raw = content.decoder()(wire.encode(frame, 8))
    assert isinstance(raw, content.Jpeg) and raw.data[:2] == b"\xff\xd8"


def test_numbers_become_json_that_javascript_reads_back_as_the_server_printed_them():
    values = np.array([6250.954666046669, 0.1 + 0.2, 1e-7, float("inf")])
    message = content.decoder()(wire.encode(values, 3))
    record = json.loads(content.numbers_json(message))
    assert record["seq"] == 3 and record["count"] == 4
    assert record["values"] == [6250.954666046669, 0.30000000000000004, 1e-07, "inf"]


@pytest.mark.parametrize(
    "array",
    [np.zeros((4, 4, 4), np.uint8), np.zeros((3, 3), np.float32), np.zeros((2, 2, 2, 2), np.int16)],
)
def test_what_no_browser_shows_is_a_bad_message(array):
    with pytest.raises(wire.WireError):
        content.decoder()(wire.encode(array))
