"""A client's receive loop: take each message off its SUB socket, check and decode it, skip bad
ones, notice silence; for video, keep only the newest frame.

The client scripts make their socket, connect and subscribe themselves (that is the lesson);
what they do with each message that comes is written once, here: `arrays` for the numbers
clients, `frames` and `Newest` for the video clients.
"""

from __future__ import annotations

import argparse
import functools
import threading
from typing import Callable, Generic, Iterator, TypeVar

import numpy as np
import zmq

from . import logs, sockets, wire
from .diagnosis import ConnectionStatus
from .options import MAX_SIDE
from .sockets import receive_parts
from .wire import NUMBERS_MAX_BYTES, VIDEO_MAX_BYTES, Message, WireError

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


def receive(subscriber: zmq.Socket, status: ConnectionStatus, *, pickle: bool = False,
            max_bytes: int = wire.DEFAULT_MAX_BYTES, check: Check = any_array) -> Iterator[Message | None]:
    """Yield each good message from `subscriber`, and None after every quiet TICK or bad message.

    A message is good if it decodes and `check` accepts it. A bad message is logged and
    skipped; each kind of reason is also said once on stderr. Only with `pickle` are pickled
    messages unpickled. `status` (from diagnosis.watch) hears of the socket monitor's events and
    of what arrives, and tells the user what is going on: nothing listens there, CURVE keys are
    missing, no good message for --silence seconds, and so on; when it says that ZeroMQ has
    stopped trying, the subscriber connects again.
    """
    decode = wire.decode_pickle if pickle else functools.partial(wire.decode, max_bytes=max_bytes)
    poller = zmq.Poller()
    for socket in (subscriber, status.monitor) if status.monitor else (subscriber,):
        poller.register(socket, zmq.POLLIN)
    kinds_said: set[str] = set()
    status.start()
    while True:
        logs.checkpoint()  # stop if asked to; write the counts of log lines held back
        ready = dict(poller.poll(TICK * 1000))
        if status.monitor in ready:
            status.take_events()
        if subscriber not in ready:
            if status.check():  # no connection, and ZeroMQ no longer tries (see there)
                sockets.reconnect(subscriber, status.address)
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


def arrays(subscriber: zmq.Socket, args: argparse.Namespace, status: ConnectionStatus) -> Iterator[Message]:
    """A numbers client's messages from `subscriber` (see `receive`), until --messages of them
    came; each array a flat row of numbers (`numbers_only`). `args` are the client's options."""
    messages = receive(subscriber, status, pickle=args.pickle, max_bytes=NUMBERS_MAX_BYTES, check=numbers_only)
    for count, message in enumerate((message for message in messages if message is not None), start=1):
        yield message
        if count == args.messages:
            return


def frames(subscriber: zmq.Socket, args: argparse.Namespace, status: ConnectionStatus) -> Iterator[Message | None]:
    """A video client's frames from `subscriber` (see `receive`): 8-bit pictures (`video_only`),
    and None now and then, so that a `Newest` thread running it can notice it is asked to stop."""
    return receive(subscriber, status, pickle=args.pickle, max_bytes=VIDEO_MAX_BYTES, check=video_only)


T = TypeVar("T")


class Newest(Generic[T]):
    """Runs an iterator in a background thread and keeps only its newest item.

    This is how a video client never falls behind: the thread takes every frame off the
    socket as soon as it arrives, so nothing piles up in ZeroMQ's queues or the kernel's, and
    the display, however slow, always gets the latest frame. (The video server's socket does
    the same for each client, with ZMQ_CONFLATE: see video_transmission/server.py.)
    Use it as a context manager, and iterate over it for the newest items; the iterator must
    yield now and then (None is skipped) so that the thread can notice when it is asked to stop.
    A ZeroMQ socket that the iterator reads must be used by no other thread meanwhile (sockets
    are not thread-safe): made in the main thread, it is the background thread's from the start.
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

    def __iter__(self) -> Iterator[T | None]:
        """The newest item each time a new one came, or None after TICK without one; for ever,
        until the loop breaks, or an error in the background thread is raised here."""
        while True:
            logs.checkpoint()  # stop if asked to, even if the KeyboardInterrupt got lost
            yield self.take(timeout=TICK)

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
