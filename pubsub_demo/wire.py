"""The wire format: a NumPy array as a ZeroMQ message, and back.

A message is a fixed 40-byte header followed by the array's raw bytes (or a JPEG image).
One part is cheaper to send than two (see benchmarks/), so a message is one part whenever
that costs no copy of a large array: small arrays are copied next to their header, and an
array made by `empty` already has room for its header in front of it. Any other large array
travels as two parts, [header, array], so that its bytes are not copied on the way out.

The header:

    offset  size  field
    0       4     magic b"ZPSA"
    4       1     version (1)
    5       1     encoding: 0 raw bytes, 1 JPEG
    6       1     dtype code (see DTYPES)
    7       1     number of dimensions, 0 to 4
    8       8     sequence number (unsigned)
    16      8     time the sender sent it (seconds since the epoch, float)
    24      16    shape: four unsigned 32-bit sizes, unused ones 0

Everything is little-endian. A new field means a new version number, so an old receiver
rejects what it cannot read instead of misreading it. Nothing here unpickles: the pickle
functions at the bottom exist only for `--pickle`, the original scripts' `send_pyobj` format.
"""

from __future__ import annotations

import functools
import math
import pickle
import struct
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from pubsub_demo import jpeg

MAGIC = b"ZPSA"
VERSION = 1
RAW, JPEG = 0, 1
HEADER = struct.Struct("<4sBBBBQd4I")
MAX_DIMENSIONS = 4

# Codes on the wire → dtypes. Only plain numbers travel: no object, string or structured
# dtypes, so a header can never ask the receiver to build Python objects.
DTYPES: dict[int, np.dtype] = {
    code: np.dtype(name).newbyteorder("<")
    for code, name in enumerate(["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"], start=1)
}
CODES: dict[np.dtype, int] = {dtype: code for code, dtype in DTYPES.items()}
_PADDING = [(0,) * (MAX_DIMENSIONS - ndim) for ndim in range(MAX_DIMENSIONS + 1)]  # unused sizes are 0

# Largest array a receiver accepts unless told otherwise: a 4K BGR frame is 24 MiB.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# What the clients accept, and so what the servers may send (their options are checked against it).
NUMBERS_MAX_BYTES = 16 * 1024 * 1024  # 2 million float64 values: far more than a numbers server sends
VIDEO_MAX_BYTES = DEFAULT_MAX_BYTES  # a raw 4K frame is 24 MiB
# The largest frame the wall takes, as pixels and as a message part: a raw 1920x1080 frame (6.2 MB).
# Each camera's connection holds at most 2 frames at the wall, and the wall keeps one more.
WALL_MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 16384  # pixels: a frame wider or taller than any screen or camera is no video
MAX_PARTS = 2  # a message is [header + payload] or [header, payload]
# Payloads up to this size are copied next to the header in one part; larger ones get a part
# of their own. It matches pyzmq's own threshold below which it copies rather than shares.
ONE_PART_LIMIT = 64 * 1024


class WireError(ValueError):
    """A message that is not a valid array message; the text says what is wrong."""


class Message(NamedTuple):
    """A decoded message: the array and what the header said about it."""

    array: np.ndarray
    seq: int
    sent_at: float = math.nan  # none for a frame not sent yet (the server shows its own)
    size: int = 0  # bytes on the wire, header included


Buffer = Any  # bytes, memoryview, zmq.Frame: anything with the buffer protocol


def empty(shape: tuple[int, ...], dtype: np.dtype | type = np.uint8) -> np.ndarray:
    """A new array with room for a header in front of it, so that `encode` sends header and
    array as one part without copying the array. Video sources make their frames with it."""
    dtype = np.dtype(dtype)
    buffer = np.empty(HEADER.size + math.prod(shape) * dtype.itemsize, np.uint8)
    return buffer[HEADER.size :].view(dtype).reshape(shape)


