"""The newest item for any number of readers in the loop, in-process (web/channel.py)."""

from __future__ import annotations

import asyncio

from pubsub_demo.web.channel import Channel


def test_a_reader_gets_the_newest_item_never_a_queue():
    async def go() -> list[tuple[int, str]]:
        channel: Channel[str] = Channel(asyncio.get_running_loop())
        for item in ("a", "b", "c"):
            channel.post(item)  # faster than anyone reads
        await asyncio.sleep(0)  # the loop takes them: one wake-up for all
        first = await asyncio.wait_for(channel.after(0), 1)
        waiting = asyncio.ensure_future(channel.after(first[0]))
        channel.post("d")
        return [first, await asyncio.wait_for(waiting, 1)]

    assert asyncio.run(go()) == [(1, "c"), (2, "d")]
