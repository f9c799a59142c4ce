"""A relay's watch over its proxy: the stats line once a second, and news of its server.

libzmq's proxy (zmq.proxy_steerable, called in relay.py) moves the messages, in C, without
copying them. This watch runs beside it, in a thread, and talks to it over the proxy's control
socket: once a second it asks for the proxy's counters ("STATISTICS": messages and bytes in and
out) and prints them with the number of clients. It also tells the person at the terminal how
the connection to the server fares, as a client does (diagnosis.ConnectionStatus), and stops the
proxy ("TERMINATE") when it is time to connect to the server again.
"""

from __future__ import annotations

from pubsub_demo.client.diagnosis import ConnectionStatus
from pubsub_demo.net import endpoints
from pubsub_demo.net.endpoints import NUMBERS_ADDRESS, VIDEO_ADDRESS
from pubsub_demo.process import console, lifetime, logs
from pubsub_demo.server.outflow import Connections, Outflow
from pubsub_demo.system import signals

import struct
import threading
import time
from typing import NamedTuple

import zmq
from zmq.utils.monitor import recv_monitor_message

QUEUE = 2  # messages held for each client, and taken in from the server: for video, 2 frames at most
SILENCE = 3.0  # seconds without a message from the server after which the relay says so
TICK = 0.25  # seconds between looks at the stop request and the server connection's events

_COUNT = struct.Struct("=Q")  # each of the proxy's counters


class Counters(NamedTuple):
    """What the proxy counted since it started: whole messages, not their parts."""

    messages_in: int = 0
    bytes_in: int = 0
    messages_out: int = 0
    bytes_out: int = 0


class Watch:
    """Runs beside the proxy between `upstream` (the SUB socket, connected to `address`) and the
    clients' socket, whose connections `clients` counts (the Attendance of monitoring.watch_subscribers).

    Use as a context manager, before `upstream` connects (its socket monitor must see the first
    events); pass `control` to zmq.proxy_steerable. `curve` says whether the relay uses CURVE
    towards its server, for the diagnosis.
    """

    def __init__(self, upstream: zmq.Socket, address: str, clients: Connections, *, curve: bool) -> None:
        self._upstream, self._address, self._clients, self._curve = upstream, address, clients, curve
        context = upstream.context
        endpoint = f"inproc://relay-control-{id(self)}"
        self.control = context.socket(zmq.REP)  # the proxy's end: it answers each command
        self.control.linger = 0
        self.control.bind(endpoint)
        self._commands = context.socket(zmq.REQ)  # ours, used only by the watch's thread
        self._commands.linger = 0
        self._commands.connect(endpoint)
        self._monitor = upstream.get_monitor_socket()  # how the connection to the server fares
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="relay watch", daemon=True)

    def __enter__(self) -> Watch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._commands.close()
        self.control.close()
        # libzmq's I/O thread sends each event to the monitor socket holding a lock that
        # disable_monitor needs, and pyzmq waits for that lock holding the GIL (so not even
        # lifetime.STOP_GRACE ends the script): if the events were not taken for a while (the watch
        # ended early), the I/O thread waits for room in a full queue. Make room first.
        while self._monitor.poll(0):
            self._monitor.recv_multipart()
        self._upstream.disable_monitor()  # first: it tells the monitor socket, which must still be open
        self._monitor.close()

    def _run(self) -> None:
        # Ctrl+C must reach the main thread, where it interrupts the proxy: this thread takes no signal.
        signals.keep_off_this_thread()
        try:
            self._watch()
        except zmq.ZMQError as error:  # its sockets are gone: the relay stops
            if not (self._stop.is_set() or lifetime.stop_requested() or error.errno in (zmq.ETERM, zmq.ENOTSOCK)):
                logs.log_warning(f"the relay's watch: {logs.describe(error)}")
        except Exception as error:  # a bug here must not print a traceback over the relay's lines
            logs.log_warning(f"the relay's watch: {logs.describe(error)}")

    def _watch(self) -> None:
        """The stats line once a second, news of the server, and stopping the proxy when asked."""
        status = ConnectionStatus(self._address, SILENCE, curve=self._curve, curve_option="--upstream-curve")
        outflow = Outflow(self._clients)  # the bytes each client acknowledged, where the kernel counts them
        outflow.since_last()
        before, started = Counters(), time.monotonic()
        while not self._stop.is_set():
            self._listen(status, until=started + 1.0)
            if lifetime.stop_requested():
                # The main thread may be held in the proxy, in C, the signal's handler not yet run
                # (see lifetime.stop_requested): the proxy stops, pyzmq then runs the handler, which
                # stops the relay (or relay.py's loop does, lifetime.checkpoint, if pyzmq dropped it).
                self._ask(b"TERMINATE")
                return
            reply = self._ask(b"STATISTICS")
            if reply is None:
                return
            counters = Counters(*(_COUNT.unpack(part)[0] for part in reply[:2] + reply[-2:]))
            now = time.monotonic()
            console.inform(stats_line(self._clients.count, before, counters, outflow.since_last(), now - started))
            # Messages of a second in which the server went away are news of the past: they
            # count as data flowing only while the connection is up.
            if counters.messages_in > before.messages_in and status.connected:
                status.heard()
            elif counters.messages_in > before.messages_in:
                status.flowed = True  # it came before the server went away: when data comes next, it is "again"
            elif status.check():
                # ZeroMQ connects again by itself when a server goes away, but not after it dropped
                # a connection for breaking the rules: the proxy stops, and relay.py connects again.
                if self._ask(b"TERMINATE") is None:
                    return
                counters = Counters()  # the next proxy counts from 0
            before, started = counters, now

    def _listen(self, status: ConnectionStatus, until: float) -> None:
        """Pass the server connection's events to `status` until `until` (or a stop request)."""
        while not (self._stop.is_set() or lifetime.stop_requested()) and (remaining := until - time.monotonic()) > 0:
            if self._monitor.poll(int(1000 * min(remaining, TICK))):
                event = recv_monitor_message(self._monitor)
                status.event(event["event"], event["value"])

    def _ask(self, command: bytes) -> list[bytes] | None:
        """The proxy's answer to `command`; None if the relay stops first."""
        self._commands.send(command)
        while not self._stop.is_set():
            if self._commands.poll(1000 * TICK):
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
