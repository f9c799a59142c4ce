"""A client's receive loop: take each message off its SUB socket, check and decode it, skip bad
ones, notice silence.

The client scripts make their socket, connect and subscribe themselves (that is the lesson);
what they do with each message that comes is written once, here: `arrays` for the numbers
clients, `frames` for the video clients (which keep only the newest: see latest.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator

import numpy as np
import zmq

from pubsub_demo import wire
from pubsub_demo.client.diagnosis import ConnectionStatus
from pubsub_demo.net import transport
from pubsub_demo.net.monitor import taken
from pubsub_demo.process import console, lifetime, logs
from pubsub_demo.wire import MAX_SIDE, NUMBERS_MAX_BYTES, VIDEO_MAX_BYTES, Message, WireError

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
    if (
        array.dtype != np.uint8
        or array.ndim not in (2, 3)
        or (array.ndim == 3 and array.shape[2] != 3)
        or not (0 < array.shape[0] <= MAX_SIDE and 0 < array.shape[1] <= MAX_SIDE)
    ):
        hint = ": is this the numbers server?" if array.ndim <= 1 else ""
        raise WireError(f"this is not video ({_describe(array)}){hint}")
    return message


def _describe(array: np.ndarray) -> str:
    return f"{array.dtype} array of shape {array.shape}"


def receive(
    subscriber: zmq.Socket,
    status: ConnectionStatus,
    *,
    pickle: bool = False,
    max_bytes: int = wire.DEFAULT_MAX_BYTES,
    check: Check = any_array,
    decode: Callable[[list[zmq.Frame]], Message] | None = None,
) -> Iterator[Message | None]:
    """Yield each good message from `subscriber`, and None after every quiet TICK or bad message.

    A message is good if it decodes and `check` accepts it. A bad message is logged and
    skipped; each kind of reason is also said once on stderr. Only with `pickle` are pickled
    messages unpickled. `status` (from diagnosis.watch) hears of the socket monitor's events and
    of what arrives, and tells the user what is going on: nothing listens there, CURVE keys are
    missing, no good message for --silence seconds, and so on; when it says that ZeroMQ has
    stopped trying, the subscriber connects again. `decode` replaces the wire format's own (the
    web gateway's keeps a JPEG frame as it came, undecoded).
    """
    if decode is None:
        decode = wire.decode_pickle if pickle else functools.partial(wire.decode, max_bytes=max_bytes)
    poller = zmq.Poller()
    monitor = status.monitor
    for socket in (subscriber, monitor) if monitor else (subscriber,):
        poller.register(socket, zmq.POLLIN)
    skipped = Skipped()
    status.start()
    while True:
        lifetime.checkpoint()  # stop if asked to; write the counts of log lines held back
        ready = dict(poller.poll(int(TICK * 1000)))
        if monitor is not None and monitor in ready:
            for event, value, _ in taken(monitor):
                status.event(event, value)
        if subscriber not in ready:
            if status.check():  # no connection, and ZeroMQ no longer tries (see there)
                transport.reconnect(subscriber, status.address)
            yield None
            continue
        try:
            message = check(decode(transport.receive_parts(subscriber)))
        except WireError as error:
            skipped(error)
            status.rejected(str(error))
            yield None  # the caller's chance to stop, even while nothing but bad messages come
            continue
        status.heard()
        yield message


class Skipped:
    """Says why a message was skipped: in the log each time (its flood gate counts the rest), on
    stderr once for each kind of reason ("header says 56 bytes" and "... 48 bytes" are one)."""

    def __init__(self) -> None:
        self._kinds_said: set[str] = set()

    def __call__(self, error: WireError) -> None:
        logs.log_warning(f"skipped a bad message: {error}")
        kind = logs.kind(str(error))
        if kind not in self._kinds_said and len(self._kinds_said) < MAX_KINDS_SAID:
            self._kinds_said.add(kind)
            console.say(f"skipped a bad message: {error}")


def arrays(
    subscriber: zmq.Socket, status: ConnectionStatus, *, pickle: bool = False, count: int | None = None
) -> Iterator[Message]:
    """A numbers client's messages from `subscriber` (see `receive`), each array a flat row of
    numbers (`numbers_only`); `count` of them, or without end."""
    messages = receive(subscriber, status, pickle=pickle, max_bytes=NUMBERS_MAX_BYTES, check=numbers_only)
    for number, message in enumerate((message for message in messages if message is not None), start=1):
        yield message
        if number == count:
            return


def frames(subscriber: zmq.Socket, status: ConnectionStatus, *, pickle: bool = False) -> Iterator[Message | None]:
    """A video client's frames from `subscriber` (see `receive`): 8-bit pictures (`video_only`),
    and None now and then, so that a `Latest` thread running it can notice it is asked to stop."""
    return receive(subscriber, status, pickle=pickle, max_bytes=VIDEO_MAX_BYTES, check=video_only)
