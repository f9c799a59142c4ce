"""The newest item of a stream, for any number of readers in one asyncio loop, fed from another
thread: how each viewer gets the newest frame, never a queue.

The receiving thread `post`s each item; a reader asks for the one after the item it had, and gets
the newest, however many came in between. Nothing is held for a reader: a viewer that is slow
skips items, a viewer that stopped reading holds none but the one it was writing.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Channel(Generic[T]):
    """The newest item and its number (0: none yet), in `loop`; `post` from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.item: T | None = None
        self.number = 0
        self._changed = asyncio.Event()
        self._lock = threading.Lock()
        self._pending: T | None = None
        self._scheduled = False

    def post(self, item: T) -> None:
        """Make `item` the newest, from any thread. Items that come faster than the loop takes them
        (10,000 arrays a second) cost one wake-up of the loop, not one each."""
        with self._lock:
            self._pending = item
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._take)

    def _take(self) -> None:
        with self._lock:
            item, self._pending, self._scheduled = self._pending, None, False
        self.item, self.number = item, self.number + 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()  # wakes every reader waiting for an item after the one it had

    async def after(self, number: int) -> tuple[int, T]:
        """The newest item once there is one newer than item `number`, and its number."""
        while self.number == number or self.item is None:
            await self._changed.wait()
        return self.number, self.item
