"""A camera's messages on their own: names, topics, and the checks a wall makes before decoding."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from pubsub_demo import wire
from pubsub_demo.wall import topics
from pubsub_demo.wall.topics import read, subscriptions, topic
from pubsub_demo.wire import WALL_MAX_BYTES, WireError


def frame(shape=(18, 32, 3), dtype=np.uint8, seq=5, jpeg=None) -> bytes:
    (part,) = wire.encode(np.zeros(shape, dtype), seq, jpeg_quality=jpeg, one_part=True)
    return bytes(part)


def test_no_name_s_topic_is_a_prefix_of_another_s():
    """A subscription is a prefix: "ann" must not take in "anna"'s frames."""
    names = ["ann", "anna", "a", "ann.b", "ann-2"]
    for mine in names:
        for other in names:
            if mine != other:
                assert not topic(other).startswith(topic(mine)), (mine, other)
    assert subscriptions(None) == [b""]  # every camera
    assert subscriptions(["ann", "bob"]) == [b"ann\0", b"bob\0"]


@pytest.mark.parametrize("name", ["ann", "Student-7", "host.local", "a_b", "x" * 32])
def test_good_names(name):
    assert topics.name_problem(name) is None


@pytest.mark.parametrize("name", ["", "x" * 33, "ann bob", "Анна", "a,b", "a\0b", "a/b"])
def test_bad_names_are_said_why(name):
    assert "not a camera name" in topics.name_problem(name)


def test_a_camera_s_default_name_is_its_key_folder_s_or_a_valid_host_name():
    assert topics.default_name(Path("keys/client7")) == "client7"
    name = topics.default_name(None)
    assert topics.name_problem(name) is None


def test_a_good_message_is_read_without_decoding_its_picture():
    arrival = read([b"ann\0", frame(seq=9, jpeg=80)], address="10.0.0.2")
    assert (arrival.name, arrival.claimed, arrival.address, arrival.seq, arrival.shape) == (
        "ann",
        "ann",
        "10.0.0.2",
        9,
        (18, 32, 3),
    )
    assert arrival.decode().array.shape == (18, 32, 3)
    keyed = read([b"ann\0", frame()], address="10.0.0.2", key="client3")
    assert (keyed.name, keyed.claimed) == ("client3", "ann")  # with CURVE: named after its key


@pytest.mark.parametrize(
    "parts, says",
    [
        ([frame()], "a message of 1 part: a camera sends 2"),
        ([b"ann\0", frame(), b"x"], "a message of 3 parts"),
        ([b"ann", frame()], "not a camera's name"),
        ([b"an n\0", frame()], "not a camera's name"),
        ([b"x" * 1000 + b"\0", frame()], "not a camera's name"),
        ([b"ann\0", b"garbage"], "too short for a header"),
        ([b"ann\0", frame((6,), np.float64)], "this is not video (float64 array of shape (6,))"),
        ([b"ann\0", frame((4, 4, 4))], "this is not video"),
        ([b"ann\0", frame((2, 2), np.uint16)], "this is not video"),
    ],
)
def test_what_is_not_a_camera_s_frame_is_refused_with_a_reason(parts, says):
    with pytest.raises(WireError, match=re.escape(says)):
        read(parts, address="10.0.0.2")


def test_a_header_that_asks_for_more_than_the_wall_takes_is_refused_before_anything_is_allocated():
    header = wire.HEADER.pack(wire.MAGIC, wire.VERSION, wire.JPEG, 1, 3, 0, 0.0, 4000, 4000, 3, 0)
    with pytest.raises(WireError, match="over the"):
        read([b"ann\0", header + b"\xff\xd8"], address="10.0.0.2")
    assert 4000 * 4000 * 3 > WALL_MAX_BYTES
