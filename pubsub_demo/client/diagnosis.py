"""What a client tells its user about its connection, in plain words.

To a student every failure looks the same: nothing on the screen. ZeroMQ connects in the
background and retries for ever, so a client cannot see an error the way a plain TCP program
would; but its socket monitor reports each step (connect delayed or retried, closed,
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
its own greeting has left, often and at a busy server many times in a row (docs/performance.md,
"A client without keys at a CURVE server"). So the client then asks for itself:
`zmtp.greeting` connects, starts the way every ZeroMQ peer does, and reads what comes back.

Each is said once, on stderr and in the log, and again when it changes. A client script
enters `watch` before it connects, so that the monitor sees the very first attempt.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import zmq

from pubsub_demo.client import words as news
from pubsub_demo.net import endpoints, monitor, reach, zmtp
from pubsub_demo.process import console, logs


@contextlib.contextmanager
def watch(subscriber: zmq.Socket, address: str, *, silence: float, curve: bool) -> Iterator[ConnectionStatus]:
    """Follow, through its socket monitor, how `subscriber` fares in connecting to `address`,
    for as long as the `with` block lasts; the ConnectionStatus it gives says what goes wrong
    (`silence`: after how many seconds without data; `curve`: whether the client uses CURVE).

    Enter it before connecting: a monitor reports only what happens once it is there."""
    with monitor.reading(subscriber, zmq.EVENT_ALL) as events:
        yield ConnectionStatus(address, silence, curve=curve, monitor=events)


@dataclass(frozen=True)
class DiagnosisTools:
    """What a ConnectionStatus learns the world through, and tells it by: `tell` (stderr and the
    log), `clock` (seconds), `probe` (what listens at an address: zmtp.greeting), `resolves`
    (whether an address's host name resolves), `local` (whether it is this computer's: True,
    False, or None, cannot tell). Tests give their own."""

    tell: Callable[[str], None] = logs.warning
    clock: Callable[[], float] = time.monotonic
    probe: Callable[[str], str | None] = zmtp.greeting
    resolves: Callable[[str], bool] = endpoints.resolves
    local: Callable[[str], bool | None] = reach.is_this_computer


class ConnectionStatus:
    """A client's view of its server: fed with monitor events (`event`) and what arrives (`heard`,
    `rejected`, `check`), it says what is going on whenever that changes, and when it is time to
    connect again. `monitor`: the subscriber's socket monitor, if the caller reads its events (see
    receiving.py); `curve_option`: the option with the client's keys (relay.py's --upstream-curve);
    `peer`: what it connects to, in its words (a camera's: the wall)."""

    def __init__(self, address: str, silence: float, *, curve: bool, curve_option: str = "--curve",
                 peer: str = "server", monitor: zmq.Socket | None = None,
                 tools: DiagnosisTools = DiagnosisTools()) -> None:  # fmt: skip
        self.address, self.silence, self.curve, self.monitor = address, silence, curve, monitor
        self.curve_option, self.peer = curve_option, peer
        self._tell, self._clock, self._resolves = tools.tell, tools.clock, tools.resolves
        self._is_local = functools.cache(lambda: tools.local(address))  # asked once: it looks at the network
        self.probe = zmtp.GreetingProbe(address, tools.probe, tools.clock)
        self.deadline = self._clock() + silence
        self.state = "starting"
        self.connected = False  # a ZeroMQ handshake succeeded and the connection is up
        self.rejection: str | None = None  # why the last bad message since the last check was bad
        self.delayed = False  # a TCP connection was started since the last retry
        self.link = -1  # file descriptor of the newest connection
        self.reached = False  # the newest attempt got a TCP connection
        self.linked_at: float | None = None  # when the connection waiting for a handshake came
        self.news: str | None = None  # what is wrong, as last said; None while data flows
        self.flowed = False  # good data came at least once
        self.last_attempt = self._clock()  # when ZeroMQ last tried to connect

    def start(self) -> None:
        """Call as the client starts receiving: says so, and starts the clock for `silence`."""
        console.say(f"connecting to {self.address}")
        self.deadline = self._clock() + self.silence

    def event(self, event: int, value: int) -> None:
        """Take one socket monitor event (zmq.EVENT_*) and its value."""
        self._read_probe()
        if event in (zmq.EVENT_CONNECT_DELAYED, zmq.EVENT_CONNECT_RETRIED, zmq.EVENT_CONNECTED):
            self.last_attempt = self._clock()  # ZeroMQ is trying by itself
        if event == zmq.EVENT_CONNECT_DELAYED:
            self.delayed = True
        elif event == zmq.EVENT_CONNECT_RETRIED and (self.connected or self.reached):
            self.reached = False  # the attempt reached a server: its handshake's events said what went wrong
        elif event == zmq.EVENT_CONNECT_RETRIED:
            if not self.delayed and not self._resolves(self.address):
                self._enter("unresolved", news.unresolved(self.address))
            else:
                self._enter("unreachable", news.unreachable(self.address, local=self._is_local(), peer=self.peer))
            self.delayed = False
        elif event == zmq.EVENT_CONNECTED:
            self.link = value  # the connection's file descriptor: later events may be about older ones
            self.reached, self.linked_at = True, self._clock()
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.connected, self.linked_at = True, None
            self.probe.allow()
            self.deadline = max(self.deadline, self._clock() + self.silence)  # a new server gets its time
        elif event == zmq.EVENT_DISCONNECTED and value == self.link:
            if not self.connected:  # cut short without a word: a web server's answer, at a client with keys
                self.probe.start()
            self.connected, self.linked_at = False, None
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == zmtp.MECHANISM_MISMATCH:
            self._mismatch()
        elif self.curve and event in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self._enter("curve-failed", news.curve_failed(self.address))
        elif event in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self.probe.start()  # the peer hung up, or spoke in a way we cannot name

    def check(self) -> bool:
        """Call when nothing arrived for a while; True once every `silence` seconds without a
        good message, a connection or ZeroMQ trying to connect: then it is time to connect again
        (ZeroMQ reconnects by itself, but not after it dropped a connection for breaking the rules,
        a message over the size limit, say)."""
        self._read_probe()
        if self._clock() < self.deadline:
            return False
        if self.rejection is not None:
            self._unreadable()
        elif self.connected:
            self._enter("silent", news.silent(self.address, self.silence))
        elif not self.handshake_stalled() and self.state in ("starting", "flowing"):
            self._enter("waiting", news.waiting(self.address, self.silence))
        self.rejection = None  # from now on, only what comes next counts
        self.deadline = self._clock() + self.silence
        return not self.connected and self._clock() - self.last_attempt >= self.silence

    def handshake_stalled(self) -> bool:
        """Whether the newest connection waited `silence` s for a handshake (said): a ZeroMQ peer
        greets at once, http.server waits for its own kind of request."""
        if self.linked_at is None or self._clock() - self.linked_at < self.silence:
            return False
        self._enter("not-zeromq", news.not_zeromq(self.address))
        return True

    def rejected(self, reason: str) -> None:
        """Call for each message that arrives but cannot be used."""
        self.rejection = reason
        if self._clock() >= self.deadline:
            self._unreadable()

    def heard(self) -> None:
        """Call for each good message."""
        if self.state != "flowing":
            if self.state != "starting":  # after news of a problem: say that it is over
                self._tell(news.flows(self.address, again=self.flowed))
            self.state, self.news = "flowing", None
        self.flowed = True
        self.rejection = None
        self.deadline = self._clock() + self.silence

    def _unreadable(self) -> None:
        # A web server's answer passes for a message of ZeroMQ's first version: "not ZeroMQ" says more.
        if self.state != "not-zeromq":
            self._enter("unreadable", news.unreadable(self.address, self.rejection))

    def _mismatch(self) -> None:
        """The server's security mechanism is not ours."""
        words = news.no_curve if self.curve else news.needs_curve
        self._enter("no-curve" if self.curve else "needs-curve", words(self.address, self.curve_option, self.peer))

    def _read_probe(self) -> None:
        """If the probe of what listens found something: say what it means for a handshake cut short."""
        done, mechanism = self.probe.result()
        if not done:
            return
        if mechanism == "":
            self._enter("not-zeromq", news.not_zeromq(self.address))
        elif mechanism == ("NULL" if self.curve else "CURVE"):
            self._mismatch()  # what ZeroMQ itself says when the server's greeting gets to us first
        elif mechanism is not None and self.curve:
            self._enter("curve-failed", news.curve_failed(self.address))  # a ZeroMQ server hung up on our keys
        # Otherwise (no answer, or a ZeroMQ server that hangs up unexplained), the next events will say.

    def _enter(self, state: str, news: str) -> None:
        if state != self.state:
            self.state, self.news = state, news
            self._tell(news)
