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
`zmtp.greeting` connects, starts the way every ZeroMQ peer does, and reads what comes back.

Each is said once, on stderr and in the log, and again when it changes. A client script
enters `watch` before it connects, so that the monitor sees the very first attempt.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import zmq

from . import console, endpoints, logs, network, zmtp

GREETING_INTERVAL = 10.0  # seconds between two looks while handshakes keep being cut short


@contextlib.contextmanager
def watch(subscriber: zmq.Socket, address: str, *, silence: float, curve: bool) -> Iterator[ConnectionStatus]:
    """Follow, through its socket monitor, how `subscriber` fares in connecting to `address`,
    for as long as the `with` block lasts; the ConnectionStatus it gives says what goes wrong
    (`silence`: after how many seconds without data; `curve`: whether the client uses CURVE).

    Enter it before connecting: a monitor reports only what happens once it is there."""
    with subscriber.get_monitor_socket() as monitor:
        yield ConnectionStatus(address, silence, curve=curve, monitor=monitor)


class ConnectionStatus:
    """A client's view of its server: fed with monitor events (`event`) and with what arrives
    (`heard`, `rejected`, `check`), it says what is going on whenever that changes, and when it
    is time to connect again.

    `monitor` is the subscriber's socket monitor, if the caller is to read its events (see
    receiving.py). `curve_option` is the option that gives the client its keys, as the words
    name it (relay.py's is --upstream-curve). What it says goes to `tell` (stderr and the log);
    `clock` gives the time in seconds; `probe` looks at what listens at an address (see Look),
    `resolves` says whether an address's host name resolves, `local` whether it is this
    computer's (True, False, or None: cannot tell)."""

    def __init__(
        self,
        address: str,
        silence: float,
        *,
        curve: bool,
        curve_option: str = "--curve",
        monitor: zmq.Socket | None = None,
        tell: Callable[[str], None] = logs.warning,
        clock: Callable[[], float] = time.monotonic,
        probe: Callable[[str], str | None] = zmtp.greeting,
        resolves: Callable[[str], bool] = endpoints.resolves,
        local: Callable[[str], bool | None] = network.is_this_computer,
    ) -> None:
        self.address, self.silence, self.curve, self.monitor = address, silence, curve, monitor
        self.curve_option = curve_option
        self._tell, self._clock, self._resolves, self._local = tell, clock, resolves, local
        self.look = Look(address, probe, clock)
        self.deadline = clock() + silence
        self.state = "starting"
        self.connected = False  # a ZeroMQ handshake succeeded and the connection is up
        self.rejection: str | None = None  # why the last bad message since the last check was bad
        self.delayed = False  # a TCP connection was started since the last retry
        self.link = -1  # file descriptor of the newest connection
        self.reached = False  # the newest attempt got a TCP connection
        self.news: str | None = None  # what is wrong, as last said; None while data flows
        self.flowed = False  # good data came at least once
        self._local_answer: bool | None = None  # whether the server's address is this computer's
        self._local_asked = False
        self.last_attempt = clock()  # when ZeroMQ last tried to connect

    def start(self) -> None:
        """Call as the client starts receiving: says so, and starts the clock for `silence`."""
        console.say(f"connecting to {self.address}")
        self.deadline = self._clock() + self.silence

    def event(self, event: int, value: int) -> None:
        """Take one socket monitor event (zmq.EVENT_*) and its value."""
        self._take_look()
        if event in (zmq.EVENT_CONNECT_DELAYED, zmq.EVENT_CONNECT_RETRIED, zmq.EVENT_CONNECTED):
            self.last_attempt = self._clock()  # ZeroMQ is trying by itself
        if event == zmq.EVENT_CONNECT_DELAYED:
            self.delayed = True
        elif event == zmq.EVENT_CONNECT_RETRIED and (self.connected or self.reached):
            self.reached = False  # the attempt reached a server: its handshake's events said what went wrong
        elif event == zmq.EVENT_CONNECT_RETRIED:
            unresolved = not self.delayed and not self._resolves(self.address)
            self._enter(
                *(
                    ("unresolved", unresolved_news(self.address))
                    if unresolved
                    else ("unreachable", unreachable_news(self.address, local=self._is_local()))
                )
            )
            self.delayed = False
        elif event == zmq.EVENT_CONNECTED:
            self.link = value  # the connection's file descriptor: later events may be about older ones
            self.reached = True
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.connected = True
            self.look.allow()
            self.deadline = max(self.deadline, self._clock() + self.silence)  # a new server gets its time
        elif event == zmq.EVENT_DISCONNECTED and value == self.link:
            if not self.connected:  # cut short without a word: a web server's answer, at a client with keys
                self.look.start()
            self.connected = False
        elif event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL and value == zmtp.MECHANISM_MISMATCH:
            self._mismatch()
        elif self.curve and event in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self._enter("curve-failed", curve_failed_news(self.address))
        elif event in (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL):
            self.look.start()  # the peer hung up, or spoke in a way we cannot name

    def check(self) -> bool:
        """Call when nothing arrived for a while; True once every `silence` seconds without a
        good message, a connection or ZeroMQ trying to connect: then it is time to connect again."""
        self._take_look()
        if self._clock() < self.deadline:
            return False
        if self.rejection is not None:
            self._unreadable()
        elif self.connected:
            self._enter(
                "silent", f"connected to {self.address}, but the server sends nothing (for {self.silence:g} s now)"
            )
        elif self.state in ("starting", "flowing"):
            self._enter("waiting", f"no data from {self.address} for {self.silence:g} s; waiting for the server")
        self.rejection = None  # from now on, only what comes next counts
        self.deadline = self._clock() + self.silence
        # ZeroMQ reconnects by itself, except after it dropped a connection for breaking the
        # rules (a message over the size limit, say): then it is our turn.
        return not self.connected and self._clock() - self.last_attempt >= self.silence

    def rejected(self, reason: str) -> None:
        """Call for each message that arrives but cannot be used."""
        self.rejection = reason
        if self._clock() >= self.deadline:
            self._unreadable()

    def heard(self) -> None:
        """Call for each good message."""
        if self.state != "flowing":
            if self.state != "starting":  # after news of a problem: say that it is over
                self._tell(f"data flows {'again ' if self.flowed else ''}from {self.address}")
            self.state, self.news = "flowing", None
        self.flowed = True
        self.rejection = None
        self.deadline = self._clock() + self.silence

    def _is_local(self) -> bool | None:
        """Whether the server's address is this computer's (asked once: it looks at the network)."""
        if not self._local_asked:
            self._local_answer, self._local_asked = self._local(self.address), True
        return self._local_answer

    def _unreadable(self) -> None:
        # A web server's answer passes for a message of ZeroMQ's first version: "not ZeroMQ" says more.
        if self.state != "not-zeromq":
            self._enter("unreadable", f"receiving messages it cannot read from {self.address}: {self.rejection}")

    def _mismatch(self) -> None:
        """The server's security mechanism is not ours."""
        if self.curve:
            self._enter(
                "no-curve", f"the server at {self.address} does not use CURVE: start without {self.curve_option}"
            )
        else:
            self._enter("needs-curve", needs_curve_news(self.address, self.curve_option))

    def _take_look(self) -> None:
        """If the look at what listens has found something: say what it means, for a handshake
        that was cut short."""
        done, mechanism = self.look.result()
        if not done:
            return
        if mechanism == "":
            self._enter(
                "not-zeromq", f"something at {self.address} answers, but it is not a ZeroMQ server: is the port right?"
            )
        elif mechanism == ("NULL" if self.curve else "CURVE"):
            self._mismatch()  # what ZeroMQ itself says when the server's greeting gets to us first
        elif mechanism is not None and self.curve:
            self._enter("curve-failed", curve_failed_news(self.address))  # a ZeroMQ server hung up on our keys
        # Otherwise: nothing to tell (no answer, or a ZeroMQ server that hangs up on us for
        # a reason it does not name); the next events or the silence will say more.

    def _enter(self, state: str, news: str) -> None:
        if state != self.state:
            self.state, self.news = state, news
            self._tell(news)


