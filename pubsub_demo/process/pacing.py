"""A drift-free clock for doing something N times a second."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

from pubsub_demo.process import lifetime


class Pacer:
    """Waits until the next tick of a fixed schedule: start, start + interval, start + 2 intervals...

    Sleeping `interval` after each piece of work would add the work's own time every round and
    drift; aiming at the schedule does not. If the work falls behind by more than a tick, the
    schedule starts again from now rather than rushing to catch up.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.next_tick = time.monotonic() + interval

    def wait(self) -> None:
        """Sleep until the next tick (not at all if the interval is 0).

        A server's loop calls this at every step, so it is also where a stop that was asked
        for is carried out (see lifetime.checkpoint)."""
        lifetime.checkpoint()
        if self.interval <= 0:
            return
        delay = self.next_tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
            self.next_tick += self.interval
        elif delay < -self.interval:
            self.next_tick = time.monotonic() + self.interval
        else:
            self.next_tick += self.interval


def ticks(interval: float, count: int | None = None) -> Iterator[int]:
    """0, 1, 2, ...: `count` numbers (None: for ever), the next one at the next tick of a Pacer of
    `interval` seconds. A loop over them does its step, then waits (and carries out a stop)."""
    pacer = Pacer(interval)
    for seq in itertools.islice(itertools.count(), count):
        yield seq
        pacer.wait()
