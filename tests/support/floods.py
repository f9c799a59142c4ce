"""Hand-made subscribers against a server: a flood of subscriptions, connecting again whenever it
is cut off, and a crowd of connections each sending what a real client sends."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from support.memory import PeakMemory, rss_mb
from support.zmtp_by_hand import TOPIC_A_CLIENT_COULD_SEND, HandMadeSubscriber, subscription

CROWD = 300  # connections held at once by the crowd
HOLD = 1.5  # seconds the crowd holds its connections: part of the window the rate is measured over


def flood(
    port: int, batch: Callable[[], bytes], *, minor: int, seconds: float, give_up: Callable[[], bool]
) -> tuple[int, int, int]:
    """Send batches to the server for `seconds`, connecting again whenever it cuts us off.
    Returns (batches sent in full, connections whose handshake the server completed, connections
    the server then cut off). Stops early if `give_up()` says so."""
    sent = handshakes = cut = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not give_up():
        try:
            peer = HandMadeSubscriber(port, minor=minor)
        except OSError:  # not answered, or hung up on, for a moment: try again
            continue
        handshakes += 1
        try:
            while time.monotonic() < deadline and not give_up():
                peer.send(batch())
                sent += 1
        except ConnectionError:  # cut off: connect again and go on
            cut += 1
        finally:
            peer.close()
    return sent, handshakes, cut


def topics(size: int, count: int, *, as_command: bool = False) -> Callable[[], bytes]:
    """A maker of batches of `count` distinct random subscriptions of `size` bytes each."""
    return lambda: b"".join(subscription(os.urandom(size), as_command=as_command) for _ in range(count))


LIMITED_BY_THE_WATCH = 50  # bytes of topic: a subscription under the part limit, which the watch must cut off


def hold_a_crowd(server, port: int, client, per_second: float, late_client: Callable[[], object]) -> None:
    """CROWD connections to `server` at once, each sending what a real client sends but subscribing
    to a prefix of its own, held for HOLD seconds, then closed; meanwhile `client` receives (a line
    a message, `per_second` without the crowd) and `late_client()` starts a real client, which must
    receive too. The server must keep them all, grow by under 50 MB and give it back."""
    pid = server.process.pid
    client.expect(r"^\S")
    before = rss_mb(pid)
    memory = PeakMemory(pid)
    lines_before, started = len(client.stdout), time.monotonic()
    crowd = []
    for _ in range(CROWD):
        peer = HandMadeSubscriber(port)
        peer.send(subscription(os.urandom(TOPIC_A_CLIENT_COULD_SEND), as_command=False))  # distinct prefixes
        crowd.append(peer)
    server.expect(rf"^client 127\.0\.0\.1 joined \({CROWD + 1} connected\)$")  # all of them got in
    late = late_client()
    late.expect(r"^\S")  # a real client's subscription still works
    time.sleep(HOLD)  # a measuring window: the crowd held, the server sending to everyone
    held = rss_mb(pid)
    kept = [peer for peer in crowd if not peer.hung_up()]
    for peer in crowd:
        peer.close()
    server.expect(r"^client 127\.0\.0\.1 left \(2 connected\)$")  # all of the crowd gone
    rate = (len(client.stdout) - lines_before) / (time.monotonic() - started)
    time.sleep(0.5)  # a measuring window: what the server holds once the crowd has gone
    peak, after = memory.stop(), rss_mb(pid)
    print(
        f"{CROWD} connections, each with a subscription of {TOPIC_A_CLIENT_COULD_SEND} random bytes: server memory "
        f"{before:.0f} MB before, {held:.0f} MB with them, {peak:.0f} MB at most, {after:.0f} MB once they left; "
        f"its client got {rate / per_second:.0%} of the normal rate"
    )
    assert len(kept) == CROWD  # a connection that sends what a subscriber needs is kept
    assert peak - before < 50
    assert after - before < 5  # given back
    assert rate >= 0.9 * per_second
    assert not [line for line in server.stderr if "cut off" in line]
    for script in (late, client, server):
        assert script.interrupt() == 0
