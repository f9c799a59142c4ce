"""Socket plumbing: bind and connect with clear errors, the settings each role needs, receiving,
and a server's watch over who connects and what its subscribers send.

Every socket gets linger 0: when a script stops, it drops the messages a subscriber has not
taken yet instead of waiting for them, so Ctrl+C never hangs.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import socket
import struct
import sys
import threading
import time
from typing import Iterator

import zmq

from . import logs, security
from .logs import Fatal
from .wire import MAX_PARTS, WireError

CONNECT_TIMEOUT = 2000  # ms to wait for a TCP connection to be accepted
HEARTBEAT_INTERVAL = 2000  # ms between pings
HEARTBEAT_TIMEOUT = 6000  # ms without an answer after which the connection counts as gone

# What a server takes in from each subscriber. A subscriber sends a greeting, a handshake and its
# subscription, and nothing more: 103 bytes in all for our clients (they subscribe to b"",
# everything), 596 with CURVE (measured).
SUBSCRIPTION_MAX_BYTES = 1024  # per message: CURVE's largest handshake command is about 300 bytes
SUBSCRIPTION_QUEUE = 2  # subscriptions queued per connection (ZMQ_RCVHWM, 1000 by default): the
                        # fewer, the less libzmq takes in at once; with 1, no CURVE client got through
SUBSCRIBER_MAX_BYTES = 64 * 1024  # per connection, in all: a connection that sends more is cut off
                                  # (a client with ZeroMQ heartbeats each second gets there in 2 hours,
                                  # and connects again)
WATCH_INTERVAL = 0.01  # seconds between looks at what each connection sent
HUNG_UP_WAIT = 1.0  # seconds to wait for the reason a client that hung up was refused for (_Watch._refused)
UNNAMED_WAIT = 5.0  # seconds to wait for the address of a client refused too fast to be named (_Watch._refused)
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


@contextlib.contextmanager
def bind(publisher: zmq.Socket, address: str) -> Iterator[None]:
    """Bind `publisher` to `address` for the `with` block, or raise Fatal with a clear message
    (e.g. port in use, or an ipc:// path that a running server holds). At the end, an ipc://
    socket file is removed.
    """
    publisher.linger = 0
    # libzmq keeps every subscription a subscriber sends, in a tree costing some 50 bytes of
    # memory per byte of topic: one 50 MB subscription took gigabytes and froze the server for
    # seconds. A larger message drops its connection before anything is stored.
    publisher.maxmsgsize = SUBSCRIPTION_MAX_BYTES
    publisher.rcvhwm = SUBSCRIPTION_QUEUE
    publisher.ipv6 = needs_ipv6(address)
    keep_alive(publisher)  # so that a student whose laptop left the network is seen to leave
    _refuse_a_path_in_use(address)
    try:
        publisher.bind(address)
    except zmq.ZMQError as error:
        raise _cannot_bind(address, error) from error
    path = _ipc_path(address)
    socket_file = _identity(path)  # the file this bind made, for ipc://PATH
    try:
        yield
    finally:
        if socket_file and _identity(path) == socket_file:  # still ours, not another server's
            with contextlib.suppress(OSError):
                os.unlink(path)


@contextlib.contextmanager
def watch_subscribers(publisher: zmq.Socket) -> Iterator[_Watch]:
    """For the `with` block, say who joins and leaves `publisher` (the watch's `count` is how
    many are connected), and cut off any connection that sends more than a subscriber needs
    to (see _Watch). If `publisher` keeps only the newest message or a few for each subscriber
    (CONFLATE, or a small SNDHWM, set before), the kernel keeps only a few kB for a subscriber
    on another computer too.
    Enter it before binding, so that no connection goes unseen."""
    watch = _Watch(publisher, small_buffers=bool(publisher.conflate) or publisher.sndhwm < SMALL_QUEUE)
    try:
        yield watch
    finally:
        watch.stop()


def connect(subscriber: zmq.Socket, address: str, *, max_bytes: int) -> None:
    """Connect `subscriber` to `address`, or raise Fatal.

    A message over `max_bytes` makes ZeroMQ drop the connection it came on (and connect again),
    before the client spends any memory on it. IPv6 is on where the address needs it (needs_ipv6).
    """
    subscriber.linger = 0
    subscriber.maxmsgsize = max_bytes
    subscriber.connect_timeout = CONNECT_TIMEOUT  # no answer at all (no route) is said as soon as refused is
    keep_alive(subscriber)
    subscriber.ipv6 = needs_ipv6(address)
    try:
        subscriber.connect(address)
    except zmq.ZMQError as error:
        raise Fatal(f"cannot connect to {address}: {zmq.strerror(error.errno)}", error) from error


def keep_alive(socket: zmq.Socket) -> None:
    """Ping the other end now and then, and drop a connection whose peer stopped answering: a
    laptop that left the Wi-Fi says no goodbye, and TCP alone would wait for it for many minutes."""
    socket.heartbeat_ivl = HEARTBEAT_INTERVAL
    socket.heartbeat_timeout = HEARTBEAT_TIMEOUT


def reconnect(subscriber: zmq.Socket, address: str) -> None:
    """Drop the connection to `address`, if there is one, and connect again."""
    try:
        subscriber.disconnect(address)
    except zmq.ZMQError:  # not connected at the moment: nothing to drop
        pass
    subscriber.connect(address)


def send(publisher: zmq.Socket, parts: list) -> None:
    """Send one message made of `parts` (from wire.encode), without copying large ones.

    This is send_multipart(parts, copy=False), but a one-part message goes out through send(),
    which costs half as much (see benchmarks/numbers_throughput.py).
    """
    if len(parts) == 1:
        publisher.send(parts[0], copy=False)
    elif publisher.conflate:  # it would send the last part alone: a message no client could read
        raise ValueError("a socket with ZMQ_CONFLATE sends messages of one part only")
    else:
        publisher.send_multipart(parts, copy=False)


def receive_parts(socket: zmq.Socket, max_parts: int = MAX_PARTS) -> list[zmq.Frame]:
    """Receive all the parts of one message as zmq.Frame objects (no copy, writable).

    This is recv_multipart(copy=False), but asks each frame whether more parts follow instead
    of asking the socket, which is a slower call (see benchmarks/numbers_throughput.py).
    A message of more than `max_parts` parts raises WireError once all of it is taken off the
    socket, and every part past the first few is let go as soon as it is received, so that its
    memory is given back at once. (ZMQ_MAXMSGSIZE limits each part, not a message's count of
    parts, and ZeroMQ hands a message over only when all its parts are in.)
    """
    frame = socket.recv(copy=False)
    if not frame.more:  # most messages: one part
        return [frame]
    parts = [frame]
    count = 1
    while frame.more:
        frame = socket.recv(copy=False)
        count += 1
        if count <= max_parts:
            parts.append(frame)
    if count > max_parts:
        del frame, parts
        raise WireError(f"a message of {count} parts: ours have at most {max_parts}")
    return parts


class _Watch:
    """Watches the connections of a bound PUB socket, from a thread: says who joins and leaves
    (`count` is how many are connected), and cuts off any that would hoard memory.

    libzmq stores what each connection subscribes to until that connection closes (with
    XPUB_MANUAL too, "to use on termination"), takes in as many subscriptions as come while the
    server sends, and has no call to close one connection of a bound socket. So a socket monitor
    reports each connection's file descriptor, the kernel counts the bytes that came in on it,
    and every WATCH_INTERVAL the connections over SUBSCRIBER_MAX_BYTES are shut down: libzmq
    then closes them and frees what they stored. (Linux counts the bytes; elsewhere, and over
    ipc://, only the limits set in `bind` apply.) With CURVE, a client joins once the
    authenticator let its key in (security.admissions), and is named after its key file.
    With `small_buffers`, each connection from another computer gets a send buffer of
    REMOTE_SEND_BUFFER bytes as it comes.
    """

    def __init__(self, publisher: zmq.Socket, *, small_buffers: bool = False) -> None:
        self._publisher = publisher
        self._small_buffers = small_buffers
        self._curve = bool(publisher.curve_server)
        self._stop = threading.Event()
        self._refusals_said = set()
        self._unclear = {}
        self._cut_off_said = False
        self.count = 0
        endpoint = f"inproc://subscribers-{id(self)}"
        publisher.monitor(endpoint, zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED | _HANDSHAKE_FAILED)
        events = publisher.context.socket(zmq.PAIR)
        events.linger = 0
        events.rcvhwm = 0  # no limit: libzmq's I/O thread would wait for room to report an event
        events.connect(endpoint)
        self._thread = threading.Thread(target=self._run, args=(events,), name="subscriber watch", daemon=True)
        self._thread.start()

    def _run(self, events: zmq.Socket) -> None:
        peers: dict[int, _Peer] = {}
        with events:
            while not self._stop.is_set():
                # Often while anyone is connected; with no one, only now and then, to see the stop.
                try:
                    self._look(events, peers)
                except Exception as error:  # a bug here must not end the watch, nor hang the server
                    logs.log_warning(f"the subscriber watch: {logs.describe(error)}")

    def _look(self, events: zmq.Socket, peers: dict[int, "_Peer"]) -> None:
        """Take the monitor's events and the authenticator's decisions; cut off greedy peers."""
        if events.poll(WATCH_INTERVAL * 1000 if peers else 100):
            while events.poll(0):
                event, value = struct.unpack("=HI", events.recv_multipart()[0][:6])
                self._event(peers, event, value)
        self._admit(peers)
        self._say_unclear()
        for fd in [fd for fd in peers if _COUNTS_BYTES]:
            try:
                cut_off = _cut_off_if_greedy(fd)
            except OSError:  # closed meanwhile, or not TCP (ipc://): nothing to count
                continue
            if cut_off:
                message = f"cut off a subscriber at {cut_off}, and a subscriber needs a few hundred"
                logs.log_warning(message)  # every time in the log, once on the terminal
                if not self._cut_off_said:
                    logs.say(message)
                    self._cut_off_said = True

    def _event(self, peers: dict[int, "_Peer"], event: int, value: int) -> None:
        if event == zmq.EVENT_ACCEPTED:
            peers[value] = peer = _Peer(_peer_address(value))
            if self._small_buffers and _from_another_computer(peer.address):
                _shrink_send_buffer(value)
            if not self._curve:
                self._join(peer)
        elif event == zmq.EVENT_DISCONNECTED:
            peer = peers.pop(value, None)
            if peer is not None and peer.joined:
                self.count -= 1
                logs.inform(f"{peer} left ({self.count} connected)")
            elif peer is not None and self._curve:
                self._refused(peer.address, self._failure)
            self._failure = None
        elif event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._failure = "key not authorized"
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            self._failure = (_NO_KEYS if value == _MECHANISM_MISMATCH
                             else "its handshake failed (does it hold another server's key?)")

    # Why the handshake of the connection that closes next failed: libzmq reports it just before
    # the connection closes, without saying which connection it was. None: it gave no reason.
    _failure: str | None = None

    def _admit(self, peers: dict[int, "_Peer"]) -> None:
        """Take the authenticator's decisions: name the clients it let in. (Whom it refused, the
        socket monitor tells, as it tells every other failed handshake.)"""
        while not security.admissions.empty():  # this thread is the only one that takes from it
            address, name = security.admissions.get_nowait()
            address = plain_address(address)
            waiting = [peer for peer in peers.values() if peer.address == address and not peer.joined]
            if name is not None and waiting:
                waiting[0].name = name
                self._join(waiting[0])

    def _refused(self, address: str, reason: str | None) -> None:
        """Say that a client was refused, and why: once for each address and reason (it knocks
        again and again), and in the log each time (its flood gate counts the rest).

        Two kinds wait a moment for a clearer word, since a client knocks again within a fraction
        of a second (or after its --silence):
        - one that hung up during its handshake gives no reason. A client without keys does that
          when our greeting reaches it before its own greeting reaches us (about half the time),
          and so do a client's diagnosis (diagnosis.greeting) and programs that are not ZeroMQ.
          It is said to have no CURVE keys, unless a reason is said for its address within
          HUNG_UP_WAIT (a client with another class's keys is looked at after its handshake failed).
        - one that was gone before its address could be read (a third of the clients without
          keys: their handshake fails within a millisecond) is said as "a client", unless a
          client is refused by address for the same reason within UNNAMED_WAIT."""
        named = "a client" if address == "?" else address
        logs.log_warning(f"refused {named}: {reason or 'it hung up during the handshake'}")
        if address == "?":
            self._unclear.setdefault((address, reason or _NO_KEYS), time.monotonic() + UNNAMED_WAIT)
        elif reason is None:
            self._unclear.setdefault((address, _NO_KEYS), time.monotonic() + HUNG_UP_WAIT)
        else:
            self._say_refused(address, reason)

    def _say_unclear(self) -> None:
        """Say the refusals that waited for a clearer word (see _refused) and got none."""
        for (address, reason), deadline in list(self._unclear.items()):
            if address == "?":
                cleared = any(said == reason for _, said in self._refusals_said)
            else:
                cleared = any(said == address for said, _ in self._refusals_said)
            if cleared or time.monotonic() >= deadline:
                del self._unclear[(address, reason)]
                if not cleared:
                    self._say_refused("a client" if address == "?" else address, reason)

    def _say_refused(self, address: str, reason: str) -> None:
        if (address, reason) not in self._refusals_said:
            self._refusals_said.add((address, reason))
            logs.say(f"refused {address}: {reason}")

    _refusals_said: set[tuple[str, str]]  # (address, reason) said
    _unclear: dict[tuple[str, str], float]  # (address or "?", reason) waiting: until when (time.monotonic)

    def _join(self, peer: "_Peer") -> None:
        peer.joined = True
        self.count += 1
        logs.inform(f"{peer} joined ({self.count} connected)")

    def stop(self) -> None:
        """Stop watching (before the socket closes)."""
        if self._thread is not None:
            self._stop.set()
            # The monitor first, while its reader is still there: libzmq's monitor stops by
            # sending to it, and would wait for ever for a reader that is gone.
            self._publisher.monitor(None, 0)
            self._thread.join()
            self._thread = None


class _Peer:
    """A connection to a server: where from, and with CURVE, whose key."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.name: str | None = None
        self.joined = False

    def __str__(self) -> str:
        return f"{self.name} ({self.address})" if self.name else f"client {self.address}"


_HANDSHAKE_FAILED = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH  # with a reason
_MECHANISM_MISMATCH = 0x11000002  # ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
_NO_KEYS = "it has no CURVE keys"  # why a CURVE server refused a client that offered none


def _peer_address(fd: int) -> str:
    """The IP address at the other end of the connection on `fd` ("this computer" for ipc://)."""
    try:
        with socket.socket(fileno=os.dup(fd)) as connection:  # a second descriptor: libzmq keeps its own
            peer = connection.getpeername()
    except OSError:
        return "?"
    if not (isinstance(peer, tuple) and peer[0]):
        return "this computer"
    return plain_address(peer[0])


def _from_another_computer(address: str) -> bool:
    """Whether a peer's address (from _peer_address) is another computer's."""
    try:
        return not ipaddress.ip_address(address).is_loopback
    except ValueError:  # "this computer" (ipc://), or "?" (gone already)
        return False


def _shrink_send_buffer(fd: int) -> None:
    """Let the kernel hold only REMOTE_SEND_BUFFER bytes for the connection on `fd`."""
    try:  # a second descriptor for the same connection: libzmq keeps (and closes) its own
        with socket.socket(fileno=os.dup(fd)) as connection:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, REMOTE_SEND_BUFFER)
    except OSError:  # closed meanwhile: nothing to shrink
        pass


def plain_address(address: str) -> str:
    """An IP address as people write it: 10.0.0.7, not ::ffff:10.0.0.7 (how an IPv4 client
    looks to a server listening on IPv4 and IPv6)."""
    try:
        mapped = getattr(ipaddress.ip_address(address), "ipv4_mapped", None)  # IPv6 addresses have it
    except ValueError:
        return address
    return str(mapped) if mapped else address


def _cut_off_if_greedy(fd: int) -> str | None:
    """Shut down the TCP connection on `fd` if it brought more than SUBSCRIBER_MAX_BYTES; if it
    did, who it was and how much it sent."""
    # A second descriptor for the same connection: libzmq keeps (and closes) its own.
    with socket.socket(fileno=os.dup(fd)) as connection:
        received = _bytes_received(connection)
        if received <= SUBSCRIBER_MAX_BYTES:
            return None
        host, port = connection.getpeername()[:2]
        connection.shutdown(socket.SHUT_RDWR)
    return f"{host} port {port}: it sent {received} bytes"


# struct tcp_info, in linux/tcp.h: tcpi_bytes_received is a 64-bit count at byte 128 (Linux 4.1+).
_COUNTS_BYTES = sys.platform.startswith("linux") and hasattr(socket, "TCP_INFO")
_BYTES_RECEIVED = struct.Struct("=Q")
_BYTES_RECEIVED_AT = 128


def _bytes_received(connection: socket.socket) -> int:
    info = connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    if len(info) < _BYTES_RECEIVED_AT + _BYTES_RECEIVED.size:
        return 0  # a kernel too old to count
    return _BYTES_RECEIVED.unpack_from(info, _BYTES_RECEIVED_AT)[0]


def needs_ipv6(address: str) -> bool:
    """Whether `address` needs ZeroMQ's IPv6 (off by default): tcp://[::1]:5687, tcp://*:5687
    (every interface, IPv4 and IPv6), or a host name with only IPv6 addresses. A name that has an
    IPv4 address (localhost) stays on IPv4, so that it reaches the servers it always reached."""
    if not address.startswith("tcp://"):
        return False
    host = address[len("tcp://"):].rsplit(":", 1)[0]
    if host.startswith("[") or host == "*":
        return True
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.getaddrinfo(host, None, family, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            continue
        return family == socket.AF_INET6
    return False  # no address at all (an interface name such as eth0?): libzmq decides


def _cannot_bind(address: str, error: zmq.ZMQError) -> Fatal:
    hint = " (is a server already running there?)" if error.errno == errno.EADDRINUSE else ""
    return Fatal(f"cannot bind {address}: {zmq.strerror(error.errno)}{hint}", error)


def _refuse_a_path_in_use(address: str) -> None:
    """For ipc://PATH: raise Fatal if a server listens there. libzmq would delete its socket file
    and take the path over in silence; a file that no one listens on (left by a server that was
    killed) is fine: libzmq replaces it."""
    path = _ipc_path(address)
    if path is None or not hasattr(socket, "AF_UNIX"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(path)
        except OSError:  # no such file, no one listening, or not a socket: libzmq's bind will say
            return
    error = zmq.ZMQError(errno.EADDRINUSE)
    error.strerror += f" (addr={address!r})"  # as pyzmq words it for a busy TCP port
    raise _cannot_bind(address, error)


def _ipc_path(address: str) -> str | None:
    """The socket file of an ipc:// address; None for other transports, for ipc://* (libzmq
    picks a path and deletes it) and for Linux's abstract names (ipc://@name: no file)."""
    if not address.startswith("ipc://"):
        return None
    path = address[len("ipc://"):]
    return None if path == "*" or path.startswith("@") else path


def _identity(path: str | None) -> tuple[int, int] | None:
    """Which file is at `path` (device and inode), or None if there is none."""
    try:
        status = os.stat(path) if path else None
    except OSError:
        return None
    return (status.st_dev, status.st_ino) if status else None
