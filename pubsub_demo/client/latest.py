"""The newest item of a stream, taken in a background thread: how a video client never falls behind;
and the newest of each of many streams (`LatestOfEach`), how a wall never falls behind on any camera.

The thread takes every frame off the socket as soon as it arrives, so nothing piles up in
ZeroMQ's queues or the kernel's, and the display, however slow, always gets the latest frame.
(The video server's socket does the same for each client, with ZMQ_CONFLATE: see
video_transmission/server.py.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

from pubsub_demo.process import lifetime

TICK = 0.25  # seconds: how long `Latest` waits for an item before it yields None

T = TypeVar("T")


class Latest(Generic[T]):
    """Runs an iterator in a background thread and keeps only its newest item.

    Use it as a context manager, and iterate over it for the newest items; the iterator must
    yield now and then (None is skipped) so that the thread can notice when it is asked to stop.
    A ZeroMQ socket that the iterator reads must be used by no other thread meanwhile (sockets
    are not thread-safe): made in the main thread, it is the background thread's from the start.
    """

    def __init__(self, items: Iterator[T | None]) -> None:
        self._items = items
        self._newest: T | None = None
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Latest[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __iter__(self) -> Iterator[T | None]:
        """The newest item each time a new one came, or None after TICK without one; for ever,
        until the loop breaks, or an error in the background thread is raised here."""
        while True:
            lifetime.checkpoint()  # stop if asked to, even if the KeyboardInterrupt got lost
            yield self.take(timeout=TICK)

    def take(self, timeout: float) -> T | None:
        """The newest item not taken yet, waiting up to `timeout` s for one; None if none came."""
        with self._changed:
            self._changed.wait_for(lambda: self._newest is not None or self._error, timeout)
            if self._error:
                raise self._error
            item, self._newest = self._newest, None
            return item

    def _run(self) -> None:
        try:
            for item in self._items:
                if self._stop.is_set():
                    return
                if item is not None:
                    with self._changed:
                        self._newest = item
                        self._changed.notify()
        except BaseException as error:  # hand it to the main thread, which reports it
            with self._changed:
                self._error = error
                self._changed.notify()
        finally:
            getattr(self._items, "close", lambda: None)()  # a generator's `with` blocks end here, in its thread


K = TypeVar("K")


class LatestOfEach(Generic[K, T]):
    """The newest item of each of many streams, by key: a wall keeps each camera's newest frame.

    One thread `put`s items as they come; another `take`s what is new since it last took, the
    newest of each key only: a slow taker skips items per key, and is never behind on any.
    """

    def __init__(self) -> None:
        self._items: dict[K, T] = {}
        self._changed = threading.Condition()

    def put(self, key: K, item: T) -> None:
        """Keep `item` as the newest of `key`, in place of one not taken yet."""
        with self._changed:
            self._items[key] = item
            self._changed.notify()

    def take(self, timeout: float) -> dict[K, T]:
        """The newest item of each key that has a new one, waiting up to `timeout` s for any."""
        with self._changed:
            self._changed.wait_for(lambda: self._items, timeout)
            items, self._items = self._items, {}
            return items
