"""A server's watch over its subscribers: a thread that reads the PUB socket's monitor, feeds an
Attendance (attendance.py: what to say) and ConnectionLimits (limits.py: whom to cut off), and acts on
what they decide.

libzmq stores what each connection subscribes to until that connection closes, takes in
subscriptions whenever the server sends, and has no call to close one connection of a bound
socket. So the monitor gives each connection's file descriptor, the kernel counts the bytes that
came in on it (system.connections.WatchedConnections), and the connections that sent too much, or come
one too many, are shut down: libzmq then closes them and frees what they stored. (Linux, macOS
and Windows count the bytes; where the kernel does not, and over ipc://, only the limits
transport.bind sets apply, and the number of connections: the server says so as it starts.)
"""

from __future__ import annotations

from pubsub_demo.net import endpoints, transport
from pubsub_demo.net.curve import NamingAuthenticator
from pubsub_demo.process import console, logs
from pubsub_demo.server.attendance import Attendance
from pubsub_demo.server.limits import SUBSCRIBER_BYTES, ConnectionLimits
from pubsub_demo.system import connections, memory
from pubsub_demo.system.closed_connections import ClosedConnections

import contextlib
import threading
from collections.abc import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

BATCH = 0.01  # seconds a look waits after the last, so that a flood's events are taken together
TICK = 0.1  # seconds between looks at the doorman's news and the Attendance's clock, if nothing wakes the watch
GIVE_BACK_AFTER = 64  # connections closed, after which their memory is given back to the system
# What the kernel may hold for a subscriber on another computer of a publisher that keeps only
# the newest message or a few for each (CONFLATE, or SNDHWM under SMALL_QUEUE; Linux doubles
# it, for its bookkeeping). By default it grows to megabytes: seconds of JPEG frames, waiting
# behind a slow link (docs/performance.md, "a relay for the room"). On one computer it stays
# as it was: so small a buffer over loopback cut raw frames to under 1 a second.
REMOTE_SEND_BUFFER = 4096
SMALL_QUEUE = 100  # messages: a publisher whose SNDHWM is below this sends frames, not data to keep
UNCOUNTED = (  # said as the watch starts, where the kernel gives no counts
    "this computer's system does not count the bytes each connection sends, so a subscriber that "
    "sends too much is not cut off; ZeroMQ still drops a connection whose message is over {most} "
    "bytes, and holds {queue} of its messages at most"
)
_EVENTS = (
    zmq.EVENT_ACCEPTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED  # a client without CURVE joins then; with CURVE, the doorman has news
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
)


@contextlib.contextmanager
def watch_subscribers(publisher: zmq.Socket, doorman: NamingAuthenticator | None = None) -> Iterator[Attendance]:
    """For the `with` block, say who joins and leaves `publisher` (the Attendance's `count` is how
    many are connected), and cut off the connections that send more than subscribers need to.
    With CURVE, `doorman` (from curve.allow_only_authorized) names the clients it let in.
    If `publisher` keeps only the newest message or a few for each subscriber (CONFLATE, or a
    small SNDHWM, set before), the kernel keeps only a few kB for a subscriber on another
    computer too. Enter it before binding, so that no connection goes unseen."""
    curve = bool(publisher.curve_server)
    audience = Attendance(curve=curve)
    events = monitor_reader(publisher, _EVENTS)
    watch = _Watch(events, audience, ConnectionLimits(SUBSCRIBER_BYTES[curve]), doorman)
    watch.small_buffers = bool(publisher.conflate) or publisher.sndhwm < SMALL_QUEUE
    if not watch.followed.counting:
        console.say(UNCOUNTED.format(most=transport.SUBSCRIPTION_MAX_BYTES[curve], queue=transport.SUBSCRIPTION_QUEUE))
    thread = threading.Thread(target=watch.run, name="subscriber watch", daemon=True)
    thread.start()
    try:
        yield audience
    finally:
        watch.stop.set()
        # The monitor first, while its reader is still there: libzmq's monitor stops by sending
        # to it, and would wait for ever for a reader that is gone.
        publisher.monitor(None, 0)
        thread.join()


def monitor_reader(sock: zmq.Socket, events: int) -> zmq.Socket:
    """Start `sock`'s monitor for `events` (zmq.EVENT_*); the socket to read them from, in a
    watch's thread. Stop it with sock.monitor(None, 0) before that socket closes: libzmq's monitor
    stops by sending to it, and would wait for ever for a reader that is gone."""
    endpoint = f"inproc://monitor-{id(sock)}-{events}"
    sock.monitor(endpoint, events)
    reader = sock.context.socket(zmq.PAIR)
    reader.linger = 0
    reader.rcvhwm = 0  # no limit: libzmq's I/O thread would wait for room to report an event
    reader.connect(endpoint)
    return reader


