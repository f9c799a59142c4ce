"""The wall's cameras: who joined, who left, how many may connect, who claims another's name.

The decisions only: fed with the socket monitor's events (a connection accepted from an
address, a connection closed) and with each camera's messages (its name, where it came from),
`Roster` says what happened, in lines for the terminal and the log. It touches no socket.

A connection says where it comes from, but not who it is: a camera's name comes with its first
message. So a camera joins with its first message, and leaves when a connection from its
address closes. Several cameras on one computer share an address: the one that left is the one
that fell silent when the connection closed, while the others send on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pubsub_demo.process import console, logs
from pubsub_demo.wire import WALL_MAX_BYTES

DRAIN = 0.1  # seconds after a connection closed during which its last frames may still come in
LEAVE_WAIT = 2.0  # seconds after which the camera silent longest is taken to be the one that left


@dataclass
class Camera:
    """A camera on the wall: its name, where it is, when it joined and was last heard (clock seconds)."""

    name: str
    address: str
    joined: float
    heard: float
    claims: set[str] = field(default_factory=set)  # other names it gave itself, said once each


class Roster:
    """The cameras sending to a wall, and its connections: at most `max_cameras` of them.

    Joins and leaves go to `inform` (stdout); cut-offs and false names to `log` each time and to
    `say` (stderr) once. `clock` gives the time in seconds. Its methods may be called from
    several threads (the wall's watch and its receive thread).
    """

    def __init__(
        self,
        *,
        max_cameras: int,
        clock: Callable[[], float] = time.monotonic,
        inform: Callable[[str], None] = console.inform,
        say: Callable[[str], None] = console.say,
        log: Callable[[str], None] = logs.log_warning,
    ) -> None:
        self.max_cameras = max_cameras
        self._clock, self._inform, self._say, self._log = clock, inform, say, log
        self.cameras: dict[str, Camera] = {}
        self.links: dict[int, str] = {}  # each connection's file descriptor, and the address it came from
        self._cut: set[int] = set()  # connections cut off: their closing is no news
        self._closed: list[tuple[str, float]] = []  # (address, when) of connections closed, cameras not yet named
        self._said: set[str] = set()  # what was said once on the terminal
        self._lock = threading.RLock()

    def accepted(self, fd: int, address: str) -> bool:
        """A connection came from `address`; False if it is one too many, to be cut off."""
        with self._lock:
            if len(self.links) < self.max_cameras:
                self.links[fd] = address
                return True
            self._cut.add(fd)
            self._once(
                "cut off", f"cut off a connection from {address}: the wall takes {self.max_cameras} (--max-cameras)"
            )
            return False

    def closed(self, fd: int, *, broke_rules: bool = False) -> bool:
        """The connection `fd` closed: one of the cameras at its address left (see `settle`); with
        `broke_rules`, ZeroMQ dropped it (for a message part over the size limit, most likely).
        False if it was not one the wall took (it was cut off)."""
        with self._lock:
            if fd in self._cut:
                self._cut.discard(fd)
                return False
            address = self.links.pop(fd, None)
            if address is None:
                return False
            if broke_rules:
                self._once(
                    "broke rules",
                    f"dropped a connection from {address}: it sent a message part over the wall's "
                    f"{WALL_MAX_BYTES // 2**20} MiB limit, or broke ZeroMQ's rules",
                )
            self._closed.append((address, self._clock()))
            self.settle()
            return True

    def heard(self, name: str, address: str, claimed: str | None = None) -> Camera:
        """A frame came from the camera `name` at `address` (that calls itself `claimed`, with CURVE):
        it joins if it is new."""
        with self._lock:
            now = self._clock()
            camera = self.cameras.get(name)
            if camera is None:
                camera = self.cameras[name] = Camera(name, address, now, now)
                self._inform(f"camera {name} ({address}) joined ({self._count()})")
            camera.heard, camera.address = now, address
            if claimed is not None and claimed != name and claimed not in camera.claims:
                camera.claims.add(claimed)
                self._once(
                    f"claims {name} {claimed}",
                    f"camera {name} ({address}) calls itself {claimed}: shown as {name}, the name of its key",
                )
            self.settle()
            return camera

    def settle(self) -> list[str]:
        """Say which cameras left, of those at the addresses whose connections closed; call now
        and then. Returns their names.

        At an address, as many cameras left as it has cameras beyond its open connections: once
        DRAIN has passed (the last frames of a closed connection may still come in), those not
        heard since; if the others have not all sent since (slow cameras), the ones silent
        longest, once LEAVE_WAIT has passed."""
        with self._lock:
            now, gone = self._clock(), []
            for address in {address for address, _ in self._closed}:
                first = min(when for at, when in self._closed if at == address)
                here = sorted((c for c in self.cameras.values() if c.address == address), key=lambda c: c.heard)
                leaving = len(here) - sum(1 for at in self.links.values() if at == address)
                silent = sum(1 for camera in here if camera.heard < first + DRAIN)
                if leaving > 0 and (now < first + DRAIN or (silent != leaving and now < first + LEAVE_WAIT)):
                    continue  # wait for the last frames, or for the others to send again
                self._closed = [(at, when) for at, when in self._closed if at != address]
                for camera in here[: max(0, leaving)]:  # none if the connection never named a camera
                    del self.cameras[camera.name]
                    self._inform(f"camera {camera.name} ({address}) left ({self._count()})")
                    gone.append(camera.name)
            return gone

    def names(self) -> list[str]:
        """The cameras on the wall, by name."""
        with self._lock:
            return sorted(self.cameras)

    def _count(self) -> str:
        return f"{len(self.cameras)} camera{'' if len(self.cameras) == 1 else 's'}"

    def _once(self, kind: str, message: str) -> None:
        self._log(message)
        if kind not in self._said:
            self._said.add(kind)
            self._say(message)
