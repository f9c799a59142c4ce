"""Viewers of an MJPEG stream, for benchmarks/web_viewers.py: N connections to a /stream.mjpg URL
in one asyncio loop, each reading every part as fast as it comes. After the warm-up, for
`--seconds`: each viewer's frames per second, and the age of each frame once it had arrived whole
(now minus its X-Sent, the server's send time), printed as JSON.

Run: python benchmarks/viewers.py http://127.0.0.1:8080/stream.mjpg 30 [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import urllib.parse


class Figures:
    def __init__(self, start: float, end: float) -> None:
        self.start, self.end = start, end
        self.ages: list[float] = []

    def add(self, sent: float | None) -> None:
        now = time.time()
        if self.start <= time.monotonic() < self.end and sent is not None:
            self.ages.append(1000 * (now - sent))

    def result(self) -> dict:
        ages = sorted(self.ages)
        return {
            "fps": len(ages) / (self.end - self.start),
            "age_median": statistics.median(ages) if ages else None,
            "age_worst": ages[-1] if ages else None,
        }


def request(url: str) -> tuple[str, int, bytes]:
    parts = urllib.parse.urlsplit(url)
    assert parts.hostname and parts.port, url
    return parts.hostname, parts.port, f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()


def sent_time(head: bytes) -> float | None:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"x-sent:"):
            return float(line.split(b":", 1)[1])
    return None


def length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    raise ValueError(f"a part without its length: {head[:200]!r}")


async def viewer(url: str, figures: Figures) -> None:
    host, port, asked = request(url)
    reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
    writer.write(asked)
    await reader.readuntil(b"\r\n\r\n")  # the answer's head
    while time.monotonic() < figures.end:
        head = await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(length(head) + 2)  # the JPEG and its CRLF
        figures.add(sent_time(head))
    writer.close()


async def many(url: str, count: int, start: float, end: float) -> list[dict]:
    figures = [Figures(start, end) for _ in range(count)]
    await asyncio.gather(*(viewer(url, one) for one in figures))
    return [one.result() for one in figures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("count", type=int)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warm-up", type=float, default=2.0)
    args = parser.parse_args()
    start = time.monotonic() + args.warm_up
    end = start + args.seconds
    results = asyncio.run(many(args.url, args.count, start, end))
    print(json.dumps({"viewers": results}), flush=True)


if __name__ == "__main__":
    main()
