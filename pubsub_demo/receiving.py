"""The clients' side: connect and subscribe, receive, check and decode each message, skip bad
ones, notice silence; for video, show only the newest frame.

Every client script does the same with its socket, so it is written once, here, in `subscribe`.
"""

from __future__ import annotations

import argparse
import functools
import threading
from typing import Callable, Generic, Iterator, TypeVar

import numpy as np
import zmq
from zmq.utils.monitor import recv_monitor_message

from . import logs, security, sockets, wire
from .diagnosis import ConnectionStatus
from .options import MAX_SIDE
from .sockets import receive_parts
from .wire import NUMBERS_MAX_BYTES, Message, WireError

TICK = 0.25  # seconds between checks for silence and for a request to stop
MAX_KINDS_SAID = 20  # kinds of bad message said on stderr; past that, only the log has them

Check = Callable[[Message], Message]


def any_array(message: Message) -> Message:
    """Accept every array the wire format can carry."""
    return message


def numbers_only(message: Message) -> Message:
    """What a numbers client can print: a row of numbers (0 or 1 dimension), returned flat.

    Anything else is refused in words a student understands; an image most likely comes
    from the video server."""
    array = message.array
    if array.ndim > 1:
        hint = ": is this the video server?" if array.dtype == np.uint8 else ""
        raise WireError(f"this is not a row of numbers ({_describe(array)}){hint}")
    return message._replace(array=array.reshape(-1))


def video_only(message: Message) -> Message:
    """What a video client can show: 8-bit grey (h, w) or BGR (h, w, 3) pixels, 1 to MAX_SIDE
    on a side. Anything else would crash OpenCV's windows or mean the wrong server."""
    array = message.array
    if (array.dtype != np.uint8 or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3)
            or not (0 < array.shape[0] <= MAX_SIDE and 0 < array.shape[1] <= MAX_SIDE)):
        hint = ": is this the numbers server?" if array.ndim <= 1 else ""
        raise WireError(f"this is not video ({_describe(array)}){hint}")
    return message


def _describe(array: np.ndarray) -> str:
    return f"{array.dtype} array of shape {array.shape}"


def receive(subscriber: zmq.Socket, address: str, *, pickle: bool = False, silence: float = 3.0,
            max_bytes: int = wire.DEFAULT_MAX_BYTES, check: Check = any_array,
            monitor: zmq.Socket | None = None, curve: bool = False,
            status: ConnectionStatus | None = None) -> Iterator[Message | None]:
    """Yield each good message from `subscriber`, and None after every quiet TICK or bad message.

    A message is good if it decodes and `check` accepts it. A bad message is logged and
    skipped; each kind of reason is also said once on stderr. Only with `pickle` are pickled
    messages unpickled. The events of `monitor` (the subscriber's socket monitor) and what
    arrives tell the user what is going on (see diagnosis.ConnectionStatus): nothing listens
    there, CURVE keys are missing, no good message for `silence` seconds, and so on. Pass
    `status` to read what it says from elsewhere (a window, say).
    """
    decode = wire.decode_pickle if pickle else functools.partial(wire.decode, max_bytes=max_bytes)
    status = status or ConnectionStatus(address, silence, curve=curve)
    poller = zmq.Poller()
    for socket in (subscriber, monitor) if monitor else (subscriber,):
        poller.register(socket, zmq.POLLIN)
    kinds_said: set[str] = set()
    while True:
        logs.checkpoint()  # stop if asked to; write the counts of log lines held back
        ready = dict(poller.poll(TICK * 1000))
        while monitor in ready and monitor.poll(0):
            event = recv_monitor_message(monitor)
            status.event(event["event"], event["value"])
        if subscriber not in ready:
            if status.check():  # no connection, and ZeroMQ no longer tries (see there)
                sockets.reconnect(subscriber, address)
            yield None
            continue
        try:
            message = check(decode(receive_parts(subscriber)))
        except WireError as error:
            logs.log_warning(f"skipped a bad message: {error}")
            kind = logs.kind(str(error))  # "header says 56 bytes" and "... 48 bytes" are one kind
            if kind not in kinds_said and len(kinds_said) < MAX_KINDS_SAID:
                kinds_said.add(kind)
                logs.say(f"skipped a bad message: {error}")
            status.rejected(str(error))
            yield None  # the caller's chance to stop, even while nothing but bad messages come
            continue
        status.heard()
        yield message


def subscribe(args: argparse.Namespace, *, max_bytes: int, check: Check = any_array,
              queue: int | None = None, status: ConnectionStatus | None = None) -> Iterator[Message | None]:
    """A client's whole time with its socket: connect, subscribe, then yield what `receive` yields.

    `args` are a client's options (options.numbers_client or video_client); no message may be
    larger than `max_bytes`, and `check` says which arrays the client can use; `queue` caps the
    messages waiting in the socket. The socket closes when the generator is closed or ends.
    """
    logs.setup(args.log_file, "CLIENT")
    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        security.use_client_keys(subscriber, args.curve)  # with --curve only
        with subscriber.get_monitor_socket() as monitor:  # how the connection fares, to tell the user
            # The client connects: it may start before the server, and ZeroMQ connects when it comes.
            sockets.connect(subscriber, args.connect, queue=queue, max_bytes=max_bytes)
            subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes
            yield from receive(subscriber, args.connect, pickle=args.pickle, silence=args.silence,
                               max_bytes=max_bytes, check=check, monitor=monitor, curve=args.curve is not None,
                               status=status)


def arrays(args: argparse.Namespace) -> Iterator[Message]:
    """The messages of a numbers client (see `subscribe`), until --messages of them came;
    each array a flat row of numbers (`numbers_only`)."""
    messages = subscribe(args, max_bytes=NUMBERS_MAX_BYTES, check=numbers_only)
    for count, message in enumerate((message for message in messages if message is not None), start=1):
        yield message
        if count == args.messages:
            return


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
