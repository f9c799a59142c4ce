"""The gateway's HTTP side: an asyncio loop in a thread of its own, which answers browsers with
what the script's receive loop `show`s it.

Why asyncio (the standard library's, no new dependency) rather than a thread per viewer (the
standard library's ThreadingHTTPServer, the usual way): at 100 viewers the one loop gives each the
same rate where threads share the interpreter unevenly, for the same CPU (benchmarks/
web_viewers.py, docs/performance.md). And a viewer that stopped reading then costs nothing but its one frame, not a
thread held in a write; a connection that never finishes its request is a timer.

The script's main thread keeps its ZeroMQ socket (a socket is not thread-safe) and hands each
message over with `show`; the loop never touches the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from importlib import resources

from pubsub_demo.client.diagnosis import ConnectionStatus
from pubsub_demo.net import endpoints
from pubsub_demo.process import logs
from pubsub_demo.video.stats import Figures, Stats

from ..wire import Message
from . import content, replies, request, sharing, streams
from .channel import Channel
from .streams import Frame
from .viewers import Viewer, Viewers

SPARE_CONNECTIONS = 64  # connections beyond --max-viewers that may be asking for a page at a time
LINGER = 1.0  # seconds to read what a refused connection still sends, so that it gets our answer
START_TIMEOUT = 10.0  # seconds for the loop to start listening, or to stop


class Gateway:
    """What browsers are served, fed by `show` from the script's thread; the rest runs in `loop`."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, status: ConnectionStatus, most: int, shared: str | None
    ) -> None:
        self.loop, self.status, self.shared = loop, status, shared
        self.frames: Channel[Frame] = Channel(loop)
        self.arrays: Channel[bytes] = Channel(loop)
        self.viewers = Viewers(most)
        self.kind: str | None = None  # "video" or "numbers", once a message came
        self.news: str | None = None
        self.stats = Stats()
        self.figures: Figures | None = None  # the last second's, once a second
        self.page = resources.files(__package__).joinpath("page.html").read_bytes()  # read once: nothing else is
        self.qr = sharing.qr_svg(shared) if shared else None
        self.connections = 0
        self._tasks: set[asyncio.Task] = set()

    def show(self, message: Message | None, news: str | None) -> None:
        """Call from the script's receive loop with each message (None when nothing came for a
        moment) and what its ConnectionStatus says is wrong (None while data flows)."""
        self.news = news
        if message is not None:
            self.stats.add(message)
            if isinstance(message, content.Jpeg):
                self.kind = "video"
                jpeg = message.data
                self.frames.post(Frame(content.frame_head(message, len(jpeg)), jpeg, message.seq, message.sent_at))
                self.arrays.post(replies.event(content.frame_json(message)))  # /events: its number and time
            else:
                self.kind = "numbers"
                self.arrays.post(replies.event(content.numbers_json(message)))
        if self.stats.due():
            self.figures = self.stats.figures()

    def state(self) -> dict:
        """/status.json: the server's state in the clients' words, the viewers, the rates."""
        now = time.monotonic()
        words = self.news
        if words is None and not self.status.flowed:
            words = f"connecting to {self.status.address}"
        figures = self.figures
        return {
            "connect": self.status.address,
            "kind": self.kind,
            "news": words,
            "per_second": round(figures.fps, 1) if figures else 0.0,
            "latency_ms": round(figures.latency, 1) if figures and figures.latency is not None else None,
            "watching": len(self.viewers.watching),
            "most": self.viewers.most,
            "viewers": [
                {
                    "address": v.address,
                    "path": v.path,
                    "seconds": round(now - v.since),
                    "per_second": round(v.rate(now), 1),
                }
                for v in self.viewers.watching
            ],
            "share": self.shared,
            "qr": self.qr,
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: its request read and checked within seconds, then answered."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        peer = writer.get_extra_info("peername") or ("?", 0)
        host = endpoints.plain_ip(peer[0])  # ::ffff:10.0.0.7 on a socket for IPv4 and IPv6 alike: 10.0.0.7
        address = f"[{host}]:{peer[1]}" if ":" in host else f"{host}:{peer[1]}"
        try:
            if self.connections > self.viewers.most + SPARE_CONNECTIONS:
                await self._refuse(
                    reader, writer, address, request.Refused(503, "too many connections at once", "full")
                )
                return
            try:
                asked = await asyncio.wait_for(request.read(reader), request.REQUEST_TIMEOUT)
            except asyncio.TimeoutError:
                why = f"no whole request within {request.REQUEST_TIMEOUT:g} s: dropped"
                self.viewers.refuse(address, why, "slow")
                return
            except request.Refused as refused:
                await self._refuse(reader, writer, address, refused)
                return
            await self._answer(asked, reader, writer, address)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            pass  # the browser went: nothing to say (a viewer's leave is said by _answer)
        finally:
            self.connections -= 1
            self._tasks.discard(task)
            writer.transport.abort()  # whatever is still unsent is for no one now

    async def _refuse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str, refused: request.Refused
    ) -> None:
        self.viewers.refuse(address, f"{refused.why} ({refused.status})", refused.kind)
        writer.write(replies.refusal(refused.status, refused.why))
        await self._close_politely(reader, writer)

    async def _close_politely(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Send what is written, then take what the browser still sends for a moment: closing with
        unread bytes would reset the connection, and the answer could be lost with them."""
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError, OSError):
            await asyncio.wait_for(writer.drain(), LINGER)
            writer.write_eof()
            await asyncio.wait_for(_until_closed(reader), LINGER)

    async def _answer(
        self, asked: request.Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str
    ) -> None:
        head = asked.method == "HEAD"
        if asked.path in request.STREAMS:
            if head:
                writer.write(replies.stream_head(replies.MJPEG if asked.path == "/stream.mjpg" else replies.EVENTS))
            else:
                viewer = self.viewers.join(address, asked.path)
                if viewer is None:
                    writer.write(replies.refusal(503, f"{self.viewers.most} viewers watch already"))
                else:
                    await self._watch(asked.path, viewer, reader, writer)
                    return
        elif asked.path == "/":
            writer.write(replies.whole(200, "text/html; charset=utf-8", self.page, head_only=head))
        elif asked.path == "/status.json":
            body = json.dumps(self.state()).encode()
            writer.write(replies.whole(200, "application/json", body, head_only=head))
        elif self.frames.item is not None:  # /frame.jpg
            writer.write(replies.whole(200, "image/jpeg", self.frames.item.jpeg, head_only=head))
        else:
            words = self.news or f"no frame has come from {self.status.address} yet"
            writer.write(replies.whole(503, "text/plain; charset=utf-8", f"{words}\n".encode(), head_only=head))
        await self._close_politely(reader, writer)

    async def _watch(
        self, path: str, viewer: Viewer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """A viewer's stream, until it leaves (or stops reading, or sends what no viewer sends)."""
        in_flight = streams.keep_little_unsent(writer)
        if path == "/stream.mjpg":
            writer.write(replies.stream_head(replies.MJPEG))
            feed = streams.feed(writer, self.frames, viewer, streams.frame_parts, in_flight)
        else:
            writer.write(replies.stream_head(replies.EVENTS) + replies.EVENTS_START)
            feed = streams.feed(writer, self.arrays, viewer, streams.event_parts, in_flight)
        feeding, gone = asyncio.ensure_future(feed), asyncio.ensure_future(_until_closed(reader, request.HEADERS_MAX))
        why = ""
        try:
            done, _ = await asyncio.wait({feeding, gone}, return_when=asyncio.FIRST_COMPLETED)
            if feeding in done and isinstance(feeding.exception(), asyncio.TimeoutError):
                why = f"dropped: it took nothing for {streams.STALL_LIMIT:g} s"
            elif gone in done and gone.exception() is None and gone.result():
                why = f"dropped: it sent more than {request.HEADERS_MAX // 1024} KiB after its request"
        finally:
            for task in (feeding, gone):
                task.cancel()
            self.viewers.leave(viewer, why)

    async def close(self) -> None:
        """End every connection (the script is stopping)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _until_closed(reader: asyncio.StreamReader, most: int | None = None) -> bool:
    """Read and drop what comes until the connection closes: False; or True once over `most` bytes."""
    taken = 0
    while chunk := await reader.read(4096):
        taken += len(chunk)
        if most is not None and taken > most:
            return True
    return False


@contextlib.contextmanager
def serve(
    host: str, port: int, status: ConnectionStatus, most: int, *, share: bool
) -> Iterator[tuple[Gateway, socket.socket]]:
    """Serve browsers on `host`:`port` (with `share`, every address of this computer) for the
    `with` block, at most `most` viewers at a time; the Gateway to `show` messages to, and the
    listening socket (for sharing.announce). Fatal if it cannot listen."""
    listener = sharing.listening_socket(host, port, share=share)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, context: logs.log_warning(f"web gateway: {context.get('message')}"))
    gateway = Gateway(loop, status, most, sharing.student_url(listener))
    thread = threading.Thread(target=loop.run_forever, name="web gateway", daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(
        asyncio.start_server(gateway.handle, sock=listener, limit=request.REQUEST_LINE_MAX), loop
    ).result(START_TIMEOUT)
    try:
        yield gateway, listener
    finally:
        server.close()
        with contextlib.suppress(Exception):  # stopping: whatever is left is ended with the process
            asyncio.run_coroutine_threadsafe(gateway.close(), loop).result(START_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(START_TIMEOUT)
