"""What a client tells its user about its connection, in plain words.

Every failure used to look the same to a student: nothing on the screen. ZeroMQ connects in
the background and retries for ever, so a client cannot see an error the way a plain TCP
program would; but its socket monitor reports each step (connect delayed or retried, closed,
connected, handshake succeeded or failed), and those steps tell the causes apart:

    the host name does not resolve       retried without ever starting a TCP connection
    nothing listens there                TCP connection refused, or no answer (no route)
    the server requires CURVE keys       handshake failed: the security mechanisms differ
    the CURVE handshake failed           the server refused our key, or it is not our server
    not a ZeroMQ server                  handshake cut short, and what listens does not greet
                                         as ZeroMQ does
    connected, but the server sends nothing
    receiving messages it cannot read    (from the receive loop: a pickle, the wrong part...)

A handshake cut short gives no reason: the peer hung up. A program that is not ZeroMQ does
that, but so does a CURVE server when it reads our greeting, sees no keys and hangs up before
its own greeting has left: about half the time on one computer, and at a busy server up to 40
times in a row (6 s, at a video server sending 83 MB/s). So the client then asks for itself:
`greeting` connects, starts the way every ZeroMQ peer does, and reads what comes back.

Each is said once, on stderr and in the log, and again when it changes. A client script
enters `watch` before it connects, so that the monitor sees the very first attempt.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import threading
import time
from concurrent.futures import Future
from typing import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import logs

MECHANISM_MISMATCH = 0x11000002  # ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
GREETING_TIMEOUT = 1.0  # seconds for `greeting`: a ZeroMQ server greets within milliseconds
GREETING_INTERVAL = 10.0  # seconds between two looks while handshakes keep being cut short

# The start of a ZeroMQ greeting (ZMTP 3, rfc.zeromq.org/spec/23): a signature, 0xFF, 8 bytes of
# padding and 0x7F; then the major version, the minor version and the security mechanism's name
# in 20 bytes. A peer sends the rest of its greeting once it has the other's major version.
_SIGNATURE = b"\xff" + bytes(8) + b"\x7f"
_MAJOR_VERSION = b"\x03"
_MECHANISM = slice(12, 32)


@contextlib.contextmanager
def watch(subscriber: zmq.Socket, args: argparse.Namespace) -> Iterator[ConnectionStatus]:
    """Follow, through its socket monitor, how `subscriber` fares in connecting to --connect,
    for as long as the `with` block lasts; the ConnectionStatus it gives says what goes wrong.

    Enter it before connecting: a monitor reports only what happens once it is there.
    `args` are a client's options (options.numbers_client or video_client)."""
    with subscriber.get_monitor_socket() as monitor:
        yield ConnectionStatus(args.connect, args.silence, curve=args.curve is not None, monitor=monitor)


