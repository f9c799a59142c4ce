"""The clients' side: connect and subscribe, receive, check and decode each message, skip bad
ones, notice silence; for video, show only the newest frame.

Every client script does the same with its socket, so it is written once, here, in `subscribe`.
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Generic, Iterator, TypeVar

import zmq

from . import logs, sockets, wire
from .sockets import receive_parts
from .wire import Message, WireError

TICK = 0.25  # seconds between checks for silence and for a request to stop


def receive(subscriber: zmq.Socket, address: str, *, pickle: bool = False,
            silence: float = 3.0) -> Iterator[Message | None]:
    """Yield each good message from `subscriber`, and None after every quiet TICK.

    A bad message is logged and skipped, and its reason said once on stderr. Only with
    `pickle` are pickled messages unpickled. If nothing comes for `silence` seconds (as when
    the client starts before the server), that is said once, and again when data flows.
    """
    decode = wire.decode_pickle if pickle else wire.decode
    watch = SilenceWatch(address, silence)
    reasons_said: set[str] = set()
    while True:
        if not subscriber.poll(TICK * 1000):
            watch.check()
            yield None
            continue
        parts = receive_parts(subscriber)
        try:
            message = decode(parts)
        except WireError as error:
            logs.log_warning(f"skipped a bad message: {error}")
            if str(error) not in reasons_said:
                reasons_said.add(str(error))
                logs.say(f"skipped a bad message: {error}")
            continue
        watch.heard()
        yield message


def subscribe(args: argparse.Namespace, *, queue: int | None = None) -> Iterator[Message | None]:
    """A client's whole time with its socket: connect, subscribe, then yield what `receive` yields.

    `args` are a client's options (options.numbers_client or video_client); `queue` caps the
    messages waiting in the socket. The socket closes when the generator is closed or ends.
    """
    logs.setup(args.log_file, "CLIENT")
    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        # The client connects: it may start before the server, and ZeroMQ connects when it comes.
        sockets.connect(subscriber, args.connect, queue=queue)
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes
        yield from receive(subscriber, args.connect, pickle=args.pickle, silence=args.silence)


def arrays(args: argparse.Namespace) -> Iterator[Message]:
    """The messages of a numbers client (see `subscribe`), until --messages of them came."""
    for count, message in enumerate((message for message in subscribe(args) if message is not None), start=1):
        yield message
        if count == args.messages:
            return


class SilenceWatch:
    """Says once when a server has gone quiet, and once when it speaks again."""

    def __init__(self, address: str, limit: float) -> None:
        self.address, self.limit = address, limit
        self.last_heard = time.monotonic()
        self.quiet = False

    def check(self) -> None:
        """Call when nothing arrived for a while."""
        if not self.quiet and time.monotonic() - self.last_heard >= self.limit:
            self.quiet = True
            logs.warning(f"no data from {self.address} for {self.limit:g} s; waiting for the server")

    def heard(self) -> None:
        """Call for each message that arrives."""
        if self.quiet:
            self.quiet = False
            logs.warning(f"data flows again from {self.address}")
        self.last_heard = time.monotonic()


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
