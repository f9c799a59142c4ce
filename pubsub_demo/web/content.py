"""What the web gateway makes of each message: a frame as a JPEG image, encoded once whatever the
number of viewers (a JPEG frame as it came, not decoded at all), or a row of numbers as JSON.

A browser shows JPEG and reads JSON: so the gateway turns each message into those once, as it
arrives, and every viewer is sent the same bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence

import numpy as np

from pubsub_demo import wire
from pubsub_demo.client import receiving

from ..wire import VIDEO_MAX_BYTES, Message, WireError

JPEG_QUALITY = 80  # for raw frames: what the video server sends with --share
MAX_VALUES = 1000  # values of an array shown on the page: a numbers server may send millions


class Jpeg(Message):
    """A frame as a JPEG image: its `array` holds the JPEG file's bytes (uint8, flat)."""

    __slots__ = ()

    @property
    def data(self) -> bytes:
        return self.array.tobytes()


def decoder(*, pickle: bool = False) -> Callable[[Sequence[wire.Buffer]], Message]:
    """How the gateway decodes a message's parts (receiving.receive's `decode`): a picture becomes a
    Jpeg, a row of numbers a flat array; anything else is a WireError. With `pickle`, the original
    scripts' format."""

    def decode(parts: Sequence[wire.Buffer]) -> Message:
        if pickle:
            return _classify(wire.decode_pickle(parts))
        header = wire.read_header(parts, max_bytes=VIDEO_MAX_BYTES)
        if header.encoding != wire.JPEG:
            return _classify(wire.decode(parts, max_bytes=VIDEO_MAX_BYTES))
        _check_picture(header.dtype, header.shape)
        jpeg = np.frombuffer(header.payload, np.uint8, header.size, header.offset).copy()  # the frame is reused
        if jpeg[:2].tobytes() != b"\xff\xd8":
            raise WireError("the JPEG payload does not start as a JPEG image does")
        return Jpeg(jpeg, header.seq, header.sent_at, wire.HEADER.size + header.size)

    return decode


def _check_picture(dtype: np.dtype, shape: tuple[int, ...]) -> None:
    """What a browser can show: receiving.video_only's rules, checked on the header alone."""
    if dtype != np.uint8 or len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] != 3):
        raise WireError(f"this is not video ({dtype} array of shape {shape})")
    if not all(0 < side <= wire.MAX_SIDE for side in shape[:2]):
        raise WireError(f"a frame of {shape[1]}x{shape[0]} pixels is no video")


def _classify(message: Message) -> Message:
    """A picture becomes a Jpeg (encoded here, once); a row of numbers stays as it is."""
    array = message.array
    if array.dtype == np.uint8 and array.ndim in (2, 3):
        receiving.video_only(message)  # raises for what no browser shows
        import cv2  # only pictures need OpenCV

        ok, jpeg = cv2.imencode(".jpg", array, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise WireError("OpenCV could not encode the frame as JPEG")
        return Jpeg(jpeg.reshape(-1), message.seq, message.sent_at, message.size)
    return receiving.numbers_only(message)


def numbers_json(message: Message) -> bytes:
    """An array as the page reads it: its number, when it was sent, its values (the first
    MAX_VALUES), and how many there were. Python and JavaScript write a float alike (the shortest
    text that reads back the same), so the page shows what the server printed."""
    values = [float(value) for value in message.array[:MAX_VALUES]]
    sent = None if math.isnan(message.sent_at) else message.sent_at
    record = {"seq": message.seq, "sent": sent, "values": values, "count": int(message.array.size)}
    return json.dumps(record, allow_nan=False, separators=(",", ":")).encode() if _finite(values) else _text(record)


def _finite(values: list[float]) -> bool:
    return all(math.isfinite(value) for value in values)


def _text(record: dict) -> bytes:
    """JSON has no inf or nan: those values travel as the strings "inf", "-inf", "nan"."""
    record["values"] = [value if math.isfinite(value) else str(value) for value in record["values"]]
    return json.dumps(record, separators=(",", ":")).encode()


def frame_json(message: Message) -> bytes:
    """A frame as /events tells it: its number and when the server sent it (for its age)."""
    sent = None if math.isnan(message.sent_at) else message.sent_at
    return json.dumps({"frame": message.seq, "sent": sent}, separators=(",", ":")).encode()


def frame_head(message: Message, length: int) -> bytes:
    """A frame's part of the MJPEG stream, up to the viewer's own header (see streams.py): the
    boundary, its type and length, and the frame's number and send time, for the page's age."""
    sent = "" if math.isnan(message.sent_at) else f"X-Sent: {message.sent_at:.6f}\r\n"
    return (
        f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {length}\r\nX-Frame: {message.seq}\r\n{sent}"
    ).encode()
