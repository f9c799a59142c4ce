"""Reading what a browser asks, with a classroom's port in mind: a request line and its headers,
each within a few KiB, within REQUEST_TIMEOUT seconds; then which of the gateway's few answers it
asks for. Anything else is `Refused`, with the HTTP status to answer and the words to say why.

Nothing is read from the disk: the paths are names of the gateway's answers, not of files.
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple

REQUEST_LINE_MAX = 4096  # bytes: the longest request line taken (a browser's are well under 1 KiB)
HEADERS_MAX = 8192  # bytes of headers in all
HEADER_COUNT_MAX = 64
REQUEST_TIMEOUT = 5.0  # seconds a connection has to send its whole request (a slowloris takes minutes)
PATHS = ("/", "/stream.mjpg", "/frame.jpg", "/events", "/status.json")
STREAMS = ("/stream.mjpg", "/events")  # the paths of a viewer, who stays; the others are answered at once


class Request(NamedTuple):
    method: str  # GET or HEAD
    path: str  # one of PATHS


class Refused(Exception):
    """A request the gateway does not answer: the HTTP `status` to send, and `why` (for the
    terminal and the log); `kind` names the sort of refusal, to say each once per address."""

    def __init__(self, status: int, why: str, kind: str) -> None:
        super().__init__(why)
        self.status, self.why, self.kind = status, why, kind


async def read(reader: asyncio.StreamReader) -> Request:
    """The next request on `reader` (made with limit=REQUEST_LINE_MAX), checked; Refused if it
    is not one the gateway answers; asyncio.IncompleteReadError if the connection closes first."""
    line = await _line(reader, Refused(400, f"a request line over {REQUEST_LINE_MAX // 1024} KiB", "long line"))
    total = count = 0
    while True:
        header = await _line(reader, Refused(431, f"a header over {REQUEST_LINE_MAX // 1024} KiB", "long header"))
        if header in (b"\r\n", b"\n"):
            break
        total, count = total + len(header), count + 1
        if total > HEADERS_MAX or count > HEADER_COUNT_MAX:
            raise Refused(431, f"headers over {HEADERS_MAX // 1024} KiB or {HEADER_COUNT_MAX} lines", "long headers")
    return parse(line)


async def _line(reader: asyncio.StreamReader, too_long: Refused) -> bytes:
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise too_long from None


def parse(line: bytes) -> Request:
    """The request a request line asks for (`GET /events HTTP/1.1`), or Refused: 400 for what is
    not HTTP, 405 for a method other than GET and HEAD, 404 for a path that is not one of PATHS."""
    words = line.decode("latin-1").split()
    if len(words) != 3 or not words[2].startswith("HTTP/1."):
        raise Refused(400, "not an HTTP request", "not http")
    method, target, _ = words
    if method not in ("GET", "HEAD"):
        raise Refused(405, f"the method {method[:16]!r}: only GET and HEAD are answered", "method")
    path = target.split("?", 1)[0].split("#", 1)[0]
    if path not in PATHS:
        raise Refused(404, f"the path {path[:64]!r}, which is none of the page's", "path")
    return Request(method, path)
