"""A viewer's stream: the newest frame (MJPEG) or array (Server-Sent Events), written once the
viewer has taken the one before, never a queue.

Each viewer is a coroutine of the gateway's one asyncio loop. It waits for an item newer than the
one it had, writes it, and waits until the kernel has taken it: a slow phone skips items and is
never behind, and a viewer that stopped reading holds one item, costs no thread, and is dropped
after STALL_LIMIT seconds. The kernel is kept from queueing for it too (see `keep_little_unsent`),
and a viewer on another computer gets its next item only once the last has nearly arrived
(`InFlight`): on a slow link, a frame then waits behind no other.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from pubsub_demo.net import endpoints

from ..system import byte_counts, connections
from .channel import Channel
from .viewers import Viewer

STALL_LIMIT = 10.0  # seconds a viewer may take nothing before it is dropped
UNSENT_MOST = 16 * 1024  # bytes the kernel may hold unsent for a viewer (TCP_NOTSENT_LOWAT)
# The kernel's whole send buffer for a viewer on another computer, so that a slow link holds few
# frames (the sizes tried: docs/performance.md); on this computer the default stays, as a small
# buffer over loopback only costs wake-ups.
REMOTE_SEND_BUFFER = 16 * 1024
IN_FLIGHT_MOST = 2 * 1024  # bytes of the last item a viewer on another computer may still be owed
IN_FLIGHT_LOOK = 0.005  # s between looks at what it acknowledged

T = TypeVar("T")


class Frame(NamedTuple):
    """A frame as every viewer gets it: its MJPEG part's head (content.frame_head) and JPEG bytes."""

    head: bytes
    jpeg: bytes
    seq: int
    sent_at: float


class InFlight:
    """What a viewer on another computer was sent and has not acknowledged yet, as the kernel
    counts it (system/byte_counts.py): `settled` waits until it is at most IN_FLIGHT_MOST bytes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.acked_before = byte_counts.of(sock).sent  # what went out before the items (the SYN, say)
        self.written = 0

    async def settled(self) -> None:
        while self.written - (byte_counts.of(self.sock).sent - self.acked_before) > IN_FLIGHT_MOST:
            await asyncio.sleep(IN_FLIGHT_LOOK)


def keep_little_unsent(writer: asyncio.StreamWriter) -> InFlight | None:
    """Let `writer` hold nothing beyond what the kernel takes, and the kernel hold at most
    UNSENT_MOST bytes not yet sent (Linux, macOS): so the next item is chosen when the last has nearly
    gone, not seconds of frames earlier (a kernel's send buffer grows to megabytes by default); and
    for a viewer on another computer, keep what is on its way small too (REMOTE_SEND_BUFFER), and
    give its `InFlight` where the kernel counts what it acknowledged (else None)."""
    writer.transport.set_write_buffer_limits(high=0)  # drain() waits until the kernel took it all
    sock = writer.get_extra_info("socket")
    peer = writer.get_extra_info("peername")
    if sock is None or not peer:
        return None
    remote = not endpoints.is_loopback(endpoints.plain_ip(peer[0]))  # ::ffff:127.0.0.1 is loopback too
    connections.hold_little_unsent(sock, UNSENT_MOST, REMOTE_SEND_BUFFER if remote else None)
    if not (remote and byte_counts.available()):
        return None
    try:
        return InFlight(sock)
    except OSError:  # closed meanwhile
        return None


def frame_parts(frame: Frame) -> list[bytes]:
    """What a viewer is sent of `frame`: its head, the time it goes out (the page measures the
    frame's age with it, whatever its clock), the JPEG bytes shared by all viewers."""
    return [frame.head, b"X-Now: %.6f\r\n\r\n" % time.time(), frame.jpeg, b"\r\n"]


def event_parts(event: bytes) -> list[bytes]:
    """What a viewer is sent of an array: its event (replies.event), as made once for all."""
    return [event]


async def feed(
    writer: asyncio.StreamWriter,
    channel: Channel[T],
    viewer: Viewer,
    parts: Callable[[T], list[bytes]],
    in_flight: InFlight | None = None,
) -> None:
    """Write each newest item of `channel` to `writer` (as `parts` makes it), for ever, the next
    once `in_flight` has settled (if given); a TimeoutError once the viewer has taken nothing for
    STALL_LIMIT seconds."""
    number = 0
    while True:
        number, item = await channel.after(number)
        for part in parts(item):
            writer.write(part)
            if in_flight is not None:
                in_flight.written += len(part)
        await asyncio.wait_for(writer.drain(), STALL_LIMIT)
        if in_flight is not None:
            await asyncio.wait_for(in_flight.settled(), STALL_LIMIT)
        viewer.sent += 1