class ConnectionStatus:
    """A client's view of its server: fed with monitor events and with what arrives, it says
    what is going on whenever that changes, and when it is time to connect again.

    `monitor` is the subscriber's socket monitor, whose events `take_events` reads; without
    one, the events come through `event`."""

    def __init__(self, address: str, silence: float, *, curve: bool, monitor: zmq.Socket | None = None) -> None:
        self.address, self.silence, self.curve, self.monitor = address, silence, curve, monitor
        self.deadline = time.monotonic() + silence
        self.state = "starting"
        self.connected = False  # a ZeroMQ handshake succeeded and the connection is up
        self.rejection: str | None = None  # why the last bad message since the last check was bad
        self.delayed = False  # a TCP connection was started since the last retry
        self.link = -1  # file descriptor of the newest connection
        self.reached = False  # the newest attempt got a TCP connection
        self.look: Future[str | None] | None = None  # what `greeting` found, once it is done
        self.next_look = 0.0  # when `greeting` may be asked again (time.monotonic)
        self.news: str | None = None  # what is wrong, as last said; None while data flows
        self.last_attempt = time.monotonic()  # when ZeroMQ last tried to connect

    def start(self) -> None:
        """Call as the client starts receiving: says so, and starts the clock for `silence`."""
        logs.say(f"connecting to {self.address}")
        self.deadline = time.monotonic() + self.silence

    def take_events(self) -> None:
        """Take the events that the socket monitor has reported (none without a monitor)."""
        while self.monitor is not None and self.monitor.poll(0):
            event = recv_monitor_message(self.monitor)
            self.event(event["event"], event["value"])

    def event(self, event: int, value: int) -> None:
        """Take one socket monitor event (zmq.EVENT_*) and its value."""
        self._take_look()
        if event in (zmq.EVENT_CONNECT_DELAYED, zmq.EVENT_CONNECT_RETRIED, zmq.EVENT_CONNECTED):
            self.last_attempt = time.monotonic()  # ZeroMQ is trying by itself
        if event == zmq.EVENT_CONNECT_DELAYED:
            self.delayed = True
        elif event == zmq.EVENT_CONNECT_RETRIED and (self.connected or self.reached):
            self.reached = False  # the attempt reached a server: its handshake's events said what went wrong
        elif event == zmq.EVENT_CONNECT_RETRIED:
            if not self.delayed and not _resolves(self.address):
                self._enter("unresolved", f"the host name in {self.address} does not resolve: check the address")
            else:
                self._enter("unreachable", f"nothing listens at {self.address} (connection refused, or no route "
                                           "to it): waiting for the server (is the address right?)")
            self.delayed = False
        elif event == zmq.EVENT_CONNECTED:
            self.link = value  # the connection's file descriptor: later events may be about older ones
            self.reached = True
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.connected, self.next_look = True, 0.0
            self.deadline = max(self.deadline, time.monotonic() + self.silence)  # a new server gets its time
        elif event == zmq.EVENT_DISCONNECTED and value == self.link:
            if not self.connected:  # cut short without a word: a web server's answer, at a client with keys
                self._look_at_what_listens()
            self.connected = False
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == MECHANISM_MISMATCH:
            self._mismatch()
        elif self.curve and event in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self._curve_failed()
        elif event in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self._look_at_what_listens()  # the peer hung up, or spoke in a way we cannot name

    def check(self) -> bool:
        """Call when nothing arrived for a while; True once every `silence` seconds without a
        good message, a connection or ZeroMQ trying to connect: then it is time to connect again."""
        self._take_look()
        if time.monotonic() < self.deadline:
            return False
        if self.rejection is not None:
            self._unreadable()
        elif self.connected:
            self._enter("silent", f"connected to {self.address}, but the server sends nothing "
                                  f"(for {self.silence:g} s now)")
        elif self.state in ("starting", "flowing"):
            self._enter("waiting", f"no data from {self.address} for {self.silence:g} s; waiting for the server")
        self.rejection = None  # from now on, only what comes next counts
        self.deadline = time.monotonic() + self.silence
        # ZeroMQ reconnects by itself, except after it dropped a connection for breaking the
        # rules (a message over the size limit, say): then it is our turn.
        return not self.connected and time.monotonic() - self.last_attempt >= self.silence

    def rejected(self, reason: str) -> None:
        """Call for each message that arrives but cannot be used."""
        self.rejection = reason
        if time.monotonic() >= self.deadline:
            self._unreadable()

    def heard(self) -> None:
        """Call for each good message."""
        if self.state != "flowing":
            if self.state != "starting":
                logs.warning(f"data flows again from {self.address}")
            self.state, self.news = "flowing", None
        self.connected = True
        self.rejection = None
        self.deadline = time.monotonic() + self.silence

    def _unreadable(self) -> None:
        # A web server's answer passes for a message of ZeroMQ's first version: "not ZeroMQ" says more.
        if self.state != "not-zeromq":
            self._enter("unreadable")

    def _mismatch(self) -> None:
        """The server's security mechanism is not ours."""
        if self.curve:
            self._enter("no-curve", f"the server at {self.address} does not use CURVE: start without --curve")
        else:
            self._enter("needs-curve", f"the server at {self.address} requires CURVE keys: "
                                       "start with --curve KEYDIR (ask the teacher for your key folder)")

    def _curve_failed(self) -> None:
        self._enter("curve-failed", f"the CURVE handshake with {self.address} failed: our key is not on the "
                                    "server's list, or the server is not the one our server.key names")

    def _look_at_what_listens(self) -> None:
        """Start `greeting` in a thread (it waits for the network), unless a look is under way
        or was taken lately; `_take_look` says what it found."""
        if self.look is not None or time.monotonic() < self.next_look:
            return
        self.next_look = time.monotonic() + GREETING_INTERVAL
        look: Future[str | None] = Future()
        threading.Thread(target=lambda: look.set_result(greeting(self.address)), name="diagnosis greeting",
                         daemon=True).start()
        self.look = look

    def _take_look(self) -> None:
        """If `greeting` has answered: say what it means, for a handshake that was cut short."""
        if self.look is None or not self.look.done():
            return
        mechanism, self.look = self.look.result(), None
        if mechanism == "":
            self._enter("not-zeromq", f"something at {self.address} answers, but it is not a ZeroMQ server: "
                                      "is the port right?")
        elif mechanism == ("NULL" if self.curve else "CURVE"):
            self._mismatch()  # what ZeroMQ itself says when the server's greeting gets to us first
        elif mechanism is not None and self.curve:
            self._curve_failed()  # a ZeroMQ server hung up on our keys
        # Otherwise: nothing to tell (no answer, or a ZeroMQ server that hangs up on us for
        # a reason it does not name); the next events or the silence will say more.

    def _enter(self, state: str, news: str | None = None) -> None:
        if state != self.state:
            self.state = state
            self.news = news or f"receiving messages it cannot read from {self.address}: {self.rejection}"
            logs.warning(self.news)


