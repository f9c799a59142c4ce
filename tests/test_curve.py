"""--curve: encryption and authentication with the real scripts; fail closed."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from support.numbers import printed_values, sent_arrays, start_server
from support.paths import NUMBERS, ROOT, VIDEO
from support.scripts import TIMEOUT

DIAGNOSIS_TIME = 5.0  # seconds: a client says within 3 s why nothing comes; the rest is room for a loaded machine


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """Two key folders made by the README's command: ours, and a stranger's."""
    base = tmp_path_factory.mktemp("keys")
    for name in ("ours", "stranger"):
        subprocess.run(
            [sys.executable, "-m", "pubsub_demo.keys", "generate", str(base / name), "--clients", "2"],
            check=True,
            timeout=TIMEOUT,
            capture_output=True,
            cwd=ROOT,
        )
    return base


def test_generate_makes_a_folder_for_the_server_and_each_client(keys):
    ours = keys / "ours"
    assert sorted(path.relative_to(ours).as_posix() for path in ours.rglob("*.key*")) == [
        "client1/client.key",
        "client1/client.key_secret",
        "client1/server.key",
        "client2/client.key",
        "client2/client.key_secret",
        "client2/server.key",
        "server/authorized/client1.key",
        "server/authorized/client2.key",
        "server/server.key",
        "server/server.key_secret",
    ]
    assert (ours / "client1" / "server.key").read_bytes() == (ours / "server" / "server.key").read_bytes()
    for secret in ours.rglob("*.key_secret"):  # readable by their owner alone
        assert secret.stat().st_mode & 0o777 == 0o600, secret


def test_only_the_authorized_client_receives(run, keys):
    server, address = start_server(run, "--curve", str(keys / "ours" / "server"), "--interval", "0.02")
    plain = run(NUMBERS / "client3.py", "--connect", address)
    stranger = run(NUMBERS / "client3.py", "--connect", address, "--curve", str(keys / "stranger" / "client1"))
    # Our client's keys, but the stranger's server key: it must not trust our server.
    doubting = keys / "doubting"
    if not doubting.exists():
        doubting.mkdir()
        for name in ("client.key", "client.key_secret"):
            (doubting / name).write_bytes((keys / "ours" / "client2" / name).read_bytes())
        (doubting / "server.key").write_bytes((keys / "stranger" / "server" / "server.key").read_bytes())
    mistrusting = run(NUMBERS / "client3.py", "--connect", address, "--curve", str(doubting))
    authorized = run(
        NUMBERS / "client3.py", "--connect", address, "--curve", str(keys / "ours" / "client1"), "--messages", "20"
    )
    assert authorized.wait() == 0  # 20 arrays: the others had all that time to receive something
    assert server.interrupt() == 0
    arrays = sent_arrays(server)
    values = printed_values(authorized)
    first = next(k for k, array in enumerate(arrays) if array[0] == values[0])
    assert values == [value for array in arrays[first : first + 20] for value in array]
    for outsider in (plain, stranger, mistrusting):
        assert outsider.process.poll() is None and outsider.stdout == []
        assert outsider.interrupt() == 0


def first_diagnosis(client) -> tuple[str, float]:
    """What a client says first after `connecting to`, and how many seconds after it."""
    client.expect(r"connecting to ", stream="stderr")
    started = time.monotonic()
    return client.expect(r".", stream="stderr", timeout=DIAGNOSIS_TIME).string, time.monotonic() - started


def refusals(server) -> list[str]:
    return [line for line in server.stderr if " refused " in line]


def test_a_client_without_keys_is_told_first_that_the_server_requires_them(run, keys):
    # The server often hangs up on a client without keys before its own greeting has left, as a
    # program that is not ZeroMQ would; about half the time it did. Five clients, to meet that.
    server, address = start_server(run, "--curve", str(keys / "ours" / "server"))
    clients = [run(NUMBERS / "client2.py", "--connect", address) for _ in range(5)]
    said = [first_diagnosis(client) for client in clients]
    print(
        f"the keyless clients were told after {', '.join(f'{took:.2f}' for _, took in said)} s: "
        f"{sorted(set(line for line, _ in said))}"
    )
    for line, _ in said:
        assert line == (
            f"client2.py: the server at {address} requires CURVE keys: start with --curve KEYDIR "
            "(ask the teacher for your key folder)"
        )
    server.expect(r"^server\.py: refused 127\.0\.0\.1: it has no CURVE keys$", stream="stderr")
    for client in clients:
        assert client.interrupt() == 0
        assert client.stdout == [] and not [line for line in client.stderr if "not a ZeroMQ server" in line]
    assert server.interrupt() == 0
    print(f"the server said: {refusals(server)}")
    assert refusals(server) == ["server.py: refused 127.0.0.1: it has no CURVE keys"]  # once, and by address


def test_a_client_with_another_class_keys_is_told_its_handshake_failed(run, keys, log_file):
    server, address = start_server(run, "--curve", str(keys / "ours" / "server"))
    stranger = run(NUMBERS / "client2.py", "--connect", address, "--curve", str(keys / "stranger" / "client1"))
    line, took = first_diagnosis(stranger)
    print(f"the client with another class's keys was told after {took:.2f} s: {line}")
    assert line == (
        f"client2.py: the CURVE handshake with {address} failed: our key is not on the server's list, "
        "or the server is not the one our server.key names (ask the teacher for this class's key folder)"
    )
    server.expect(
        r"^server\.py: refused 127\.0\.0\.1: its handshake failed "
        r"\(does it hold another server's key\?\)$",
        stream="stderr",
    )
    assert stranger.interrupt() == 0 and server.interrupt() == 0
    assert stranger.stdout == [] and len(stranger.stderr) == 2
    # The client's own look at what listens (diagnosis.greeting) hangs up during the handshake: logged only.
    print(f"the server said: {refusals(server)}")
    assert not [line for line in refusals(server) if "CURVE keys" in line]


class Relay:
    """A TCP relay between a client and a server that keeps what the server sent: a wiretap."""

    def __init__(self, server_port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.server_port = server_port
        self.heard = bytearray()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", self.server_port))
        threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
        self._pump(server, client, self.heard)

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket, record: bytearray | None) -> None:
        try:
            while data := source.recv(65536):
                if record is not None:
                    record += data
                target.sendall(data)
        except OSError:
            pass


@pytest.mark.parametrize("curve", [True, False], ids=["curve", "plain"])
def test_what_travels_on_the_wire(run, keys, curve):
    server_args = ["--curve", str(keys / "ours" / "server")] if curve else []
    client_args = ["--curve", str(keys / "ours" / "client1")] if curve else []
    server, address = start_server(run, "--interval", "0.02", *server_args)
    relay = Relay(int(address.rsplit(":", 1)[1]))
    client = run(NUMBERS / "client3.py", "--connect", f"tcp://127.0.0.1:{relay.port}", "--messages", "5", *client_args)
    assert client.wait() == 0
    assert server.interrupt() == 0
    received = printed_values(client)
    array_bytes = np.array(received[:6]).tobytes()  # the first array the client printed, as sent
    if curve:
        assert array_bytes not in relay.heard  # encrypted
    else:
        assert array_bytes in relay.heard  # the same check sees plain text when there is some


@pytest.mark.parametrize("script", ["server.py", "client3.py"])
@pytest.mark.parametrize("damage", ["missing folder", "no secret key", "unreadable key"])
def test_missing_or_broken_keys_refuse_to_start(run, keys, tmp_path, script, damage):
    folder = tmp_path / "keys"
    source = keys / "ours" / ("server" if script == "server.py" else "client1")
    if damage != "missing folder":
        folder.mkdir()
        for path in source.rglob("*"):
            target = folder / path.relative_to(source)
            if path.is_dir():
                target.mkdir()
            elif not path.name.endswith("_secret") or damage == "unreadable key":
                target.write_bytes(path.read_bytes() if damage == "no secret key" else b"garbage\n")
    flag = "--bind" if script == "server.py" else "--connect"
    address = "tcp://127.0.0.1:*" if script == "server.py" else f"ipc://{tmp_path}/nobody.sock"
    process = run(NUMBERS / script, "--curve", str(folder), flag, address)
    assert process.wait() == 1
    assert len(process.stderr) == 1 and "refusing to start" in process.stderr[0]
    assert process.stdout == []


def test_a_server_with_no_authorized_clients_refuses_to_start(run, keys, tmp_path):
    folder = tmp_path / "lonely"
    (folder / "authorized").mkdir(parents=True)
    for name in ("server.key", "server.key_secret"):
        (folder / name).write_bytes((keys / "ours" / "server" / name).read_bytes())
    server = run(NUMBERS / "server.py", "--curve", str(folder), "--bind", "tcp://127.0.0.1:*")
    assert server.wait() == 1
    assert "no authorized client keys" in server.stderr[0]


def test_video_with_curve(run, keys):
    server = run(
        VIDEO / "server.py",
        "--bind",
        "tcp://127.0.0.1:*",
        "--no-window",
        "--width",
        "160",
        "--height",
        "90",
        "--curve",
        str(keys / "ours" / "server"),
    )
    address = server.expect(r"Publishing on (\S+) ")[1]
    stranger = run(
        VIDEO / "client2.py",
        "--connect",
        address,
        "--no-window",
        "--print-frames",
        "--curve",
        str(keys / "stranger" / "client1"),
    )
    keyless = run(VIDEO / "client2.py", "--connect", address, "--no-window", "--print-frames")
    client = run(
        VIDEO / "client1.py",
        "--connect",
        address,
        "--no-window",
        "--print-frames",
        "--frames",
        "10",
        "--curve",
        str(keys / "ours" / "client2"),
    )
    assert client.wait() == 0
    assert len([line for line in client.stdout if line.startswith("frame ")]) == 10
    assert re.fullmatch(r"client2\.py: the CURVE handshake with \S+ failed: .*", first_diagnosis(stranger)[0])
    assert re.fullmatch(r"client2\.py: the server at \S+ requires CURVE keys: .*", first_diagnosis(keyless)[0])
    for outsider in (stranger, keyless):
        assert outsider.stdout == [] and outsider.interrupt() == 0
    assert server.interrupt() == 0


def test_a_key_folder_that_is_not_there_is_said_so_in_one_line(run, keys, tmp_path):
    missing = keys / "ours" / "client7"  # a student's number the teacher never made keys for
    client = run(NUMBERS / "client1.py", "--connect", f"ipc://{tmp_path}/none.sock", "--curve", str(missing))
    assert client.wait() == 1
    said = f"there is no key folder {missing}: refusing to start (is the path right? ask the teacher for yours)"
    assert client.stderr == [f"client1.py: {said}"]


def test_demo_with_too_few_keys_says_a_command_that_works(run, keys, tmp_path):
    """`ours` has keys for 2 clients; the numbers part has 3. The command the demo suggests must
    work as pasted: the key tool makes new folders only."""
    demo = run(ROOT / "demo.py", "numbers", "--curve", str(keys / "ours"), log=False)
    assert demo.wait() == 2
    command = re.search(r"python -m pubsub_demo\.keys generate (\S+) --clients (\d+), and use it", demo.stderr[-1])
    assert command, demo.stderr
    made = subprocess.run(
        [sys.executable, "-m", "pubsub_demo.keys", "generate", command[1], "--clients", command[2]],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert made.returncode == 0, made.stderr
    assert all((Path(command[1]) / folder).is_dir() for folder in ("server", "client1", "client2", "client3"))
