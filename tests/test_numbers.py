"""Part 1 end to end: the real server and clients as subprocesses, on ports the system picks."""

from __future__ import annotations

import pickle
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zmq

from pubsub_demo import wire

from support.forgeries import header as bad_header
from support.logs import LOG_LINE
from support.numbers import printed_values, send_until_printed, sent_arrays, start_server
from support.paths import NUMBERS, ROOT
from support.scripts import TIMEOUT


@pytest.mark.parametrize(
    "client, select",
    [("client1.py", slice(0, None, 2)), ("client2.py", slice(1, None, 2)), ("client3.py", slice(None))],
)
def test_client_prints_exactly_its_values_of_the_arrays_sent(run, client, select):
    server, address = start_server(run, "--interval", "0.05")
    reader = run(NUMBERS / client, "--connect", address, "--messages", "5")
    assert reader.wait() == 0
    assert server.interrupt() == 0

    arrays = sent_arrays(server)
    values = printed_values(reader)
    per_array = len(arrays[0][select])
    assert len(values) == 5 * per_array
    # The client joined at some array (the slow joiner misses the ones before): find it.
    first = next(k for k, array in enumerate(arrays) if array[select][0] == values[0])
    expected = [value for array in arrays[first : first + 5] for value in array[select]]
    assert values == expected


def test_all_three_clients_at_once_see_the_same_arrays(run):
    server, address = start_server(run, "--interval", "0.05", "--count", "7")
    clients = [
        run(NUMBERS / name, "--connect", address, "--messages", "4")
        for name in ("client1.py", "client2.py", "client3.py")
    ]
    assert [client.wait() for client in clients] == [0, 0, 0]
    assert server.interrupt() == 0
    arrays = sent_arrays(server)
    evens, odds, everything = (printed_values(client) for client in clients)
    assert all(len(array) == 7 for array in arrays)
    for values, select in ((evens, slice(0, None, 2)), (odds, slice(1, None, 2)), (everything, slice(None))):
        first = next(k for k, array in enumerate(arrays) if array[select][0] == values[0])
        assert values == [value for array in arrays[first : first + 4] for value in array[select]]


def test_server_options_shape_the_arrays_and_seed_repeats_them(run):
    runs = []
    for _ in range(2):
        server = run(
            NUMBERS / "server.py",
            "--bind",
            "tcp://127.0.0.1:*",
            "--interval",
            "0",
            "--messages",
            "3",
            "--seed",
            "42",
            "--lower",
            "-5",
            "--upper",
            "5",
            "--count",
            "4",
        )
        assert server.wait() == 0
        runs.append(sent_arrays(server))
    assert runs[0] == runs[1]
    assert len(runs[0]) == 3
    assert all(len(array) == 4 and all(-5 <= value < 5 for value in array) for array in runs[0])


@pytest.mark.parametrize(
    "script, args",
    [
        ("server.py", ["--lower", "5", "--upper", "1"]),
        ("server.py", ["--count", "0"]),
        ("server.py", ["--interval", "-1"]),
        ("server.py", ["--bind", "tcp://127.0.0.1"]),
        ("server.py", ["--bind", "localhost:5687"]),
        ("server.py", ["--messages", "many"]),
        ("client1.py", ["--connect", "tcp://*:5687"]),
        ("client2.py", ["--connect", "5687"]),
        ("client3.py", ["--messages", "-2"]),
        ("client3.py", ["--no-such-option"]),
    ],
)
def test_nonsense_options_are_a_one_line_usage_error(run, script, args):
    script = run(NUMBERS / script, *args)
    assert script.wait() == 2
    assert len(script.stderr) == 1
    assert "error:" in script.stderr[0]


def test_port_in_use_exits_1_with_a_clear_line_and_the_original_log_line(run, context, log_file):
    with context.socket(zmq.PUB) as squatter:
        port = squatter.bind_to_random_port("tcp://127.0.0.1")
        server = run(NUMBERS / "server.py", "--bind", f"tcp://127.0.0.1:{port}")
        assert server.wait() == 1
    assert server.stderr == [
        f"server.py: cannot bind tcp://127.0.0.1:{port}: Address already in use (is a server already running there?)"
    ]
    log = log_file.read_text().splitlines()
    assert len(log) == 1
    assert LOG_LINE.match(log[0])
    assert " - ERROR - SERVER ERROR: Exception of type ZMQError : Address already in use" in log[0]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("script", ["server.py", "client1.py"])