def greeting(address: str, timeout: float = GREETING_TIMEOUT) -> str | None:
    """Connect to `address` (tcp:// or ipc://) without ZeroMQ, send the first bytes of a ZeroMQ
    greeting, and read the answer, for at most `timeout` seconds. Returns the name of the
    security mechanism the peer greets with ("NULL", "CURVE"; "?" if it hung up before naming
    one), "" if the peer is not ZeroMQ (it closed without a word, or sent something else, as a
    web server does), or None if it cannot be told (no connection; or silence, from a program
    that waits for its client to speak first, in a protocol of its own).

    The peer sees a client that hangs up during its greeting: a server with --curve logs it."""
    deadline = time.monotonic() + timeout
    try:
        connection = _connect_plainly(address, timeout)
    except (OSError, ValueError):  # refused, no route, an unknown name or file, or not tcp/ipc
        return None
    answer = b""
    with connection:
        try:
            connection.sendall(_SIGNATURE + _MAJOR_VERSION)  # its greeting comes once it has our version
            while len(answer) < _MECHANISM.stop and _greets_so_far(answer):
                connection.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = connection.recv(_MECHANISM.stop - len(answer))
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            if _greets_so_far(answer):
                return "?" if answer else None  # a ZeroMQ greeting cut short; or silence
        except OSError:  # reset: as good as closed
            pass
    if not (answer and _greets_so_far(answer)):
        return ""
    if len(answer) < _MECHANISM.stop:
        return "?"
    if answer[len(_SIGNATURE)] < 3:  # ZMTP 1.0 and 2.0 had no security mechanisms
        return "NULL"
    return answer[_MECHANISM].rstrip(b"\0").decode("ascii", "replace") or "?"


def _greets_so_far(answer: bytes) -> bool:
    """Whether what a peer sent may be the start of a ZeroMQ greeting (b"" may)."""
    return answer[:1] in (b"", b"\xff") and (len(answer) < len(_SIGNATURE) or answer[9] == 0x7F)


def _connect_plainly(address: str, timeout: float) -> socket.socket:
    """A plain socket connected to a tcp:// or ipc:// address; ValueError for another kind."""
    tcp = re.fullmatch(r"tcp://\[?(?P<host>[^\];]+?)\]?:(?P<port>\d+)", address)
    if tcp:
        return socket.create_connection((tcp["host"], int(tcp["port"])), timeout)
    if address.startswith("ipc://") and hasattr(socket, "AF_UNIX"):
        path = address[len("ipc://"):]
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        try:
            connection.connect("\0" + path[1:] if path.startswith("@") else path)  # @name: Linux's abstract names
        except OSError:
            connection.close()
            raise
        return connection
    raise ValueError(f"no plain connection to {address}")


def _resolves(address: str) -> bool:
    """Whether the host of a tcp:// address resolves (anything else counts as resolving)."""
    match = re.fullmatch(r"tcp://\[?(?P<host>[^\]]+?)\]?:\d+", address)
    if not match:
        return True
    try:
        socket.getaddrinfo(match["host"], None)
    except (socket.gaierror, UnicodeError):
        return False
    return True
