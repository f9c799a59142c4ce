"""A viewer's stream: the newest frame (MJPEG) or array (Server-Sent Events), written once the
viewer has taken the one before, never a queue.

Each viewer is a coroutine of the gateway's one asyncio loop. It waits for an item newer than the
one it had, writes it, and waits until the kernel has taken it: a slow phone skips items and is
never behind, and a viewer that stopped reading holds one item, costs no thread, and is dropped
after STALL_LIMIT seconds. The kernel is kept from queueing for it too (see `keep_little_unsent`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from .. import endpoints
from ..system import connections
from .channel import Channel
from .viewers import Viewer

STALL_LIMIT = 10.0  # seconds a viewer may take nothing before it is dropped
UNSENT_MOST = 16 * 1024  # bytes the kernel may hold unsent for a viewer (TCP_NOTSENT_LOWAT)
# The kernel's whole send buffer for a viewer on another computer (unsent and unacknowledged: what
# waits in the network's queues too). On a 2 Mbit/s link, a slow phone's frames were 0.41 s old
# at the median, 0.90 s at worst with the default buffer; 0.35 and 0.60 s with this one (measured,
# benchmarks/web_viewers.py, a run each on a busy machine; 4 and 8 KiB did no better, 32 KiB
# worse). On this computer the default
# stays: a small buffer over loopback only costs wake-ups (see monitoring.REMOTE_SEND_BUFFER).
REMOTE_SEND_BUFFER = 16 * 1024

T = TypeVar("T")


class Frame(NamedTuple):
    """A frame as every viewer gets it: its MJPEG part's head (content.frame_head) and JPEG bytes."""

    head: bytes
    jpeg: bytes
    seq: int
    sent_at: float


def keep_little_unsent(writer: asyncio.StreamWriter) -> None:
    """Let `writer` hold nothing beyond what the kernel takes, and the kernel hold at most
    UNSENT_MOST bytes not yet sent (Linux, macOS): so the next item is chosen when the last has nearly
    gone, not seconds of frames earlier (a kernel's send buffer grows to megabytes by default); and
    for a viewer on another computer, keep what is on its way small too (REMOTE_SEND_BUFFER)."""
    writer.transport.set_write_buffer_limits(high=0)  # drain() waits until the kernel took it all
    sock = writer.get_extra_info("socket")
    peer = writer.get_extra_info("peername")
    if sock is None or not peer:
        return
    remote = not endpoints.is_loopback(endpoints.plain_ip(peer[0]))  # ::ffff:127.0.0.1 is loopback too
    connections.hold_little_unsent(sock, UNSENT_MOST, REMOTE_SEND_BUFFER if remote else None)


def frame_parts(frame: Frame) -> list[bytes]:
    """What a viewer is sent of `frame`: its head, the time it goes out (the page measures the
    frame's age with it, whatever its clock), the JPEG bytes shared by all viewers."""
    return [frame.head, b"X-Now: %.6f\r\n\r\n" % time.time(), frame.jpeg, b"\r\n"]


def event_parts(event: bytes) -> list[bytes]:
    """What a viewer is sent of an array: its event (replies.event), as made once for all."""
    return [event]


async def feed(
    writer: asyncio.StreamWriter, channel: Channel[T], viewer: Viewer, parts: Callable[[T], list[bytes]]
) -> None:
    """Write each newest item of `channel` to `writer` (as `parts` makes it), for ever; a
    TimeoutError once the viewer has taken nothing for STALL_LIMIT seconds."""
    number = 0
    while True:
        number, item = await channel.after(number)
        for part in parts(item):
            writer.write(part)
        await asyncio.wait_for(writer.drain(), STALL_LIMIT)
        viewer.sent += 1
