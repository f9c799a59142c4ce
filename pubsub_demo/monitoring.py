"""A server's watch over its subscribers: a thread that reads the PUB socket's monitor and feeds
an Audience (audience.py, which decides what to say), and acts on what it decides.

libzmq stores what each connection subscribes to until that connection closes, takes in
subscriptions whenever the server sends, and has no call to close one connection of a bound
socket. So the monitor gives each connection's file descriptor, the kernel counts the bytes that
came in on it (tcpinfo.py) and wakes the watch as they come, and the connections the Audience
finds greedy, or too many, are shut down: libzmq then closes them and frees what they stored,
usually before it took in more than a subscription or two. (Linux counts the bytes; elsewhere,
and over ipc://, only the limits transport.bind sets apply, and the number of connections.)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import endpoints, logs, memory, tcpinfo
from .audience import Audience
from .security import Doorman

TICK = 0.1  # seconds between looks at the doorman's news and the Audience's clock, if nothing wakes the watch
GIVE_BACK_AFTER = 64  # connections closed, after which their memory is given back to the system
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
_EVENTS = (  # a handshake that succeeded wakes the watch to take the doorman's news
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
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
    followed = tcpinfo.Followed()
    poller = zmq.Poller()
    poller.register(events, zmq.POLLIN)
    if followed.fileno() is not None:
        poller.register(followed.fileno(), zmq.POLLIN)
    closed = 0  # connections closed since memory was last given back
    with events, contextlib.closing(followed):
        while not stop.is_set():
            try:
                quiet = not poller.poll(1000 * TICK)
                closed += _look(events, audience, doorman, followed, small_buffers)
                if quiet and closed >= GIVE_BACK_AFTER:  # a crowd has gone, and libzmq has freed what it held
                    memory.give_back()
                    closed = 0
            except Exception as error:  # a bug here must not end the watch, nor hang the server
                logs.log_warning(f"the subscriber watch: {logs.describe(error)}")


def _look(
    events: zmq.Socket, audience: Audience, doorman: Doorman | None, followed: tcpinfo.Followed, small_buffers: bool
) -> int:
    """Take the monitor's events and the doorman's decisions; count what came in on each
    connection that received bytes; cut off the greedy ones, and turn away the crowd.
    Returns how many connections closed."""
    closed = 0
    while events.poll(0):
        event = recv_monitor_message(events)
        fd = event["value"]
        address = "?"
        if event["event"] == zmq.EVENT_ACCEPTED:
            followed.follow(fd)
            address = tcpinfo.peer_address(fd)
            if small_buffers and address not in ("?", "this computer") and not endpoints.is_loopback(address):
                tcpinfo.shrink_send_buffer(fd, REMOTE_SEND_BUFFER)
        audience.event(event["event"], fd, address)
        if event["event"] == zmq.EVENT_DISCONNECTED:
            followed.release(fd)
            closed += 1
    while doorman is not None and not doorman.admissions.empty():  # this thread is the only one that takes
        address, name = doorman.admissions.get_nowait()
        audience.admitted(endpoints.plain_ip(address), name)
    audience.tick()
    for fd in audience.crowding():
        _shut(fd, followed, audience.turned_away)
    for fd in followed.arrived():
        if audience.closing(fd):
            followed.drain(fd)  # a connection cut off still sending
            continue
        with contextlib.suppress(OSError):  # not TCP (ipc://): nothing to count
            audience.counted(fd, followed.bytes_received(fd))
    for fd in audience.greedy():
        _shut(fd, followed, audience.cut_off)
    return closed


def _shut(fd: int, followed: tcpinfo.Followed, say: Callable[[int, str], None]) -> None:
    """Shut the connection on `fd` down, and `say` so with who it was (`HOST port PORT`, or
    its address, or "?").

    Shutting a connection down does not close it: libzmq reads on what came before, taking in
    the subscriptions in it one or two each time the server sends, until it reads the end. So what
    came is dropped, and the sender's next bytes are answered with a reset."""
    try:
        who = tcpinfo.peer(fd)
    except (OSError, ValueError):  # gone, or not TCP
        who = tcpinfo.peer_address(fd)
    tcpinfo.shut_down(fd)
    followed.drain(fd)
    say(fd, who)
