"""Messages forged by hand, for the tests: a wire header with any field set to anything."""

from __future__ import annotations

from pubsub_demo import wire


def header(**fields: object) -> bytes:
    """A wire header (wire.HEADER) of a 1-D float64 array of 6 values, but for `fields`
    (magic, version, encoding, code, ndim, seq, sent_at, shape: four sizes)."""
    values = {
        "magic": wire.MAGIC,
        "version": wire.VERSION,
        "encoding": wire.RAW,
        "code": 10,
        "ndim": 1,
        "seq": 0,
        "sent_at": 0.0,
        "shape": (6, 0, 0, 0),
    } | fields
    names = ("magic", "version", "encoding", "code", "ndim", "seq", "sent_at")
    return wire.HEADER.pack(*(values[name] for name in names), *values["shape"])
