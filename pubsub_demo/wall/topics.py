"""A camera's message to the wall: [topic, frame], its topic the camera's name; making and checking it.

A SUB socket's subscriptions are prefixes of a message's first part, and they travel to every
publisher, which sends only what matches. So the first part is the camera's name, ended by a
byte no name contains (b"ann\\0"): subscribing to "ann" then never takes in "anna" too. The
second part is a frame in the wire format (wire.py), header and pixels in one part.

Names are short and plain (letters, digits, "-", "_", "."): they are drawn on the wall with
OpenCV's fonts, which have ASCII only, and a host name fits.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from pubsub_demo import wire
from pubsub_demo.wire import MAX_SIDE, WALL_MAX_BYTES, Buffer, WireError

SEPARATOR = b"\0"  # ends a name in a topic: no name contains it
MAX_NAME = 32  # characters
_NAME = re.compile(rf"[A-Za-z0-9._-]{{1,{MAX_NAME}}}")
PARTS = 2  # [topic, frame]


def name_problem(name: str) -> str | None:
    """What is wrong with `name` as a camera's name, in words for a usage error; None if nothing is."""
    if _NAME.fullmatch(name):
        return None
    return (
        f"{name!r} is not a camera name: 1 to {MAX_NAME} letters, digits, '-', '_' or '.' "
        "(the wall's font has ASCII only)"
    )


def default_name(keydir: Path | None = None) -> str:
    """A camera's name when none is given: with CURVE, its key folder's (keys/client7: "client7",
    the name the wall knows its key by); else this computer's host name, made a valid name."""
    if keydir is not None and _NAME.fullmatch(keydir.name):
        return keydir.name
    host = socket.gethostname().split(".")[0]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", host).strip("-")[:MAX_NAME]
    return name or "camera"


def topic(name: str) -> bytes:
    """The topic a camera publishes under: its name and the separator."""
    return name.encode("ascii") + SEPARATOR


def subscriptions(only: Sequence[str] | None) -> list[bytes]:
    """What the wall subscribes to: every camera (b""), or the topics of the cameras `only` names."""
    return [b""] if only is None else [topic(name) for name in only]


class Arrival(NamedTuple):
    """A camera's checked message, not decoded yet: from whom, and the frame (wire format, one part)."""

    name: str  # the camera's: with CURVE, the name of its key; else the one it claims
    claimed: str  # the name in its topic
    address: str  # where it came from
    seq: int
    sent_at: float
    size: int  # bytes on the wire
    shape: tuple[int, ...]  # the picture's, as its header says
    frame: Buffer

    def decode(self, reduce: int = 1) -> wire.Message:
        """The picture, at 1/`reduce` of its size if it is a JPEG image (see wire.decode)."""
        return wire.decode([self.frame], max_bytes=WALL_MAX_BYTES, reduce=reduce)


def read(parts: Sequence[Buffer], *, address: str, key: str | None = None, max_bytes: int = WALL_MAX_BYTES) -> Arrival:
    """Check a message that came to the wall from `address` (with CURVE, from the camera whose key
    is named `key`) without decoding its picture; raise WireError if it is not a camera's frame:
    two parts, a name, a valid header (wire.read_header), a picture (8-bit grey or BGR, 1 to
    MAX_SIDE pixels on a side)."""
    if len(parts) != PARTS:
        raise WireError(f"a message of {len(parts)} part{'s' * (len(parts) != 1)}: a camera sends 2, [name, frame]")
    first = bytes(memoryview(parts[0])[: MAX_NAME + 2])  # a longer one is no name: not copied whole
    claimed = first[:-1].decode("ascii", "replace")
    if not first.endswith(SEPARATOR) or name_problem(claimed):
        raise WireError(f"not a camera's name: {first[: MAX_NAME + 1]!r}")
    header = wire.read_header(parts[1:], max_bytes=max_bytes)
    shape = header.shape
    if (
        header.dtype != np.uint8
        or len(shape) not in (2, 3)
        or (len(shape) == 3 and shape[2] != 3)
        or not (0 < shape[0] <= MAX_SIDE and 0 < shape[1] <= MAX_SIDE)
    ):
        raise WireError(f"this is not video ({header.dtype} array of shape {shape})")
    size = sum(memoryview(part).nbytes for part in parts)
    return Arrival(key or claimed, claimed, address, header.seq, header.sent_at, size, shape, parts[1])