class _Watch:
    """The watch's thread: the monitor's events in, connections cut off or turned away."""

    def __init__(
        self, events: zmq.Socket, audience: Attendance, allowance: ConnectionLimits, doorman: NamingAuthenticator | None
    ) -> None:
        self.events, self.audience, self.allowance, self.doorman = events, audience, allowance, doorman
        self.followed = connections.WatchedConnections()
        self.small_buffers = False
        self.stop = threading.Event()
        self.closed = 0  # connections closed since memory was last given back
        self.closed_here: ClosedConnections | None = None  # once a client connected

    def run(self) -> None:
        poller = zmq.Poller()
        poller.register(self.events, zmq.POLLIN)
        if self.followed.fileno() is not None:
            poller.register(self.followed.fileno(), zmq.POLLIN)
        with self.events, contextlib.closing(self.followed):
            while not self.stop.is_set():
                try:
                    quiet = not poller.poll(int(1000 * TICK))
                    self._look()
                    if not quiet:  # what comes close behind is taken in the next look: a flood costs fewer looks
                        self.stop.wait(BATCH)
                    if quiet and self.closed >= GIVE_BACK_AFTER:  # a crowd has gone, and libzmq freed what it held
                        memory.give_back()
                        self.closed = 0
                except zmq.ZMQError as error:  # its sockets are gone (a second Ctrl+C cut the stop short)
                    if not (self.stop.is_set() or error.errno in (zmq.ETERM, zmq.ENOTSOCK)):
                        logs.log_warning(f"the subscriber watch: {logs.describe(error)}")
                    return
                except Exception as error:  # a bug here must not end the watch, nor hang the server
                    logs.log_warning(f"the subscriber watch: {logs.describe(error)}")

    def _look(self) -> None:
        """Take the monitor's events and the doorman's decisions; count what came in on each
        connection that received bytes; cut off the greedy ones, and turn away the crowd."""
        while self.events.poll(0):
            event = recv_monitor_message(self.events)
            if self.closed_here is None and event["event"] == zmq.EVENT_ACCEPTED:
                port = endpoints.port(event["endpoint"].decode())  # None for ipc://
                self.closed_here = ClosedConnections(port) if port else None
            self._take(event["event"], event["value"])
        while self.doorman is not None and not self.doorman.admissions.empty():  # this thread alone takes
            address, name = self.doorman.admissions.get_nowait()
            self.audience.admitted(endpoints.plain_ip(address), name)
        self.audience.tick()
        for fd in self.allowance.crowding():
            self.audience.turned_away(self._shut(fd), self.allowance.max_connections)
        for fd in self.followed.arrived():
            if self.allowance.closing(fd):
                self.followed.drain(fd)  # a connection cut off, still sending
                continue
            with contextlib.suppress(OSError):  # not TCP (ipc://): nothing to count
                self.allowance.counted(fd, self.followed.bytes_received(fd))
        for fd in self.allowance.greedy():
            self.audience.cut_off(self._shut(fd), self.allowance.received(fd), self.allowance.need)

    def _take(self, event: int, fd: int) -> None:
        """One event of the monitor, on the connection on `fd`."""
        if event == zmq.EVENT_ACCEPTED:
            self.followed.follow(fd)
            connections.give_up_after(fd, transport.UNANSWERED_LIMIT)
            address = self.followed.peer_address(fd)
            if self.small_buffers and address not in ("?", "this computer") and not endpoints.is_loopback(address):
                connections.shrink_send_buffer(fd, REMOTE_SEND_BUFFER)
            self.audience.event(event, fd, address, welcome=self.allowance.opened(fd))
        else:
            if event == zmq.EVENT_DISCONNECTED and self.audience.unnamed_refusal(fd):
                self.audience.named(fd, self._closed_just_now())
            self.audience.event(event, fd)
        if event == zmq.EVENT_DISCONNECTED:
            self.allowance.closed(fd)
            self.followed.release(fd)
            self.closed += 1

    def _closed_just_now(self) -> str:
        """The address of the client whose connection the server closed last, or "?".

        libzmq's monitor gives only a connection's descriptor, and a handshake that fails at once
        (a client without keys, or with another server's key) can be closed before the watch reads
        its address. The kernel still knows it: a connection that the server closed first stays a
        minute in TIME_WAIT."""
        return self.closed_here.newest() if self.closed_here else "?"

    def _shut(self, fd: int) -> str:
        """Shut the connection on `fd` down; who it was (`HOST port PORT`, or its address, or "?").

        Shutting a connection down does not close it: libzmq reads on what came before, taking in
        the subscriptions in it one or two each time the server sends, until it reads the end.
        So what came is dropped, and the sender's next bytes are answered with a reset."""
        try:
            who = connections.peer(fd)
        except (OSError, ValueError):  # gone, or not TCP
            who = connections.peer_address(fd)
        connections.shut_down(fd)
        self.followed.drain(fd)
        self.allowance.close(fd)
        return who