def encode(array: np.ndarray, seq: int = 0, *, jpeg_quality: int | None = None, one_part: bool = False) -> list[Buffer]:
    """Turn an array into the parts of one message: [header + payload] or [header, payload].

    The payload is the array's bytes, or a JPEG image if `jpeg_quality` (1-100) asks for one
    (for 8-bit images of shape (height, width) or (height, width, 3)). A large raw payload is
    the array itself, not a copy: send the parts with `copy=False`, and leave the array alone
    until it is gone. With `one_part`, always [header + payload]: a large raw array made
    without room for the header in front (see `empty`) is then copied behind one. (A socket
    with ZMQ_CONFLATE would keep only the last part of a message of two.)
    """
    code = CODES.get(array.dtype) or CODES.get(array.dtype.newbyteorder("<"))  # "<" for big-endian ones
    if code is None:
        raise WireError(f"cannot send arrays of dtype {array.dtype}")
    if array.ndim > MAX_DIMENSIONS:
        raise WireError(f"cannot send arrays of more than {MAX_DIMENSIONS} dimensions")
    if jpeg_quality is None:
        encoding, payload = RAW, np.ascontiguousarray(array, dtype=DTYPES[code])
    else:
        encoding, payload = JPEG, _jpeg_encode(array, jpeg_quality)
    shape = array.shape + _PADDING[array.ndim]
    header = HEADER.pack(MAGIC, VERSION, encoding, code, array.ndim, seq, time.time(), *shape)
    if payload.nbytes <= ONE_PART_LIMIT:
        return [header + payload.tobytes()]
    room = _room_in_front(payload)
    if room is None and one_part:
        payload = _with_room_in_front(payload)
        room = _room_in_front(payload)
    if room is not None:
        room[: HEADER.size] = np.frombuffer(header, np.uint8)
        return [room]
    return [header, payload]


def encoder(*, pickle: bool = False, jpeg_quality: int | None = None, one_part: bool = False) -> Callable[..., list]:
    """How a server turns its arrays into messages: `encode` with these settings, or with
    `pickle`, `encode_pickle` (the original scripts' format)."""
    if pickle:
        return encode_pickle
    return functools.partial(encode, jpeg_quality=jpeg_quality, one_part=one_part)


def _with_room_in_front(array: np.ndarray) -> np.ndarray:
    """A copy of `array` made by `empty`, with room for a header in front of it."""
    copy = empty(array.shape, array.dtype)
    copy[...] = array
    return copy


def _room_in_front(array: np.ndarray) -> np.ndarray | None:
    """The buffer that `empty` made for this array, header room included; None for other arrays."""
    owner = array.base
    if (
        isinstance(owner, np.ndarray)
        and owner.dtype == np.uint8
        and owner.ndim == 1
        and owner.nbytes == HEADER.size + array.nbytes
        and array.flags.c_contiguous
        and array.ctypes.data == owner.ctypes.data + HEADER.size
    ):
        return owner
    return None


class Header(NamedTuple):
    """What a message's header says, checked (see `read_header`), and where its payload is."""

    encoding: int
    dtype: np.dtype
    shape: tuple[int, ...]
    seq: int
    sent_at: float
    payload: Buffer  # the part that holds the payload...
    offset: int  # ...from this byte on
    size: int  # bytes of payload


