"""The web gateway's decisions on their own, in-process: which requests it answers (request.py),
who watches and which refusals are said (viewers.py), what it makes of each message (content.py),
and the newest item for many readers (channel.py)."""

from __future__ import annotations

from pubsub_demo import wire
from pubsub_demo.web import content, request
from pubsub_demo.web.channel import Channel
from pubsub_demo.web.viewers import Viewers

import asyncio
import json

import numpy as np
import pytest


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


def read(raw: bytes) -> request.Request:
    async def go() -> request.Request:
        reader = asyncio.StreamReader(limit=request.REQUEST_LINE_MAX)
        reader.feed_data(raw)
        reader.feed_eof()
        return await request.read(reader)

    return asyncio.run(go())


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


class Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def test_viewers_join_and_leave_with_the_count_and_the_one_too_many_is_refused_once():
    informed, said, logged = [], [], []
    viewers = Viewers(2, clock=Clock(), inform=informed.append, say=said.append, log=logged.append)
    first = viewers.join("10.0.0.2:4000", "/stream.mjpg")
    second = viewers.join("10.0.0.3:4001", "/events")
    assert viewers.join("10.0.0.4:4002", "/stream.mjpg") is None
    assert viewers.join("10.0.0.4:4003", "/stream.mjpg") is None
    assert informed == [
        "viewer 10.0.0.2:4000 joined (/stream.mjpg; 1 watching)",
        "viewer 10.0.0.3:4001 joined (/events; 2 watching)",
    ]
    assert said == ["refused 10.0.0.4:4002: 2 viewers watch already, the most this gateway serves"]
    assert len(logged) == 2  # each time in the log
    assert first is not None and second is not None
    viewers.leave(first, "dropped: it took nothing for 10 s")
    viewers.leave(first)  # once only
    assert informed[-1] == "viewer 10.0.0.2:4000 left, dropped: it took nothing for 10 s (1 watching)"
    assert len(informed) == 3


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


def test_a_reader_gets_the_newest_item_never_a_queue():
    async def go() -> list[tuple[int, str]]:
        channel: Channel[str] = Channel(asyncio.get_running_loop())
        for item in ("a", "b", "c"):
            channel.post(item)  # faster than anyone reads
        await asyncio.sleep(0)  # the loop takes them: one wake-up for all
        first = await asyncio.wait_for(channel.after(0), 1)
        waiting = asyncio.ensure_future(channel.after(first[0]))
        channel.post("d")
        return [first, await asyncio.wait_for(waiting, 1)]

    assert asyncio.run(go()) == [(1, "c"), (2, "d")]