class Look:
    """A look at what listens at `address` (`probe`, zmtp.greeting), in a thread of its own since
    it waits for the network; at most once per GREETING_INTERVAL while handshakes keep being cut
    short. `clock` gives the time in seconds."""

    def __init__(self, address: str, probe: Callable[[str], str | None], clock: Callable[[], float]) -> None:
        self._address, self._probe, self._clock = address, probe, clock
        self._future: Future[str | None] | None = None
        self._next = 0.0  # when it may look again

    def start(self) -> None:
        """Start looking, unless a look is under way or was taken lately."""
        if self._future is not None or self._clock() < self._next:
            return
        self._next = self._clock() + GREETING_INTERVAL
        future: Future[str | None] = Future()
        threading.Thread(
            target=lambda: future.set_result(self._probe(self._address)), name="diagnosis look", daemon=True
        ).start()
        self._future = future

    def allow(self) -> None:
        """A handshake succeeded: the next one cut short may be looked at at once."""
        self._next = 0.0

    def result(self) -> tuple[bool, str | None]:
        """(True, what `probe` found) once, when a look has ended; (False, None) until then."""
        if self._future is None or not self._future.done():
            return False, None
        found, self._future = self._future.result(), None
        return True, found

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for a look under way to end (for tests)."""
        if self._future is not None:
            self._future.exception(timeout)


def unresolved_news(address: str) -> str:
    return f"the host name in {address} does not resolve: check the address"


def unreachable_news(address: str, *, local: bool | None = True) -> str:
    """Nothing listens at `address`; unless it is this computer's (`local`), the server there
    may not let other computers in."""
    hint = "is the address right?"
    if local is False:  # another computer's
        hint += " is that server started with --share? a firewall?"
    return f"nothing listens at {address} (connection refused, or no route to it): waiting for the server ({hint})"


def needs_curve_news(address: str, curve_option: str = "--curve") -> str:
    return (
        f"the server at {address} requires CURVE keys: start with {curve_option} KEYDIR "
        "(ask the teacher for your key folder)"
    )


def curve_failed_news(address: str) -> str:
    return (
        f"the CURVE handshake with {address} failed: our key is not on the server's list, or the server "
        "is not the one our server.key names (ask the teacher for this class's key folder)"
    )
