"""LatestOfEach on its own: the newest item of each key, taken by another thread."""

from __future__ import annotations

import threading
import time

from pubsub_demo.client.latest import LatestOfEach


def test_a_taker_gets_the_newest_item_of_each_key_once():
    newest: LatestOfEach[str, int] = LatestOfEach()
    for number in range(5):
        newest.put("ann", number)
    newest.put("bob", 10)
    assert newest.take(timeout=0) == {"ann": 4, "bob": 10}
    assert newest.take(timeout=0) == {}  # nothing new since
    newest.put("bob", 11)
    assert newest.take(timeout=0) == {"bob": 11}


def test_take_waits_for_an_item_from_another_thread_and_no_longer():
    newest: LatestOfEach[str, int] = LatestOfEach()
    started = time.monotonic()
    assert newest.take(timeout=0.01) == {}
    assert time.monotonic() - started < 1
    threading.Timer(0.01, newest.put, args=("ann", 1)).start()
    assert newest.take(timeout=5) == {"ann": 1}
