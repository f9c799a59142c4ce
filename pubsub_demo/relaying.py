"""A relay's watch over its proxy: the stats line once a second, and news of its server.

libzmq's proxy (zmq.proxy_steerable, called in relay.py) moves the messages, in C, without
copying them. This watch runs beside it, in a thread, and talks to it over the proxy's control
socket: once a second it asks for the proxy's counters ("STATISTICS": messages and bytes in and
out) and prints them with the number of clients. It also tells the person at the terminal how
the connection to the server fares, as a client does (diagnosis.ConnectionStatus), and stops the
proxy ("TERMINATE") when it is time to connect to the server again.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import zmq

from pubsub_demo.client.diagnosis import ConnectionStatus
from pubsub_demo.net import endpoints, monitor
from pubsub_demo.net.endpoints import NUMBERS_ADDRESS, VIDEO_ADDRESS
from pubsub_demo.process import console, lifetime
from pubsub_demo.server.outflow import Connections, Outflow
from pubsub_demo.system import signals

ABOUT = """\
A PUB socket sends one copy of each message per client: a teacher's laptop on Wi-Fi serving 20
students sends every frame 20 times over its own link. Put a relay in the room, on a wired
computer: the teacher's server sends it one copy, and the relay sends one to each student.
Clients connect to a relay exactly as to a server, and a relay may connect to another relay (a
room each, a building). It works for both parts: it passes messages on unchanged, unread.

zmq.proxy_steerable moves the messages in C, without copying them. ZeroMQ's usual proxy is XSUB
to XPUB, which passes each client's subscriptions up to the server; here the relay subscribes to
everything once, and its clients' subscriptions stop at its PUB socket: a stranger's flood of
them costs the server nothing. The relay holds at most 2 messages for each client: a slow
client gets the newest frames (or arrays), never an ever longer queue.
"""  # why a relay, and how it works: the end of relay.py's --help

QUEUE = 2  # messages held for each client, and taken in from the server: for video, 2 frames at most
SILENCE = 3.0  # seconds without a message from the server after which the relay says so

_COUNT = struct.Struct("=Q")  # each of the proxy's counters


class Counters(NamedTuple):
    """What the proxy counted since it started: whole messages, not their parts."""

    messages_in: int = 0
    bytes_in: int = 0
    messages_out: int = 0
    bytes_out: int = 0


class Watch(monitor.Watch):
    """Runs beside the proxy between `upstream` (the SUB socket, connected to `address`) and the
    clients' socket, whose connections `clients` counts (the Attendance of monitoring.watch_subscribers).

    Use as a context manager, before `upstream` connects (its socket monitor must see the first
    events); pass `control` to zmq.proxy_steerable. `curve` says whether the relay uses CURVE
    towards its server, for the diagnosis.
    """

    def __init__(self, upstream: zmq.Socket, address: str, clients: Connections, *, curve: bool) -> None:
        super().__init__(upstream, zmq.EVENT_ALL, name="relay's watch")
        self._clients = clients
        context = upstream.context
        endpoint = f"inproc://relay-control-{id(self)}"
        self.control = context.socket(zmq.REP)  # the proxy's end: it answers each command
        self.control.linger = 0
        self.control.bind(endpoint)
        self._commands = context.socket(zmq.REQ)  # ours, used only by the watch's thread
        self._commands.linger = 0
        self._commands.connect(endpoint)
        self._status = ConnectionStatus(address, SILENCE, curve=curve, curve_option="--upstream-curve")
        self._outflow = Outflow(clients)  # the bytes each client acknowledged, where the kernel counts them
        self._before = Counters()

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self._commands.close()
        self.control.close()

    def begin(self) -> None:
        # Ctrl+C must reach the main thread, where it interrupts the proxy: this thread takes no signal.
        signals.keep_off_this_thread()
        self._outflow.since_last()

    def event(self, kind: int, value: int) -> None:
        self._status.event(kind, value)  # how the connection to the server fares

    def after_wake(self, *, quiet: bool) -> None:
        if lifetime.stop_requested():
            # The main thread may be held in the proxy, in C, the signal's handler not yet run
            # (see lifetime.stop_requested): the proxy stops, pyzmq then runs the handler, which
            # stops the relay (or relay.py's loop does, lifetime.checkpoint, if pyzmq dropped it).
            self._ask(b"TERMINATE")
            self.stop.set()

    def every_second(self, elapsed: float) -> None:
        """The stats line, news of the server, and stopping the proxy when it is time to connect again."""
        reply = self._ask(b"STATISTICS")
        if reply is None:
            return
        before, counters = self._before, Counters(*(_COUNT.unpack(part)[0] for part in reply[:2] + reply[-2:]))
        console.inform(stats_line(self._clients.count, before, counters, self._outflow.since_last(), elapsed))
        # Messages of a second in which the server went away are news of the past: they
        # count as data flowing only while the connection is up.
        if counters.messages_in > before.messages_in and self._status.connected:
            self._status.heard()
        elif counters.messages_in > before.messages_in:
            self._status.flowed = True  # it came before the server went away: when data comes next, it is "again"
        elif self._status.check():
            # ZeroMQ connects again by itself when a server goes away, but not after it dropped
            # a connection for breaking the rules: the proxy stops, and relay.py connects again.
            if self._ask(b"TERMINATE") is None:
                return
            counters = Counters()  # the next proxy counts from 0
        self._before = counters

    def _ask(self, command: bytes) -> list[bytes] | None:
        """The proxy's answer to `command`; None if the relay stops first."""
        self._commands.send(command)
        while not self.stop.is_set():
            if self._commands.poll(1000 * monitor.INTERVAL):
                return self._commands.recv_multipart()
        return None


def stats_line(clients: int, before: Counters, after: Counters, sent: int | None, seconds: float) -> str:
    """The relay's stats line: clients, then messages and MB a second from the server and to the
    clients, from the proxy's counters `before` and `after` and the bytes the clients
    acknowledged meanwhile, as the kernel counted them (`sent`; None where it does not).

    The proxy counts each message once; the bytes out count every client's copy, as the kernel
    sent them, so they show what the relay spares the server's link. Where the kernel does not
    count (ipc://, or a system without the counts) they are estimated: bytes passed on times
    clients. The proxy counts the messages it hands to the clients' socket even when no client
    is there to take them (PUB drops them): then none went out."""
    if sent is None:
        sent = (after.bytes_out - before.bytes_out) * clients
    passed_on = after.messages_out - before.messages_out if clients or sent > 0 else 0
    return (
        f"Relay: {clients} client{'' if clients == 1 else 's'}; "
        f"in {(after.messages_in - before.messages_in) / seconds:.1f} msg/s, "
        f"{(after.bytes_in - before.bytes_in) / seconds / 1e6:.2f} MB/s; "
        f"out {passed_on / seconds:.1f} msg/s, "
        f"{max(sent, 0) / seconds / 1e6:.2f} MB/s"
    )


def client_command(server: str) -> str:
    """The client script a relay's students run: the one of the part whose server's port `server`
    has (each part has its own), else a stand-in for either."""
    port = endpoints.port(server)
    for address, client in (
        (NUMBERS_ADDRESS, "random_numbers_transmission/client1.py"),
        (VIDEO_ADDRESS, "video_transmission/client1.py"),
    ):
        if port is not None and endpoints.port(address) == port:
            return client
    return "PART/client1.py"
