"""The log file under careless and hostile conditions, with the real scripts: a flood of bad
messages, a full disk, a FIFO that nothing reads or whose reader stops reading."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

from pubsub_demo import wire

from support.forgeries import header as bad_header
from support.logs import COUNT_LINE, LOG_LINE, logged
from support.numbers import send_until_printed
from support.paths import NUMBERS

FLOOD_RATE = 10_000  # bad messages a second
FLOOD_SECONDS = 10  # as long as the log's window: the issue asks for 10 s


def bad_messages(rng: np.random.Generator, count: int) -> list[list[bytes]]:
    """Bad messages of three kinds, with numbers that vary within each kind."""
    header_lies = [[bad_header(shape=(int(n), 0, 0, 0)) + bytes(8)] for n in rng.integers(2, 1000, count // 3)]
    too_short = [[bytes(int(n))] for n in rng.integers(1, wire.HEADER.size, count // 3)]
    wrong_magic = [[b"NOPE" + bytes(wire.HEADER.size)]] * (count - 2 * (count // 3))
    messages = header_lies + too_short + wrong_magic
    rng.shuffle(messages)  # type: ignore[arg-type]
    return messages


def test_a_flood_of_bad_messages_leaves_a_short_log(run, context, log_file):
    flood = bad_messages(np.random.default_rng(3), FLOOD_RATE * FLOOD_SECONDS)
    with context.socket(zmq.PUB) as publisher:
        publisher.sndhwm = 0  # keep every message: the test accounts for each one in the log
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{port}")
        send_until_printed(publisher, client, np.array([0.5]))
        started = time.monotonic()
        for number, parts in enumerate(flood):
            if number % 100 == 0:  # pacing the flood at FLOOD_RATE: a measuring window, not a wait for the client
                time.sleep(max(0.0, started + number / FLOOD_RATE - time.monotonic()))
            publisher.send_multipart(parts)
        sent_for = time.monotonic() - started
        publisher.send_multipart(wire.encode(np.array([9876.5])))
        client.expect(r"^9876\.5$")  # it came through the flood, which it has all read by now
        assert client.interrupt() == 0  # writes the counts still held back
    log = log_file.read_text()
    lines = log.splitlines()
    print(
        f"flood of {len(flood):,} bad messages in {sent_for:.1f} s: log of {len(log.encode()):,} bytes, "
        f"{len(lines)} lines:",
        *lines[:20],
        sep="\n  ",
    )
    assert len(log.encode()) < 100_000
    assert all(LOG_LINE.match(line) for line in lines)
    assert sum(bool(COUNT_LINE.search(line)) for line in lines) >= 3  # one for each kind
    assert logged(log) == len(flood)  # every bad message written or counted
    assert client.stdout == ["0.5", "9876.5"]


def _unwritable_log_lines(script) -> list[str]:
    return [line for line in script.stderr if "cannot write the log file" in line]


def test_a_full_disk_is_said_once_and_the_client_goes_on(run, context):
    with context.socket(zmq.PUB) as publisher:
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(
            NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{port}", "--log-file", "/dev/full", log=False
        )
        send_until_printed(publisher, client, np.array([0.5]))
        for parts in bad_messages(np.random.default_rng(4), 30):  # three kinds: three lines to log
            publisher.send_multipart(parts)
        publisher.send_multipart(wire.encode(np.array([2.5])))
        client.expect(r"^2\.5$")
        assert client.interrupt() == 0
    print("client's stderr:", *client.stderr, sep="\n  ")
    assert _unwritable_log_lines(client) == [
        "client3.py: cannot write the log file /dev/full: No space left on device; going on without it"
    ]
    assert not any("Logging error" in line or "Traceback" in line for line in client.stderr)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "log.fifo"
    os.mkfifo(path)
    return path


@pytest.mark.only_on("linux", "darwin")  # Windows has no FIFOs
def test_a_fifo_that_nothing_reads_does_not_hang_a_script(run, fifo):
    server = run(
        NUMBERS / "server.py", "--bind", "tcp://127.0.0.1:*", "--interval", "0.05", "--log-file", str(fifo), log=False
    )
    address = server.expect(r"Publishing on (\S+);")[1]  # it runs
    client = run(NUMBERS / "client3.py", "--connect", address, "--log-file", str(fifo), log=False)
    client.expect(r"^-?\d")  # it runs, and prints what the server sends
    assert client.interrupt() == 0 and server.interrupt() == 0
    for script in (server, client):
        assert _unwritable_log_lines(script) == [
            f"{Path(script.command[1]).name}: cannot write the log file {fifo}: "
            "it is a FIFO that nothing reads; going on without a log"
        ]


@pytest.fixture
def stalled_fifo(fifo: Path):
    """A FIFO whose reader has stopped reading: the test fills it up, and then reads no more."""
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    filler = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    try:
        while True:
            os.write(filler, b"x" * 4096)
    except BlockingIOError:
        pass
    os.close(filler)
    yield fifo
    os.close(reader)


@pytest.mark.only_on("linux", "darwin")  # Windows has no FIFOs
def test_a_fifo_whose_reader_stops_reading_never_blocks_a_script(run, context, stalled_fifo):
    with context.socket(zmq.PUB) as publisher:
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(
            NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{port}", "--log-file", str(stalled_fifo), log=False
        )
        send_until_printed(publisher, client, np.array([0.5]))
        publisher.send_multipart([b"short"])  # a line to log
        publisher.send_multipart(wire.encode(np.array([2.5])))
        client.expect(r"^2\.5$")
        # A server that must log an error on its way out: its port is in use.
        server = run(
            NUMBERS / "server.py", "--bind", f"tcp://127.0.0.1:{port}", "--log-file", str(stalled_fifo), log=False
        )
        assert server.wait() == 1
        assert client.interrupt() == 0
    for script in (client, server):
        print(f"{Path(script.command[1]).name}'s stderr:", *script.stderr, sep="\n  ")
        assert _unwritable_log_lines(script) == [
            f"{Path(script.command[1]).name}: cannot write the log file {stalled_fifo}: "
            "its reader does not keep up; going on without it"
        ]
