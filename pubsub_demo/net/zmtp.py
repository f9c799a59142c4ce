"""ZeroMQ's wire protocol (ZMTP 3, rfc.zeromq.org/spec/23), the little of it spoken by hand: its
constants; `greeting`, which asks what listens at an address without ZeroMQ; and `GreetingProbe`, which
asks it in the background, now and then.

Every ZeroMQ peer starts with a greeting: a signature (0xFF, 8 bytes of padding, 0x7F), the
major and minor version, and the name of its security mechanism in 20 bytes. A peer sends the
rest of its greeting once it has the other's major version.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from pubsub_demo.net import endpoints

MECHANISM_MISMATCH = 0x11000002  # ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, a handshake's failure
GREETING_TIMEOUT = 1.0  # seconds for `greeting`: a ZeroMQ server greets within milliseconds
GREETING_INTERVAL = 10.0  # seconds between two Looks while handshakes keep being cut short

SIGNATURE = b"\xff" + bytes(8) + b"\x7f"
MAJOR_VERSION = b"\x03"
_MECHANISM = slice(12, 32)


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
        connection = endpoints.plain_socket(address, timeout)
    except (OSError, ValueError):  # refused, no route, an unknown name or file, or not tcp/ipc
        return None
    answer = b""
    with connection:
        try:
            connection.sendall(SIGNATURE + MAJOR_VERSION)  # its greeting comes once it has our version
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
    if answer[len(SIGNATURE)] < 3:  # ZMTP 1.0 and 2.0 had no security mechanisms
        return "NULL"
    return answer[_MECHANISM].rstrip(b"\0").decode("ascii", "replace") or "?"


def _greets_so_far(answer: bytes) -> bool:
    """Whether what a peer sent may be the start of a ZeroMQ greeting (b"" may)."""
    return answer[:1] in (b"", b"\xff") and (len(answer) < len(SIGNATURE) or answer[9] == 0x7F)


class GreetingProbe:
    """A look at what listens at `address` (`probe`: `greeting`), in a thread of its own since
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