def test_ctrl_c_and_sigterm_stop_cleanly(run, script, sig):
    server, address = start_server(run, "--interval", "0.05")
    target = server if script == "server.py" else run(NUMBERS / script, "--connect", address)
    target.expect(r"\d")  # it is working
    assert target.interrupt(sig) == 0
    assert not any("Traceback" in line for line in target.stderr)


def test_a_reader_that_stops_reading_ends_the_server_quietly(log_file):
    server = subprocess.Popen(
        [
            sys.executable,
            str(NUMBERS / "server.py"),
            "--bind",
            "tcp://127.0.0.1:*",
            "--interval",
            "0",
            "--log-file",
            str(log_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server.stdout.readline()  # like `server.py | head -1`
    server.stdout.close()
    assert server.wait(TIMEOUT) == 0
    assert "Traceback" not in server.stderr.read()


SIX = np.arange(6, dtype="<f8").tobytes()
MALFORMED = {
    "garbage bytes": [b"\x00garbage, not an array message at all"],
    "empty message": [b""],
    "three parts": [bad_header(), SIX, b"extra"],
    "short header": [bad_header()[:20], SIX],
    "wrong magic": [bad_header(magic=b"NOPE") + SIX],
    "future version": [bad_header(version=9) + SIX],
    "unknown dtype": [bad_header(code=99) + SIX],
    "object dtype": [bad_header(code=ord("O")) + SIX],
    "size that lies": [bad_header(shape=(1000, 0, 0, 0)) + SIX],
    "huge shape": [bad_header(ndim=2, shape=(2**32 - 1, 2**32 - 1, 0, 0)) + SIX],
    "empty, huge sides": [bad_header(ndim=4, shape=(0, 10, 339534822, 339559135))],  # numpy: too big
    "shape past ndim": [bad_header(ndim=1, shape=(6, 1, 0, 0)) + SIX],
    "unknown encoding": [bad_header(encoding=7) + SIX],
    "pickle": [pickle.dumps(np.arange(6.0))],
}


def test_client_logs_and_skips_every_kind_of_malformed_message(run, context, log_file):
    with context.socket(zmq.PUB) as publisher:
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{port}")
        send_until_printed(publisher, client, np.array([1.5, 2.5]))
        for number, parts in enumerate(MALFORMED.values()):
            publisher.send_multipart(parts)
            good = np.array([1000.0 + number, 2000.0 + number])
            publisher.send_multipart(wire.encode(good))
            client.expect(rf"^{good[0]}$")
            client.expect(rf"^{good[1]}$")
        assert client.process.poll() is None  # still running
        assert client.interrupt() == 0

    skipped = [line for line in log_file.read_text().splitlines() if "CLIENT WARNING: skipped a bad message" in line]
    assert len(skipped) == len(MALFORMED)
    assert all(LOG_LINE.match(line) for line in skipped)
    pickle_lines = [line for line in client.stderr if "--pickle" in line]
    assert len(pickle_lines) == 1  # said once


def test_client_says_once_how_to_accept_pickles(run, context):
    with context.socket(zmq.PUB) as publisher:
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{port}")
        send_until_printed(publisher, client, np.array([3.25]))
        for _ in range(5):
            publisher.send_pyobj(np.array([9.0]))
        publisher.send_multipart(wire.encode(np.array([4.75])))
        client.expect(r"^4\.75$")
        assert client.interrupt() == 0  # and every line it wrote is read
    assert client.stdout == [line for line in client.stdout if line in ("3.25", "4.75")]
    assert [line for line in client.stderr if "--pickle" in line] == [
        "client3.py: skipped a bad message: received a pickle; start with --pickle to accept pickled arrays"
    ]


def test_original_style_client_reads_our_server_with_pickle(run, context):
    server, address = start_server(run, "--pickle", "--interval", "0.05")
    with context.socket(zmq.SUB) as subscriber:
        subscriber.connect(address)
        subscriber.setsockopt_string(zmq.SUBSCRIBE, "")
        assert subscriber.poll(TIMEOUT * 1000), "nothing received from the server"
        received = [subscriber.recv_pyobj() for _ in range(3)]
    server.expect(re.escape(str(received[-1].tolist()[0])))  # it prints each array once it is sent
    assert server.interrupt() == 0
    arrays = sent_arrays(server)
    assert all(isinstance(array, np.ndarray) and array.shape == (6,) for array in received)
    first = next(k for k, array in enumerate(arrays) if array == received[0].tolist())
    assert [array.tolist() for array in received] == arrays[first : first + 3]


def test_our_client_with_pickle_reads_an_original_style_server(run, context):
    with context.socket(zmq.PUB) as publisher:
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{port}", "--pickle", "--messages", "3")
        array = np.random.default_rng(1).uniform(0, 10000, 6)
        for _ in range(int(TIMEOUT / 0.05)):
            publisher.send_pyobj(array)  # the original server's way
            if client.process.poll() is not None:
                break
            try:
                client.expect(re.escape(str(array[0])), timeout=0.05)
                break
            except AssertionError:
                pass
        for _ in range(3):
            publisher.send_pyobj(array)
        assert client.wait() == 0
    assert printed_values(client) == array.tolist() * 3


def test_client_started_first_waits_says_so_once_then_prints(run, tmp_path: Path, log_file):
    address = f"ipc://{tmp_path}/numbers.sock"
    client = run(NUMBERS / "client3.py", "--connect", address, "--silence", "0.5", "--messages", "2")
    client.expect("waiting for the server", stream="stderr")
    server = run(NUMBERS / "server.py", "--bind", address, "--interval", "0.05")
    assert client.wait() == 0
    assert server.interrupt() == 0
    assert len(client.stdout) == 12
    assert sum("waiting for the server" in line for line in client.stderr) == 1
    # The first data is news after "nothing listens": it flows, not "again" (it never flowed before).
    assert f"client3.py: data flows from {address}" in client.stderr
    assert not any("again" in line for line in client.stderr)
    assert "CLIENT WARNING: nothing listens at" in log_file.read_text()


@pytest.mark.parametrize(
    "path",
    [path for path in sorted(NUMBERS.glob("*.py")) if path.name != "bootstrap.py"] + [ROOT / "demo.py"],
    ids=lambda path: path.name,
)
def test_help(run, path):
    script = run(path, "--help")
    assert script.wait() == 0
    assert script.stdout[0].startswith("usage:")
    assert "--log-file" in "\n".join(script.stdout)


def test_demo_runs_the_whole_part_and_stops_on_ctrl_c(run, tmp_path: Path):
    address = f"ipc://{tmp_path}/demo.sock"
    demo = run(ROOT / "demo.py", "numbers", "--address", address)
    demo.expect(r"^server *\| sent #")
    for name in ("client1", "client2", "client3"):
        demo.expect(rf"^{name} *\| \d")
    assert demo.interrupt() == 0
    assert not any("Traceback" in line for line in demo.stdout + demo.stderr)
    still_running = [path for path in Path("/proc").glob("[0-9]*/cmdline") if address.encode() in _read(path)]
    assert still_running == []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_the_server_says_who_joins_and_leaves(run):
    server, address = start_server(run, "--interval", "0.05")
    client = run(NUMBERS / "client1.py", "--connect", address)
    server.expect(r"^client 127\.0\.0\.1 joined \(1 connected\)$")
    client.expect(r"^\d")
    assert client.interrupt() == 0
    server.expect(r"^client 127\.0\.0\.1 left \(0 connected\)$")
    assert server.interrupt() == 0
    assert not any("Traceback" in line for line in server.stderr)


def test_a_server_with_clients_ends_by_itself_after_its_messages(run):
    server, address = start_server(run, "--interval", "0.1", "--messages", "30")
    client = run(NUMBERS / "client3.py", "--connect", address)
    server.expect(r"^client 127\.0\.0\.1 joined")
    assert server.wait() == 0  # its watch over the connections stops with it
    assert client.interrupt() == 0
