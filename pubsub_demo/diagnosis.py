"""What a client tells its user about its connection, in plain words.

Every failure used to look the same to a student: nothing on the screen. ZeroMQ connects in
the background and retries for ever, so a client cannot see an error the way a plain TCP
program would; but its socket monitor reports each step (connect delayed or retried, closed,
connected, handshake succeeded or failed), and those steps tell the causes apart:

    the host name does not resolve       retried without ever starting a TCP connection
    nothing listens there                TCP connection refused, or no answer (no route)
    the server requires CURVE keys       handshake failed: the security mechanisms differ
    the CURVE handshake failed           the server refused our key, or it is not our server
    not a ZeroMQ server                  handshake failed before any ZeroMQ greeting
    connected, but the server sends nothing
    receiving messages it cannot read    (from the receive loop: a pickle, the wrong part...)

Each is said once, on stderr and in the log, and again when it changes. A client script
enters `watch` before it connects, so that the monitor sees the very first attempt.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import socket
import time
from typing import Iterator

import zmq
from zmq.utils.monitor import recv_monitor_message

from . import logs

MECHANISM_MISMATCH = 0x11000002  # ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH


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
        self.vague_failures = 0  # handshakes cut short in a row, with no reason given
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
            self.connected, self.vague_failures = True, 0
            self.deadline = max(self.deadline, time.monotonic() + self.silence)  # a new server gets its time
        elif event == zmq.EVENT_DISCONNECTED and value == self.link:
            self.connected = False
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == MECHANISM_MISMATCH:
            self.vague_failures = 0
            if self.curve:
                self._enter("no-curve", f"the server at {self.address} does not use CURVE: start without --curve")
            else:
                self._enter("needs-curve", f"the server at {self.address} requires CURVE keys: "
                                           "start with --curve KEYDIR (ask the teacher for your key folder)")
        elif self.curve and event in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                                      zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self._enter("curve-failed", f"the CURVE handshake with {self.address} failed: our key is not on the "
                                        "server's list, or the server is not the one our server.key names")
        elif event in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            # A server that refuses our security may cut the connection before its own greeting
            # arrives, which looks the same: only twice in a row, with nothing clearer, is it no ZeroMQ.
            self.vague_failures += 1
            if self.vague_failures >= 2 and self.state != "needs-curve":
                self._enter("not-zeromq", f"something at {self.address} answers, but it is not a ZeroMQ server: "
                                          "is the port right?")

    def check(self) -> bool:
        """Call when nothing arrived for a while; True once every `silence` seconds without a
        good message, a connection or ZeroMQ trying to connect: then it is time to connect again."""
        if time.monotonic() < self.deadline:
            return False
        if self.rejection is not None:
            self._enter("unreadable")
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
            self._enter("unreadable")

    def heard(self) -> None:
        """Call for each good message."""
        if self.state != "flowing":
            if self.state != "starting":
                logs.warning(f"data flows again from {self.address}")
            self.state, self.news = "flowing", None
        self.connected = True
        self.rejection = None
        self.deadline = time.monotonic() + self.silence

    def _enter(self, state: str, news: str | None = None) -> None:
        if state != self.state:
            self.state = state
            self.news = news or f"receiving messages it cannot read from {self.address}: {self.rejection}"
            logs.warning(self.news)


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
