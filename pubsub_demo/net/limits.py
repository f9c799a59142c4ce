"""What a socket may take in and hold: the settings each role's socket gets before it binds or
connects, one call a role (`for_publisher`, `for_camera`, `for_numbers`, `for_video`, `for_wall`).

Every socket gets linger 0: when a script stops, it drops the messages a peer has not taken yet
instead of waiting for them, so Ctrl+C never hangs. And a peer that stopped answering (a laptop
that left the Wi-Fi says no goodbye) is seen to go within seconds, not the many minutes TCP
waits by default.
"""

from __future__ import annotations

import zmq

from pubsub_demo.wire import NUMBERS_MAX_BYTES, VIDEO_MAX_BYTES, WALL_MAX_BYTES

CONNECT_TIMEOUT = 2000  # ms to wait for a TCP connection to be accepted
# A peer that stopped answering: TCP asks after KEEPALIVE_IDLE s of silence, every
# KEEPALIVE_INTERVAL s, and gives up on the connection once nothing it sent (data or a question)
# was acknowledged for UNANSWERED_LIMIT ms. Its questions carry no data, unlike ZeroMQ's
# heartbeats, which would make every subscriber send a few bytes every few seconds for as long
# as it stays: a server could not tell those from subscriptions (see server/attendance.py).
KEEPALIVE_IDLE = 2  # s
KEEPALIVE_INTERVAL = 2  # s
KEEPALIVE_COUNT = 3  # questions unanswered before TCP gives up (where TCP_USER_TIMEOUT does not say sooner)
UNANSWERED_LIMIT = 6000  # ms

# What a publisher takes in from each subscriber: a greeting, a handshake and its subscription,
# which libzmq keeps in a tree that costs memory and time for each byte (docs/performance.md,
# "Figures behind the code's limits"). A larger message drops its connection before anything is
# stored; server/monitoring.py cuts off a connection that sends more in all.
SUBSCRIPTION_MAX_BYTES = {  # per message, by whether the publisher uses CURVE: the largest
    True: 1024,  # handshake command is CURVE's INITIATE, 285 bytes from our clients
    False: 64,  # or, without CURVE, READY: 27 bytes from a SUB socket
}
SUBSCRIPTION_QUEUE = 2  # subscriptions queued per connection (ZMQ_RCVHWM, 1000 by default): the
# fewer, the less libzmq takes in at once; with 1, no CURVE client got through
SUBSCRIPTION_BUFFER = 512  # bytes the kernel holds for libzmq to read, per connection (Linux makes
# it its least, some 2 kB): what comes faster waits at the sender, so libzmq has little at hand
# when the watch cuts a connection off (a larger buffer cost a flood's server far more time:
# docs/performance.md)


def for_publisher(publisher: zmq.Socket) -> None:
    """A publisher that binds (a server's PUB, a relay's): it takes in nothing but subscriptions,
    small and few at a time. Call it once any CURVE keys are set (with CURVE, the handshake's
    messages are larger), and before bind (a connection's queues are made as it comes)."""
    publisher.maxmsgsize = SUBSCRIPTION_MAX_BYTES[bool(publisher.curve_server)]
    publisher.rcvhwm = SUBSCRIPTION_QUEUE
    publisher.rcvbuf = SUBSCRIPTION_BUFFER
    _every_socket(publisher)


def for_camera(publisher: zmq.Socket) -> None:
    """A publisher that connects (a camera's PUB): it takes in nothing but subscriptions, small
    and few at a time, as one that binds (with CURVE or not: its keys may be set only later)."""
    publisher.maxmsgsize = SUBSCRIPTION_MAX_BYTES[True]
    publisher.rcvhwm = SUBSCRIPTION_QUEUE
    _every_socket(publisher)


def for_numbers(subscriber: zmq.Socket) -> None:
    """A numbers client's socket: a message over NUMBERS_MAX_BYTES drops the connection it came on
    (ZeroMQ then connects again), before any memory is spent on it."""
    _receives(subscriber, NUMBERS_MAX_BYTES)


def for_video(subscriber: zmq.Socket) -> None:
    """A video client's socket (a relay's and a web gateway's too): a message over
    VIDEO_MAX_BYTES (a raw 4K frame is 24 MiB) drops its connection, before any memory is spent on it."""
    _receives(subscriber, VIDEO_MAX_BYTES)


def for_wall(subscriber: zmq.Socket) -> None:
    """A wall's socket, which many cameras connect to: a message over WALL_MAX_BYTES drops the
    connection of the camera that sent it, before any memory is spent on it."""
    _receives(subscriber, WALL_MAX_BYTES)


def for_messages_of(sock: zmq.Socket, max_bytes: int) -> None:
    """Any other socket that receives: a message over `max_bytes` drops its connection."""
    _receives(sock, max_bytes)


def keep_alive(sock: zmq.Socket) -> None:
    """Drop a connection whose peer stopped answering, within seconds (TCP keepalive, and
    ZMQ_TCP_MAXRT: Linux's TCP_USER_TIMEOUT, Windows' TCP_MAXRT; macOS has neither, and a
    watch sets its own there, system.connections.give_up_after)."""
    sock.tcp_keepalive = 1
    sock.tcp_keepalive_idle = KEEPALIVE_IDLE
    sock.tcp_keepalive_intvl = KEEPALIVE_INTERVAL
    sock.tcp_keepalive_cnt = KEEPALIVE_COUNT
    sock.setsockopt(zmq.TCP_MAXRT, UNANSWERED_LIMIT)


def _receives(sock: zmq.Socket, max_bytes: int) -> None:
    sock.maxmsgsize = max_bytes
    _every_socket(sock)


def _every_socket(sock: zmq.Socket) -> None:
    sock.linger = 0
    sock.connect_timeout = CONNECT_TIMEOUT  # no answer at all (no route) is said as soon as refused is
    keep_alive(sock)
