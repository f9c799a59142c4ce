"""Hostile subscribers, with the real servers: a peer that speaks ZeroMQ's wire protocol (ZMTP)
by hand over a plain TCP socket and sends what no real subscriber would: one enormous
subscription, or tens of thousands of them, again and again; or hundreds of connections at once,
each sending what a real subscriber sends but subscribing to a prefix of its own, held and then
gone. No key is needed for that without --curve. The servers must stay small, keep publishing to
everyone else, and stop on Ctrl+C.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time

import psutil
import pytest

from pubsub_demo.server import connection_limits

from support.floods import LIMITED_BY_THE_WATCH, flood, hold_a_crowd, topics
from support.memory import PeakMemory, rss_mb
from support.numbers import start_server
from support.paths import NUMBERS, VIDEO
from support.zmtp_by_hand import HandMadeSubscriber, frame, subscription

SECONDS = 3.0  # how long each flood lasts: the measuring window for the other clients' rate
STAYS = 3.0  # seconds a client stays in the test of what it sends: past the first of the old heartbeats


ATTACKS = {  # name: (batch maker, subscriptions per batch, ZMTP minor version)
    "one 50 MB subscription, again and again": (lambda: subscription(b"x" * 50_000_000, as_command=False), 1, 0),
    "1 KB subscriptions": (topics(1000, 100), 100, 0),
    "50-byte subscriptions": (topics(LIMITED_BY_THE_WATCH, 1000), 1000, 0),
    "50-byte SUBSCRIBE commands (ZMTP 3.1)": (topics(LIMITED_BY_THE_WATCH, 1000, as_command=True), 1000, 1),
}


def attack_and_measure(server, port: int, client, attack: str, per_second: float) -> None:
    """Flood `server` as `attack` says while `client` receives; check memory, rate and stopping.
    `client` prints one line per message received (client3.py: per value); `per_second` is the rate
    of lines expected without an attack."""
    batch, per_batch, minor = ATTACKS[attack]
    pid = server.process.pid
    client.expect(r"^\S")
    before = rss_mb(pid)
    memory = PeakMemory(pid)
    lines_before, started = len(client.stdout), time.monotonic()
    sent, handshakes, cut = flood(
        port, batch, minor=minor, seconds=SECONDS, give_up=lambda: memory.peak - before > 100
    )  # failing anyway: spare the machine
    elapsed = time.monotonic() - started
    rate = (len(client.stdout) - lines_before) / elapsed
    time.sleep(0.5)  # a measuring window: what the server holds once the attacker has gone
    peak, after = memory.stop(), rss_mb(pid)
    print(
        f"{attack}: {sent * per_batch} subscriptions sent over {handshakes} connections ({cut} cut off) in "
        f"{elapsed:.1f} s; server memory {before:.0f} MB before, {peak:.0f} MB at most, {after:.0f} MB after; "
        f"client got {rate / per_second:.0%} of the normal rate"
    )
    assert peak - before < 50 and after - before < 50
    assert rate > 0.75 * per_second
    # The attack reached the server (each connection's handshake was answered) and was cut off,
    # again and again: by the part limit (ZMQ_MAXMSGSIZE) for large subscriptions, by the watch for small ones.
    assert handshakes > 1 and cut >= handshakes - 1
    if per_batch > 1:
        assert sent * per_batch >= 10_000  # the flood really was one
    if attack.startswith(f"{LIMITED_BY_THE_WATCH}-byte"):
        # The watch cut it off. How soon depends on when the watch's thread gets a core (1-5 kB
        # measured on a quiet machine, over 500 kB once while other tests loaded it): what it
        # cost is the server's memory and its client's rate, asserted above.
        server.expect(r"^server\.py: cut off a subscriber at 127\.0\.0\.1 port \d+: it sent \d+ bytes", stream="stderr")
    assert server.interrupt() == 0  # Ctrl+C still stops it at once


@pytest.mark.kernel_counts  # the watch cuts off by the kernel's byte counts
@pytest.mark.xdist_group("timing")  # the client's rate, and how soon the watch acts: what the cores give them
@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_hostile_subscriber_costs_the_numbers_server_little_and_slows_no_one(run, attack):
    server, address = start_server(run, "--interval", "0.05")  # 20 arrays a second
    client = run(NUMBERS / "client3.py", "--connect", address)  # prints the 6 values of each
    attack_and_measure(server, int(address.rsplit(":", 1)[1]), client, attack, per_second=6 * 20)


def start_small_video_server(run):
    """The video server at 30 small frames a second, without a window; the script and its address."""
    server = run(
        VIDEO / "server.py",
        "--bind",
        "tcp://127.0.0.1:*",
        "--no-window",
        "--width",
        "160",
        "--height",
        "90",
        "--fps",
        "30",
    )
    return server, server.expect(r"Publishing on (\S+) ")[1]


@pytest.mark.kernel_counts  # the watch cuts off by the kernel's byte counts
@pytest.mark.xdist_group("timing")  # the client's rate, and how soon the watch acts: what the cores give them
@pytest.mark.parametrize("attack", ["one 50 MB subscription, again and again", "50-byte subscriptions"])
def test_a_hostile_subscriber_costs_the_video_server_little_and_slows_no_one(run, attack):
    server, address = start_small_video_server(run)
    client = run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames")  # a line a frame
    attack_and_measure(server, int(address.rsplit(":", 1)[1]), client, attack, per_second=30)


@pytest.mark.kernel_counts  # the watch cuts off by the kernel's byte counts
@pytest.mark.xdist_group("timing")  # the client's rate, and how soon the watch acts: what the cores give them
def test_hundreds_of_connections_each_sending_what_a_client_sends_cost_the_numbers_server_little(run):
    server, address = start_server(run, "--interval", "0.05")  # 20 arrays a second
    client = run(NUMBERS / "client3.py", "--connect", address)  # prints the 6 values of each
    late_client = lambda: run(NUMBERS / "client3.py", "--connect", address)  # noqa: E731
    hold_a_crowd(server, int(address.rsplit(":", 1)[1]), client, 6 * 20, late_client)


@pytest.mark.kernel_counts  # the watch cuts off by the kernel's byte counts
@pytest.mark.xdist_group("timing")  # the client's rate, and how soon the watch acts: what the cores give them
def test_hundreds_of_connections_each_sending_what_a_client_sends_cost_the_video_server_little(run):
    server, address = start_small_video_server(run)
    client = run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames")  # a line a frame
    late_client = lambda: run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames")  # noqa: E731
    hold_a_crowd(server, int(address.rsplit(":", 1)[1]), client, 30, late_client)


def test_a_server_keeps_500_connections_and_turns_away_the_next_one(run):
    server, address = start_server(run, "--interval", "0.05")
    port = int(address.rsplit(":", 1)[1])
    client = run(NUMBERS / "client3.py", "--connect", address)
    client.expect(r"^\S")
    most = connection_limits.MAX_CONNECTIONS
    crowd = [HandMadeSubscriber(port) for _ in range(most - 1)]  # with the client: as many as a server keeps
    server.expect(rf"^client 127\.0\.0\.1 joined \({most} connected\)$")
    try:
        turned_away = HandMadeSubscriber(port).hangs_up()
    except ConnectionError:  # turned away before its handshake was done
        turned_away = True
    server.expect(
        rf"^server\.py: turned away a connection from 127\.0\.0\.1 port \d+: {most} are open", stream="stderr"
    )
    assert turned_away
    assert not [peer for peer in crowd if peer.hung_up()]  # the others stay
    client.skip_seen()
    client.expect(r"^\S")  # and the client still receives
    for peer in crowd:
        peer.close()
    server.expect(r"^client 127\.0\.0\.1 left \(1 connected\)$")
    assert not [line for line in server.stdout if f"({most + 1} connected)" in line]  # it never joined
    assert client.interrupt() == 0 and server.interrupt() == 0


def bytes_from_clients(port: int) -> list[int]:
    """What each client connected to local `port` has sent, as the kernel counts it (ss)."""
    listing = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( sport = :{port} )"], capture_output=True, text=True, timeout=10
    ).stdout
    return [int(count) for count in re.findall(r"bytes_received:(\d+)", listing)]


def test_a_real_client_sends_what_a_subscriber_needs_once_and_nothing_while_it_stays(run):
    server, address = start_server(run, "--interval", "0.05")
    client = run(NUMBERS / "client3.py", "--connect", address)
    client.expect(r"^\S")
    time.sleep(STAYS)  # a measuring window: a client that stays, receiving
    assert bytes_from_clients(int(address.rsplit(":", 1)[1])) == [connection_limits.SUBSCRIBER_BYTES[False]]
    assert client.interrupt() == 0 and server.interrupt() == 0


def test_without_curve_a_subscriber_s_message_of_more_than_64_bytes_drops_its_connection(run):
    server, address = start_server(run, "--interval", "0.05")
    port = int(address.rsplit(":", 1)[1])
    largest, too_large = HandMadeSubscriber(port), HandMadeSubscriber(port)
    server.expect(r"^client \S+ joined \(2 connected\)$")  # both in: the one dropped is then seen to leave
    largest.send(subscription(os.urandom(63), as_command=False))  # 64 bytes: kept
    too_large.send(subscription(os.urandom(64), as_command=False))  # 65 bytes: libzmq drops it at once
    assert too_large.hangs_up()
    server.expect(r"^client 127\.0\.0\.1 left \(1 connected\)$")
    assert not largest.hung_up()
    assert not [line for line in server.stderr if "cut off" in line]  # not the watch: 66 bytes are within its spare
    assert server.interrupt() == 0


FLOOD_RATE = 185  # CURVE handshakes a second, each with keys the server cannot use
FLOOD_SECONDS = 6.0


def curve_greeting_and_hello() -> bytes:
    """What a CURVE client sends first, as a stranger with keys of its own would: a greeting
    with the CURVE mechanism, and a HELLO whose box the server cannot open (ZMTP's CurveZMQ:
    version, 72 bytes of padding, a short-term key, a nonce, an 80-byte box)."""
    hello = b"\x05HELLO" + b"\x01\x00" + bytes(72) + os.urandom(32) + os.urandom(8) + os.urandom(80)
    return (
        b"\xff"
        + bytes(8)
        + b"\x7f"
        + bytes([3, 0])
        + b"CURVE".ljust(20, b"\0")
        + b"\0"
        + bytes(31)
        + frame(hello, command=True)
    )


def knock_with_wrong_keys(port: int, per_second: float, seconds: float) -> int:
    """Open CURVE handshakes the server refuses, at `per_second`, for `seconds`, each one waiting
    for the server to close it (so that the server's end closes first, and stays in TIME_WAIT).
    Returns how many the server closed."""
    refused = 0
    started = time.monotonic()
    while (now := time.monotonic()) - started < seconds:
        if refused > (now - started) * per_second:
            time.sleep(0.001)  # pacing the attacker, not waiting for the server
            continue
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=2) as knock:
            knock.sendall(curve_greeting_and_hello())
            while knock.recv(4096):  # its greeting, then nothing: the end of the connection
                pass
            refused += 1
    return refused


@pytest.mark.only_on("linux")  # the cost of Linux's table; elsewhere its reads are bounded alike (unit tests)
@pytest.mark.xdist_group("timing")  # the server's share of a core: what the other tests leave it
def test_a_flood_of_refused_curve_handshakes_costs_the_server_little_and_the_client_gets_every_message(run, tmp_path):
    """Each refused handshake is named from the kernel's table of closed connections, which grows
    with every refusal (TIME_WAIT): what a refusal costs must not grow with it."""
    keys = tmp_path / "keys"
    subprocess.run(
        [sys.executable, "-m", "pubsub_demo.keys", "generate", str(keys), "--clients", "1"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server, address = start_server(run, "--curve", str(keys / "server"), "--interval", "0.02")
    port = int(address.rsplit(":", 1)[1])
    client = run(NUMBERS / "client3.py", "--connect", address, "--curve", str(keys / "client1"))
    server.expect(r"client1 \(127\.0\.0\.1\) joined")
    client.expect(r"^\S")
    process = psutil.Process(server.process.pid)
    cpu_before, lines_before, started = sum(process.cpu_times()[:2]), len(client.stdout), time.monotonic()
    refused = knock_with_wrong_keys(port, FLOOD_RATE, FLOOD_SECONDS)
    elapsed = time.monotonic() - started
    share = (sum(process.cpu_times()[:2]) - cpu_before) / elapsed
    rate = (len(client.stdout) - lines_before) / elapsed / 6  # client3 prints the 6 values of each array
    print(
        f"{refused} refused handshakes in {elapsed:.1f} s: the server used {share:.0%} of a core; "
        f"client {rate:.1f} msg/s"
    )
    assert refused > 0.8 * FLOOD_RATE * FLOOD_SECONDS  # the flood was one
    assert share < 0.20
    assert rate > 0.9 * 50  # --interval 0.02: 50 arrays a second
    server.expect(r"^server\.py: refused 127\.0\.0\.1: its handshake failed", stream="stderr")
    assert server.interrupt() == 0 and client.interrupt() == 0
