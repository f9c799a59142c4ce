"""What an option's value may be: argparse types that turn a word of the command line into a
value, or refuse it with a usage error that says why.

Bounds past which a value is a mistake, not a wish, keep every value from ending in a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from pubsub_demo.net import endpoints
from pubsub_demo.wall import topics

MAX_INTERVAL = 3600.0  # seconds: an array an hour
MIN_FPS, MAX_FPS = 0.01, 1000.0
MAX_DELAY = 60.0  # seconds a video client may pretend to spend on a frame
MAX_SILENCE = 3600.0
MAX_POSITION = 100_000  # pixels, for --window-position

Number = TypeVar("Number", int, float)


def address_like(example: str, *, to_connect: bool = False) -> Callable[[str], str]:
    """An option type for an address to bind (tcp://127.0.0.1:5687, tcp://*:5687: all
    interfaces, tcp://127.0.0.1:*: a port the system picks, or ipc:///tmp/demo.sock), or with
    `to_connect`, to connect to (a real host and port); its usage errors show `example`, the
    script's own address, as one to follow."""

    def parse(text: str) -> str:
        problem = endpoints.problem(text, to_connect=to_connect, example=example)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return text

    parse.__name__ = "connect_address" if to_connect else "bind_address"  # argparse names the type in its messages
    return parse


bind_address = address_like("tcp://127.0.0.1:5687")
connect_address = address_like("tcp://127.0.0.1:5687", to_connect=True)


def positive_int(text: str) -> int:
    """A whole number of at least 1 (and at most sys.maxsize, which is "forever" here)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 1")
    if value > sys.maxsize:
        raise argparse.ArgumentTypeError(f"{text} is more than {sys.maxsize}")
    return value


def seed(text: str) -> int:
    """A seed for NumPy's random numbers: a whole number of at least 0."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 0")
    return value


def non_negative(text: str) -> float:
    """A number of at least 0."""
    value = _number(text, float)
    if not value >= 0:  # also false for nan
        raise argparse.ArgumentTypeError(f"{text} is not a number of at least 0")
    return value


def positive_float(text: str) -> float:
    """A number above 0."""
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number above 0")
    return value


def finite(text: str) -> float:
    """Any finite number."""
    value = _number(text, float)
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def at_most(limit: float, kind: Callable[[str], float] = non_negative) -> Callable[[str], float]:
    """An option type: what `kind` (by default a number of at least 0) accepts, up to `limit`."""

    def parse(text: str) -> float:
        value = kind(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"{text} is more than {limit:g}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def frames_per_second(text: str) -> float:
    """0 (as fast as possible) or a rate from MIN_FPS to MAX_FPS."""
    value = non_negative(text)
    if value != 0 and not MIN_FPS <= value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"{text} is not 0 or a rate from {MIN_FPS:g} to {MAX_FPS:g} frames/s")
    return value


def jpeg_quality(text: str) -> int:
    """A JPEG quality from 1 to 100."""
    try:
        value = positive_int(text)
    except argparse.ArgumentTypeError:
        value = 0
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a JPEG quality from 1 to 100")
    return value


def camera_name(text: str) -> str:
    """A camera's name: letters, digits, '-', '_' or '.' (see topics.py)."""
    problem = topics.name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def camera_names(text: str) -> list[str]:
    """Camera names, separated by commas: ann,bob."""
    return [camera_name(name.strip()) for name in text.split(",")]


def window_position(text: str) -> tuple[int, int]:
    """X,Y in pixels, e.g. 0,0."""
    try:
        x, y = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a position like 100,50") from None
    if max(abs(x), abs(y)) > MAX_POSITION:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_POSITION} pixels away")
    return x, y


def _number(text: str, kind: Callable[[str], Number]) -> Number:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def http_address(text: str) -> tuple[str, int]:
    """Where a web server listens: HOST:PORT (127.0.0.1:8080, [::1]:8080; port 0: one the system
    picks), as (host, port)."""
    host, colon, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        raise argparse.ArgumentTypeError(f"{text} is not HOST:PORT (such as 127.0.0.1:8080)")
    return host, int(port)
