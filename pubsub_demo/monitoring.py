"""A server's watch over its subscribers: a thread that reads the PUB socket's monitor and feeds
an Audience (audience.py, which decides what to say), and acts on what it decides.

libzmq stores what each connection subscribes to until that connection closes, takes in as many
subscriptions as come while the server sends, and has no call to close one connection of a bound
socket. So the monitor gives each connection's file descriptor, the kernel counts the bytes
that came in on it (tcpinfo.py), and every WATCH_INTERVAL the connections the Audience finds
greedy are shut down: libzmq then closes them and frees what they stored. (Linux counts the
bytes; elsewhere, and over ipc://, only the limits transport.bind sets apply.)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import endpoints, logs, tcpinfo
from .audience import Audience
from .security import Doorman

WATCH_INTERVAL = 0.01  # seconds between looks at what each connection sent
IDLE_INTERVAL = 0.1  # seconds between looks while no one is connected (to see the stop)
# What the kernel may hold for a subscriber on another computer of a publisher that keeps only
# the newest message or a few for each (CONFLATE, or SNDHWM under SMALL_QUEUE; Linux doubles
# it, for its bookkeeping). By default it grows to megabytes: seconds of JPEG frames, waiting
# behind a slow link. With 10 students sharing a 20 Mbit/s link, frames were 0.5-2.3 s old;
# with this buffer and a queue of one frame, the newest, some 0.09 s (see
# benchmarks/relay_fanout.py; larger buffers, or TCP_NOTSENT_LOWAT with the default buffer,
# made it worse: the link's queue overflowed). On one computer it stays as it was: so small
# a buffer over loopback cut raw 1280x720 frames from 30 frames/s to under 1 (measured).
REMOTE_SEND_BUFFER = 4096
SMALL_QUEUE = 100  # messages: a publisher whose SNDHWM is below this sends frames, not data to keep
_EVENTS = (
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED  # a client without CURVE joins then
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@contextlib.contextmanager
def watch_subscribers(publisher: zmq.Socket, doorman: Doorman | None = None) -> Iterator[Audience]:
    """For the `with` block, say who joins and leaves `publisher` (the Audience's `count` is how
    many are connected), and cut off any connection that sends more than a subscriber needs to.
    With CURVE, `doorman` (from security.allow_only_authorized) names the clients it let in.
    If `publisher` keeps only the newest message or a few for each subscriber (CONFLATE, or a
    small SNDHWM, set before), the kernel keeps only a few kB for a subscriber on another
    computer too. Enter it before binding, so that no connection goes unseen."""
    audience = Audience(curve=bool(publisher.curve_server))
    small_buffers = bool(publisher.conflate) or publisher.sndhwm < SMALL_QUEUE
    endpoint = f"inproc://subscribers-{id(audience)}"
    publisher.monitor(endpoint, _EVENTS)
    events = publisher.context.socket(zmq.PAIR)
    events.linger = 0
    events.rcvhwm = 0  # no limit: libzmq's I/O thread would wait for room to report an event
    events.connect(endpoint)
    stop = threading.Event()
    thread = threading.Thread(
        target=_watch, args=(events, audience, doorman, small_buffers, stop), name="subscriber watch", daemon=True
    )
    thread.start()
    try:
        yield audience
    finally:
        stop.set()
        # The monitor first, while its reader is still there: libzmq's monitor stops by sending
        # to it, and would wait for ever for a reader that is gone.
        publisher.monitor(None, 0)
        thread.join()


def _watch(
    events: zmq.Socket, audience: Audience, doorman: Doorman | None, small_buffers: bool, stop: threading.Event
) -> None:
    with events:
        while not stop.is_set():
            try:
                _look(events, audience, doorman, small_buffers)
            except Exception as error:  # a bug here must not end the watch, nor hang the server
                logs.log_warning(f"the subscriber watch: {logs.describe(error)}")


def _look(events: zmq.Socket, audience: Audience, doorman: Doorman | None, small_buffers: bool) -> None:
    """Take the monitor's events and the doorman's decisions; cut off greedy peers."""
    if events.poll(1000 * (WATCH_INTERVAL if audience.peers else IDLE_INTERVAL)):
        while events.poll(0):
            event = recv_monitor_message(events)
            fd = event["value"]
            address = "?"
            if event["event"] == zmq.EVENT_ACCEPTED:
                address = tcpinfo.peer_address(fd)
                if small_buffers and address not in ("?", "this computer") and not endpoints.is_loopback(address):
                    tcpinfo.shrink_send_buffer(fd, REMOTE_SEND_BUFFER)
            audience.event(event["event"], fd, address)
    while doorman is not None and not doorman.admissions.empty():  # this thread is the only one that takes
        address, name = doorman.admissions.get_nowait()
        audience.admitted(endpoints.plain_ip(address), name)
    audience.tick()
    if not tcpinfo.COUNTS_BYTES:
        return
    for fd in list(audience.peers):
        try:
            received = tcpinfo.bytes_received(fd)
            if audience.greedy(received):
                who = tcpinfo.peer(fd)
                tcpinfo.shut_down(fd)
                audience.cut_off(who, received)
        except OSError:  # closed meanwhile, or not TCP (ipc://): nothing to count
            continue
