"""The clients' side: connect and subscribe, receive, check and decode each message, skip bad
ones, notice silence; for video, show only the newest frame.

Every client script does the same with its socket, so it is written once, here, in `subscribe`.
"""

from __future__ import annotations

import argparse
import functools
import re
import threading
import time
from typing import Generic, Iterator, TypeVar

import zmq

from . import logs, security, sockets, wire
from .sockets import receive_parts
from .wire import Message, WireError

TICK = 0.25  # seconds between checks for silence and for a request to stop
NUMBERS_MAX_BYTES = 16 * 1024 * 1024  # 2 million float64 values: far more than a numbers server sends
VIDEO_MAX_BYTES = 64 * 1024 * 1024  # a raw 4K frame is 24 MiB


def receive(subscriber: zmq.Socket, address: str, *, pickle: bool = False, silence: float = 3.0,
            max_bytes: int = wire.DEFAULT_MAX_BYTES) -> Iterator[Message | None]:
    """Yield each good message from `subscriber`, and None after every quiet TICK.

    A bad message is logged and skipped; each kind of reason is also said once on stderr.
    Only with `pickle` are pickled messages unpickled. If nothing comes for `silence` seconds
    (as when the client starts before the server), that is said once, and again when data flows.
    """
    decode = wire.decode_pickle if pickle else functools.partial(wire.decode, max_bytes=max_bytes)
    watch = SilenceWatch(address, silence)
    kinds_said: set[str] = set()
    while True:
        logs.checkpoint()  # stop if asked to; write the counts of log lines held back
        if not subscriber.poll(TICK * 1000):
            if watch.check():
                # ZeroMQ reconnects by itself when a server goes away, but not after it dropped a
                # connection for breaking the rules (a message over the size limit, say).
                sockets.reconnect(subscriber, address)
            yield None
            continue
        parts = receive_parts(subscriber)
        try:
            message = decode(parts)
        except WireError as error:
            logs.log_warning(f"skipped a bad message: {error}")
            kind = re.sub(r"\d+", "N", str(error))  # "header says 56 bytes" and "... 48 bytes" are one kind
            if kind not in kinds_said:
                kinds_said.add(kind)
                logs.say(f"skipped a bad message: {error}")
            continue
        watch.heard()
        yield message


def subscribe(args: argparse.Namespace, *, max_bytes: int, queue: int | None = None) -> Iterator[Message | None]:
    """A client's whole time with its socket: connect, subscribe, then yield what `receive` yields.

    `args` are a client's options (options.numbers_client or video_client); no message may be
    larger than `max_bytes`; `queue` caps the messages waiting in the socket. The socket closes
    when the generator is closed or ends.
    """
    logs.setup(args.log_file, "CLIENT")
    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        security.use_client_keys(subscriber, args.curve)  # with --curve only
        # The client connects: it may start before the server, and ZeroMQ connects when it comes.
        sockets.connect(subscriber, args.connect, queue=queue, max_bytes=max_bytes)
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes
        yield from receive(subscriber, args.connect, pickle=args.pickle, silence=args.silence, max_bytes=max_bytes)


def arrays(args: argparse.Namespace) -> Iterator[Message]:
    """The messages of a numbers client (see `subscribe`), until --messages of them came.
    Each array comes flat, as a row of numbers, whatever shape it was sent in."""
    messages = (message for message in subscribe(args, max_bytes=NUMBERS_MAX_BYTES) if message is not None)
    for count, message in enumerate(messages, start=1):
        yield message._replace(array=message.array.reshape(-1))
        if count == args.messages:
            return


class SilenceWatch:
    """Says once when a server has gone quiet, and once when it speaks again; and says when it
    is time to connect again."""

    def __init__(self, address: str, limit: float) -> None:
        self.address, self.limit = address, limit
        self.deadline = time.monotonic() + limit
        self.quiet = False

    def check(self) -> bool:
        """Call when nothing arrived for a while; True once every `limit` seconds of silence."""
        if time.monotonic() < self.deadline:
            return False
        if not self.quiet:
            self.quiet = True
            logs.warning(f"no data from {self.address} for {self.limit:g} s; waiting for the server")
        self.deadline = time.monotonic() + self.limit
        return True

    def heard(self) -> None:
        """Call for each message that arrives."""
        if self.quiet:
            self.quiet = False
            logs.warning(f"data flows again from {self.address}")
        self.deadline = time.monotonic() + self.limit


T = TypeVar("T")


class Newest(Generic[T]):
    """Runs an iterator in a background thread and keeps only its newest item.

    This is how a video client never falls behind: the thread takes every frame off the
    socket as soon as it arrives, so nothing piles up in ZeroMQ's queues or the kernel's, and
    the display, however slow, always gets the latest frame. (ZMQ_CONFLATE would keep only
    the last message too, but it does not work with multi-part messages.)
    Use it as a context manager; the iterator must yield now and then (None is skipped) so
    that the thread can notice when it is asked to stop.
    """

    def __init__(self, items: Iterator[T | None]) -> None:
        self._items = items
        self._newest: T | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Newest[T]":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def take(self, timeout: float) -> T | None:
        """The newest item not taken yet, waiting up to `timeout` s for one; None if none came."""
        with self._changed:
            self._changed.wait_for(lambda: self._newest is not None or self._error, timeout)
            if self._error:
                raise self._error
            item, self._newest = self._newest, None
            return item

    def _run(self) -> None:
        try:
            for item in self._items:
                if self._stop.is_set():
                    return
                if item is not None:
                    with self._changed:
                        self._newest = item
                        self._changed.notify()
        except BaseException as error:  # hand it to the main thread, which reports it
            with self._changed:
                self._error = error
                self._changed.notify()
        finally:
            getattr(self._items, "close", lambda: None)()  # a generator's `with` blocks end here, in its thread