def read_header(parts: Sequence[Buffer], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Header:
    """Check a message's header, before anything is allocated; raise WireError if anything is off:
    the magic and version, a known encoding and dtype, and a shape whose size is at most
    `max_bytes` and, for raw arrays, matches the payload exactly."""
    return Header(*_checked(parts, max_bytes))


def _checked(parts: Sequence[Buffer], max_bytes: int) -> tuple:
    """`read_header`'s work as a plain tuple (the named one cost the numbers a tenth of their rate)."""
    if len(parts) == 1:  # header and payload together
        payload, offset = parts[0], HEADER.size
    elif len(parts) == 2:
        payload, offset = parts[1], 0
        if len(parts[0]) != HEADER.size:
            raise WireError(f"header is {len(parts[0])} bytes, expected {HEADER.size}")
    else:
        raise WireError(f"expected 1 or 2 parts, got {len(parts)}")
    if len(parts[0]) < HEADER.size:
        raise WireError(f"message of {len(parts[0])} bytes is too short for a header")
    fields = HEADER.unpack_from(parts[0])
    magic, version, encoding, code, ndim, seq, sent_at = fields[:7]
    if magic != MAGIC:
        if len(parts) == 1 and memoryview(parts[0])[0] == 0x80:  # how pickles start
            raise WireError("received a pickle; start with --pickle to accept pickled arrays")
        raise WireError("not an array message (wrong magic bytes)")
    if version != VERSION:
        raise WireError(f"unsupported format version {version}")
    dtype = DTYPES.get(code)
    if dtype is None:
        raise WireError(f"unknown dtype code {code}")
    shape, unused = fields[7 : 7 + ndim], fields[7 + ndim :]
    if ndim > MAX_DIMENSIONS or any(unused):
        raise WireError(f"bad shape {fields[7:]} for {ndim} dimensions")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > max_bytes:
        raise WireError(f"array of {nbytes} bytes is over the {max_bytes}-byte limit")
    if math.prod(side or 1 for side in shape) * dtype.itemsize > max_bytes:  # numpy refuses it too
        raise WireError(f"empty array of shape {tuple(shape)}: its other sides are over the {max_bytes}-byte limit")
    size = len(payload) - offset
    if encoding == RAW and size != nbytes:
        raise WireError(f"header says {nbytes} bytes, payload has {size}")
    if encoding not in (RAW, JPEG):
        raise WireError(f"unknown encoding {encoding}")
    return encoding, dtype, shape, seq, sent_at, payload, offset, size


def decode(parts: Sequence[Buffer], *, max_bytes: int = DEFAULT_MAX_BYTES, reduce: int = 1) -> Message:
    """Check a received message (`read_header`) and build its array; raise WireError if anything is off.

    The array is writable, so OpenCV can draw on it: a small one is a copy, a large one shares
    the message's memory (receive it as a zmq.Frame, which is writable, rather than as bytes,
    which are not). A JPEG image is decoded at 1/`reduce` of its size (2, 4 or 8: cheaper than
    decoding it whole and shrinking it); a raw array is always whole.
    """
    encoding, dtype, shape, seq, sent_at, payload, offset, size = _checked(parts, max_bytes)
    if encoding == RAW:
        array = np.ndarray(shape, dtype, payload, offset)
        if size <= ONE_PART_LIMIT:
            array = array.copy()  # a few bytes: copying beats keeping the whole message alive
    else:
        array = _jpeg_decode(np.frombuffer(payload, np.uint8, size, offset), dtype, shape, reduce)
    return Message(array, seq, sent_at, HEADER.size + size)


def message_size(parts: Sequence[Buffer]) -> int:
    """Bytes on the wire of a message made of `parts`."""
    return sum(memoryview(part).nbytes for part in parts)


def encode_pickle(array: np.ndarray, seq: int = 0) -> list[bytes]:
    """The original scripts' format: one part, exactly what `socket.send_pyobj(array)` sends."""
    return [pickle.dumps(array, pickle.DEFAULT_PROTOCOL)]


def decode_pickle(parts: Sequence[Buffer]) -> Message:
    """Unpickle a `send_pyobj` message. Only for --pickle: unpickling runs the sender's code."""
    if len(parts) != 1:
        raise WireError(f"expected 1 pickled part, got {len(parts)}")
    if bytes(memoryview(parts[0])[: len(MAGIC)]) == MAGIC:
        raise WireError("this is the demo's own format, not a pickle: start without --pickle")
    try:
        value = pickle.loads(parts[0])
    except Exception as error:  # a bad pickle can raise almost anything
        raise WireError(f"cannot unpickle: {error}") from error
    if not isinstance(value, np.ndarray):
        raise WireError(f"expected a pickled array, got {type(value).__name__}")
    # The original format carries no sequence number or time stamp.
    return Message(value, -1, math.nan, len(parts[0]))


def _jpeg_encode(image: np.ndarray, quality: int) -> np.ndarray:
    import cv2  # only JPEG needs OpenCV; the numbers scripts start faster without it

    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise WireError("JPEG needs an 8-bit grey or BGR image")
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise WireError("OpenCV could not encode the image as JPEG")
    return data


def _jpeg_decode(data: np.ndarray, dtype: np.dtype, shape: tuple[int, ...], reduce: int = 1) -> np.ndarray:
    import cv2

    if dtype != np.uint8 or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise WireError(f"JPEG header with dtype {dtype} and shape {shape}")
    size = jpeg.size(data)
    if size != shape[:2]:  # checked before decoding: a JPEG's own header could ask for gigabytes
        raise WireError(f"JPEG of size {size}, header says {shape[:2]}")
    image = cv2.imdecode(data, jpeg.READ_FLAGS[reduce][len(shape) == 3])
    expected = (-(-shape[0] // reduce), -(-shape[1] // reduce)) + shape[2:]  # libjpeg rounds up
    if image is None or image.shape != expected:
        found = "nothing" if image is None else f"shape {image.shape}"
        raise WireError(f"JPEG payload decodes to {found}, header says {shape}")
    return image
