"""The classroom, across machines: a teacher's host and students' hosts, each a Linux network
namespace with a network stack of its own, joined by a bridge (see netns.py).

These tests need root and iproute2. Without them they are skipped on a developer's machine,
but they fail in CI (where CI=true), which runs as root and installs iproute2.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import NUMBERS
from netns import Network

DIAGNOSIS_TIME = 5.0  # seconds: the clients aim at 3; the rest is room for a loaded 2-core machine


@pytest.fixture(scope="module")
def network():
    reason = Network.available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run these tests as root with iproute2 installed")
        pytest.skip(f"{reason}; CI runs these tests")
    network = Network()
    try:
        for name in ("teacher", "student1", "student2", "away"):
            network.add(name)
        network.unplug(network.hosts["away"])  # a machine of the test whose link is down
        yield network
    finally:
        network.close()


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """Two classes' key folders: keys/ for this class, other/ for another."""
    folder = tmp_path_factory.mktemp("keys")
    from pubsub_demo import keys as making
    making.generate(folder / "class", 2)
    making.generate(folder / "other", 1)
    return folder


def on(network: Network, name: str) -> list[str]:
    return network.hosts[name].command()


def teacher_server(run, network: Network, *args: str):
    """The numbers server on the teacher's host, bound to all its addresses; its port."""
    server = run(NUMBERS / "server.py", "--bind", "tcp://*:*", "--interval", "0.2", *args, prefix=on(network, "teacher"))
    port = server.expect(r"Publishing on tcp://\S+:(\d+)")[1]
    return server, port


def diagnosed(client, pattern: str) -> float:
    """Wait for the client's diagnosis; how long it took from the client's start."""
    started = time.monotonic()
    client.expect(pattern, stream="stderr", timeout=DIAGNOSIS_TIME)
    return time.monotonic() - started


def test_a_student_receives_from_the_teachers_machine(run, network):
    server, port = teacher_server(run, network, "--messages", "100")
    teacher = network.hosts["teacher"].address
    students = [run(NUMBERS / "client3.py", "--connect", f"tcp://{teacher}:{port}", "--messages", "3",
                    prefix=on(network, name)) for name in ("student1", "student2")]
    for student in students:
        assert student.wait() == 0
        assert len(student.stdout) == 18
    server.interrupt()


@pytest.mark.parametrize("case", ["no server", "unknown host", "unreachable", "no keys", "another class's keys",
                                  "pickle server"])
def test_each_cause_gets_its_own_diagnosis(run, network, keys, case):
    teacher, away = network.hosts["teacher"].address, network.hosts["away"].address
    student_args: list[str] = []
    if case == "no server":
        address, expected = f"tcp://{teacher}:5687", r"nothing listens at tcp://\S+ \(connection refused, or no route"
    elif case == "unknown host":
        address, expected = "tcp://no-such-host.invalid:5687", r"the host name in tcp://no-such-host.invalid:5687 does not resolve"
    elif case == "unreachable":
        address, expected = f"tcp://{away}:5687", rf"nothing listens at tcp://{away}:5687 \(connection refused, or no route"
    else:
        server_args = {"no keys": ["--curve", str(keys / "class" / "server")],
                       "another class's keys": ["--curve", str(keys / "class" / "server")],
                       "pickle server": ["--pickle"]}[case]
        _, port = teacher_server(run, network, *server_args)
        address = f"tcp://{teacher}:{port}"
        expected = {"no keys": r"requires CURVE keys: start with --curve",
                    "another class's keys": r"the CURVE handshake with \S+ failed: our key is not on the server's list, "
                                            r"or the server is not the one our server.key names",
                    "pickle server": r"receiving messages it cannot read from \S+: received a pickle"}[case]
        if case == "another class's keys":
            student_args = ["--curve", str(keys / "other" / "client1")]
        if case == "pickle server":
            student_args = ["--silence", "1"]
    client = run(NUMBERS / "client1.py", "--connect", address, *student_args, prefix=on(network, "student1"))
    client.expect(rf"connecting to {address}", stream="stderr")
    took = diagnosed(client, expected)
    print(f"{case}: said in {took:.1f} s")
    assert client.process.poll() is None  # it goes on waiting, and would connect once things are right
    assert client.interrupt() == 0
    assert not any("Traceback" in line for line in client.stderr)
