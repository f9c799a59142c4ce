"""Who watches through the gateway, and who is refused: the decisions and the words, as a server's
Attendance says its clients (server/attendance.py), fed by the gateway with plain calls and a clock.

A viewer is a connection that stays: /stream.mjpg or /events (a page keeps one open). Joins and
leaves go to stdout with the address and the count; a refusal goes to the log each time and to
stderr once for each address and kind, so that a flood costs a line, not a screenful.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from pubsub_demo.process import console, logs

MAX_SAID = 1000  # addresses and kinds remembered as said: beyond that, refusals go to the log only


@dataclass
class Viewer:
    """A viewer's connection: from where, what it watches, since when, how many items it was sent."""

    address: str  # host and port, as printed
    path: str
    since: float
    sent: int = 0

    def rate(self, now: float) -> float:
        """Items a second it was sent, on average since it came."""
        return self.sent / max(now - self.since, 1e-3)


class Viewers:
    """The viewers, `most` of them at a time."""

    def __init__(
        self,
        most: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        inform: Callable[[str], None] = console.inform,
        say: Callable[[str], None] = console.say,
        log: Callable[[str], None] = logs.log_warning,
    ) -> None:
        self.most = most
        self.watching: list[Viewer] = []
        self._clock, self._inform, self._say, self._log = clock, inform, say, log
        self._said: set[tuple[str, str]] = set()

    def join(self, address: str, path: str) -> Viewer | None:
        """A viewer at `address` (host and port) asks for `path`: its Viewer, or None if `most`
        already watch (it is refused: said as such)."""
        if len(self.watching) >= self.most:
            self.refuse(address, f"{self.most} viewers watch already, the most this gateway serves", "full")
            return None
        viewer = Viewer(address, path, self._clock())
        self.watching.append(viewer)
        self._inform(f"viewer {address} joined ({path}; {self._count()})")
        return viewer

    def leave(self, viewer: Viewer, why: str = "") -> None:
        """`viewer` has gone (`why`, if not of itself)."""
        if viewer in self.watching:
            self.watching.remove(viewer)
            self._inform(f"viewer {viewer.address} left{f', {why}' if why else ''} ({self._count()})")

    def refuse(self, address: str, why: str, kind: str) -> None:
        """The gateway refused a request from `address` (host and port) for `why`."""
        host = address.rsplit(":", 1)[0]
        message = f"refused {address}: {why}"
        self._log(message)
        if (host, kind) not in self._said and len(self._said) < MAX_SAID:
            self._said.add((host, kind))
            self._say(message)

    def _count(self) -> str:
        return f"{len(self.watching)} watching"
