"""Which requests the web gateway answers, in-process (web/request.py): GET and HEAD of the page's
own paths, within a few KiB; the rest refused with its status."""

from __future__ import annotations

import asyncio

import pytest

from pubsub_demo.web import request


def read(raw: bytes) -> request.Request:
    async def go() -> request.Request:
        reader = asyncio.StreamReader(limit=request.REQUEST_LINE_MAX)
        reader.feed_data(raw)
        reader.feed_eof()
        return await request.read(reader)

    return asyncio.run(go())


@pytest.mark.parametrize(
    "line, status",
    [
        (b"GET / HTTP/1.1\r\n", None),
        (b"HEAD /stream.mjpg HTTP/1.0\r\n", None),
        (b"GET /status.json?now=1 HTTP/1.1\r\n", None),
        (b"POST / HTTP/1.1\r\n", 405),
        (b"get / HTTP/1.1\r\n", 405),  # methods are case-sensitive
        (b"GET /page.html HTTP/1.1\r\n", 404),
        (b"GET /../web.py HTTP/1.1\r\n", 404),
        (b"GET http://x/ HTTP/1.1\r\n", 404),
        (b"GET / SPDY/3\r\n", 400),
        (b"GET /\r\n", 400),  # HTTP/0.9
        (b"\x16\x03\x01\x00\xa5\r\n", 400),  # a TLS hello
    ],
)
def test_only_get_and_head_of_the_pages_own_paths_are_answered(line: bytes, status: int | None):
    if status is None:
        assert request.parse(line).path in request.PATHS
    else:
        with pytest.raises(request.Refused) as refused:
            request.parse(line)
        assert refused.value.status == status


def test_a_request_line_or_headers_over_a_few_kib_are_refused():
    assert read(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n") == request.Request("GET", "/events")
    for raw, status in (
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: " + b"b" * 5000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"X: 1\r\n" * 100 + b"\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + (b"X: " + b"c" * 3000 + b"\r\n") * 3 + b"\r\n", 431),
    ):
        with pytest.raises(request.Refused) as refused:
            read(raw)
        assert refused.value.status == status
