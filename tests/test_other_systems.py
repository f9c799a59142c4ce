"""The scripts as Windows' and macOS's Python runs them (tests/emulation shows the project's code
those systems' standard library), in the normal suite: what is said where the kernel gives no
byte counts and what protects the server then, demo.py stopping its scripts as it does on
Windows, and the relay, whose watch thread keeps no signals off on Windows. `.ci/run` also runs
the whole suite so, once per system (tests marked only_on or kernel_counts left out)."""

from __future__ import annotations

import os
import socket

import pytest

from support.paths import NUMBERS, ROOT
from support.zmtp_by_hand import HandMadeSubscriber, subscription

SYSTEMS = ["win32", "darwin"]


def as_system(system: str) -> dict[str, str]:
    """The environment of a script whose code is shown `system`'s standard library."""
    return os.environ | {"PYTHONPATH": str(ROOT / "tests" / "emulation"), "PUBSUB_DEMO_AS": system}


@pytest.mark.only_on("linux")  # shows the scripts another system itself
@pytest.mark.parametrize("system", SYSTEMS)
def test_where_the_kernel_gives_no_counts_the_server_says_so_once_and_zeromq_s_limit_still_holds(run, system):
    server = run(NUMBERS / "server.py", "--bind", "tcp://127.0.0.1:*", "--interval", "0.05", env=as_system(system))
    address = server.expect(r"Publishing on (\S+);")[1]
    server.expect(r"does not count", stream="stderr")  # said before, on the other stream: read by now
    port = int(address.rsplit(":", 1)[1])
    largest, too_large = HandMadeSubscriber(port), HandMadeSubscriber(port)
    server.expect(r"^client 127\.0\.0\.1 joined \(2 connected\)$")  # the peer's address, read without os.dup
    largest.send(subscription(os.urandom(63), as_command=False))  # 64 bytes: kept
    too_large.send(subscription(os.urandom(64), as_command=False))  # 65 bytes: libzmq drops it at once
    assert too_large.hangs_up()
    server.expect(r"^client 127\.0\.0\.1 left \(1 connected\)$")
    assert not largest.hung_up()
    assert server.interrupt() == 0
    assert [line for line in server.stderr if "does not count" in line] == [
        "server.py: this computer's system does not count the bytes each connection sends, so a subscriber "
        "that sends too much is not cut off; ZeroMQ still drops a connection whose message is over 64 bytes, "
        "and holds 2 of its messages at most"
    ]  # once


def free_port() -> int:
    """A TCP port that nothing listens on now (demo.py takes a port of its own choosing)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


@pytest.mark.only_on("linux")  # shows the scripts another system itself
@pytest.mark.parametrize("system", SYSTEMS)
def test_demo_stops_each_of_its_scripts_cleanly(run, system):
    """On Windows each script gets a process group of its own and CTRL_BREAK_EVENT (here, the
    signal that stands for it); the demo says nothing of exit codes when all ended with 0."""
    demo = run(ROOT / "demo.py", "numbers", "--address", f"tcp://127.0.0.1:{free_port()}", env=as_system(system))
    for client in ("client1", "client2", "client3"):
        demo.expect(rf"^{client} *\| \d")  # each client receives
    assert demo.interrupt() == 0  # Ctrl+C at the terminal: the demo alone gets it, and stops the scripts
    assert not [line for line in demo.stdout + demo.stderr if "exit code" in line or "was killed" in line]
