"""Where the servers can be: IPv6 addresses and host names, and ipc:// paths that a running
server holds, with the real scripts."""

from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
import zmq

from support.logs import LOG_LINE
from support.numbers import send_until_printed, start_server
from support.paths import NUMBERS, VIDEO

SERVERS = {
    "numbers": (NUMBERS / "server.py", ["--interval", "0.05"]),
    "video": (VIDEO / "server.py", ["--no-window", "--width", "160", "--height", "90"]),
}
CLIENTS = {
    "numbers": (NUMBERS / "client3.py", [], r"^\d"),  # a line per value
    "video": (VIDEO / "client1.py", ["--no-window", "--print-frames"], r"^frame \d"),
}  # a line per frame


def start(run, part: str, bind: str, prefix: list[str] | None = None):
    """Start the `part` server bound to `bind`; the script and the address it prints."""
    path, args = SERVERS[part]
    server = run(path, "--bind", bind, *args, prefix=prefix)
    return server, server.expect(r"Publishing on (\S+?);? ")[1]


def receives(run, part: str, address: str, prefix: list[str] | None = None, *, extra: tuple[str, ...] = ()):
    """Start the `part` client on `address` and wait until it has received something."""
    path, args, line = CLIENTS[part]
    client = run(path, "--connect", address, *args, *extra, prefix=prefix)
    client.expect(line)
    return client


# IPv6 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("part", SERVERS)
def test_a_server_on_ipv6_reaches_its_clients_and_comes_back_on_the_same_port(run, part):
    server, address = start(run, part, "tcp://[::1]:*")
    assert re.fullmatch(r"tcp://\[::1\]:\d+", address)
    client = receives(run, part, address, extra=("--silence", "1"))
    assert server.interrupt() == 0
    client.expect("waiting for the server", stream="stderr")
    again, _ = start(run, part, address)  # tcp://[::1]:PORT, the port the first one had
    client.expect("data flows again", stream="stderr")  # the client, never restarted, reconnected
    assert again.interrupt() == 0 and client.interrupt() == 0


def test_a_client_connects_over_ipv6(run, context):
    with context.socket(zmq.PUB) as publisher:
        publisher.ipv6 = True
        port = publisher.bind_to_random_port("tcp://[::1]")
        client = run(NUMBERS / "client3.py", "--connect", f"tcp://[::1]:{port}")
        send_until_printed(publisher, client, np.array([1.5, 2.5]))
        assert client.interrupt() == 0


def test_a_server_on_every_interface_takes_ipv4_and_ipv6_clients(run):
    server, address = start(run, "numbers", "tcp://*:*")
    port = address.rsplit(":", 1)[1]
    receives(run, "numbers", f"tcp://127.0.0.1:{port}")
    receives(run, "numbers", f"tcp://[::1]:{port}")
    assert server.interrupt() == 0


def private_network_tools() -> None:
    """Fail (not skip) where the namespaces the name tests need cannot be made."""
    missing = [tool for tool in ("unshare", "nsenter", "ip") if not shutil.which(tool)]
    if os.geteuid() != 0 or missing:
        pytest.fail(
            f"these tests make a private network and /etc/hosts (Linux namespaces): they need root, "
            f"and util-linux and iproute2 (missing: {', '.join(missing) or 'none'})"
        )


def in_private(hosts: Path, *setup: str) -> list[str]:
    """A command prefix: run in a mount namespace of its own, where `hosts` is /etc/hosts, after
    running `setup` (shell commands) there."""
    script = " && ".join([*setup, 'mount --bind "$0" /etc/hosts', 'exec "$@"'])
    return ["unshare", "--mount", *(["--net"] if setup else []), "--", "sh", "-c", script, str(hosts)]


@pytest.mark.parametrize("part", SERVERS)
def test_a_host_name_with_only_an_ipv6_address_reaches_server_and_clients(run, part, tmp_path):
    """A private network (a namespace, so nothing leaves it) whose loopback also has the IPv6
    address fd00::1, and a private /etc/hosts naming it: the name has no IPv4 address at all."""
    private_network_tools()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\nfd00::1 pubsub-demo-ip6\n")
    prefix = in_private(hosts, "ip link set lo up", "ip addr add fd00::1/128 dev lo")
    server, address = start(run, part, "tcp://pubsub-demo-ip6:*", prefix)
    assert re.fullmatch(r"tcp://\[fd00::1\]:\d+", address)
    port = address.rsplit(":", 1)[1]
    inside = ["nsenter", f"--target={server.process.pid}", "--net", "--mount", "--"]  # the server's network
    receives(run, part, f"tcp://pubsub-demo-ip6:{port}", inside)
    assert server.interrupt() == 0


def test_names_for_both_ipv4_and_ipv6_still_reach_their_servers(run, tmp_path):
    """Debian's /etc/hosts names ::1 localhost and ip6-localhost, and 127.0.0.1 localhost: a
    client of localhost must still reach the default server, which listens on 127.0.0.1 only,
    and a server and client of ip6-localhost each other."""
    private_network_tools()
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n")
    server, address = start_server(run)
    receives(run, "numbers", f"tcp://localhost:{address.rsplit(':', 1)[1]}", in_private(hosts))
    assert server.interrupt() == 0
    server, address = start(run, "numbers", "tcp://ip6-localhost:*", in_private(hosts))
    receives(run, "numbers", f"tcp://ip6-localhost:{address.rsplit(':', 1)[1]}", in_private(hosts))
    assert server.interrupt() == 0


# ipc:// -------------------------------------------------------------------------------------


@pytest.mark.only_on("linux", "darwin")  # Python has no AF_UNIX on Windows
@pytest.mark.parametrize("part", SERVERS)
def test_a_second_server_on_a_live_ipc_path_is_refused_like_a_busy_port(run, part, tmp_path, log_file):
    address = f"ipc://{tmp_path}/{part}.sock"
    first, _ = start(run, part, address)
    client = receives(run, part, address)
    second = run(SERVERS[part][0], "--bind", address, *SERVERS[part][1])
    assert second.wait() == 1
    name = SERVERS[part][0].name
    assert second.stderr == [
        f"{name}: cannot bind {address}: Address already in use (is a server already running there?)"
    ]
    log = log_file.read_text().splitlines()
    assert len(log) == 1 and LOG_LINE.match(log[0])
    assert log[0].endswith(
        f" - ERROR - SERVER ERROR: Exception of type ZMQError : Address already in use (addr='{address}')"
    )
    client.skip_seen()
    client.expect(CLIENTS[part][2])  # the first server still serves its client...
    receives(run, part, address)  # ...and new ones: its socket file is still there
    assert Path(address[len("ipc://") :]).is_socket()
    assert first.interrupt() == 0 and client.interrupt() == 0


def test_a_stale_ipc_socket_file_does_not_stop_a_new_server(run, tmp_path):
    address = f"ipc://{tmp_path}/numbers.sock"
    killed, _ = start(run, "numbers", address)
    killed.process.kill()  # SIGKILL: no clean-up, the socket file stays
    killed.wait()
    assert Path(tmp_path / "numbers.sock").is_socket()
    server, _ = start(run, "numbers", address)
    receives(run, "numbers", address)
    assert server.interrupt() == 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("part", SERVERS)
def test_a_clean_exit_removes_the_ipc_socket_file(run, tmp_path, part, sig):
    path = tmp_path / f"{part}.sock"
    server, _ = start(run, part, f"ipc://{path}")
    assert path.is_socket()
    assert server.interrupt(sig) == 0
    assert not path.exists()
