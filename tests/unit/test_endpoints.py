"""endpoints on its own: which addresses are taken, and what is made of them."""

from __future__ import annotations

import pytest

from pubsub_demo.net import endpoints


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1:5687", "tcp://*:5687", "tcp://127.0.0.1:*", "tcp://localhost:1", "tcp://[::1]:65535",
     "tcp://teacher-pc.local:5688", "ipc:///tmp/demo.sock", "ipc://@abstract"],
)  # fmt: skip
def test_addresses_to_bind(address):
    assert endpoints.problem(address) is None


@pytest.mark.parametrize(
    "address",
    ["tcp://127.0.0.1", "127.0.0.1:5687", "tcp://127.0.0.1:0x10", "tcp://127.0.0.1:70000", "tcp://127.0.0.1:0",
     "udp://1.2.3.4:5", "", "tcp://:5687", "tcp://[zz]:5687", "tcp://127.0.0.1:123456"],
)  # fmt: skip
def test_what_is_not_an_address(address):
    assert "is not an address like tcp://127.0.0.1:5687" in endpoints.problem(address)


@pytest.mark.parametrize("address", ["tcp://*:5687", "tcp://127.0.0.1:*", "tcp://*:*"])
def test_an_address_to_connect_to_names_one_server(address):
    assert endpoints.problem(address) is None
    assert endpoints.problem(address, to_connect=True).endswith("names no single server to connect to")


def test_parts_of_an_address():
    assert endpoints.tcp("tcp://[::1]:5687") == ("::1", "5687")
    assert endpoints.tcp("tcp://*:*") == ("*", "*")
    assert endpoints.tcp("ipc:///tmp/x") is None
    assert endpoints.port("tcp://10.0.0.1:5688") == 5688
    assert endpoints.port("tcp://10.0.0.1:*") is None and endpoints.port("ipc:///tmp/x") is None
    assert endpoints.shared("tcp://127.0.0.1:5687") == "tcp://*:5687"
    assert endpoints.shared("tcp://127.0.0.1:*") == "tcp://*:*"
    assert endpoints.shared("ipc:///tmp/x") is None


def test_ipc_paths():
    assert endpoints.ipc_path("ipc:///tmp/demo.sock") == "/tmp/demo.sock"
    assert endpoints.ipc_path("ipc://*") is None  # libzmq picks it, and deletes it
    assert endpoints.ipc_path("ipc://@name") is None  # Linux's abstract names have no file
    assert endpoints.ipc_path("tcp://127.0.0.1:1") is None


def test_hosts_as_people_write_them():
    assert endpoints.with_host("10.0.0.7", 5687) == "tcp://10.0.0.7:5687"
    assert endpoints.with_host("fd00::1", "5687") == "tcp://[fd00::1]:5687"
    assert endpoints.plain_ip("::ffff:10.0.0.7") == "10.0.0.7"
    assert endpoints.plain_ip("fd00::1") == "fd00::1"
    assert endpoints.plain_ip("this computer") == "this computer"
    assert endpoints.is_loopback("127.0.0.1") and endpoints.is_loopback("::1")
    assert not endpoints.is_loopback("10.0.0.7") and not endpoints.is_loopback("?")


def test_which_addresses_need_ipv6():
    assert endpoints.needs_ipv6("tcp://[::1]:5687")
    assert endpoints.needs_ipv6("tcp://*:5687")  # every interface, IPv4 and IPv6
    assert not endpoints.needs_ipv6("tcp://127.0.0.1:5687")
    assert not endpoints.needs_ipv6("tcp://localhost:5687")  # has an IPv4 address: stays on IPv4
    assert not endpoints.needs_ipv6("ipc:///tmp/demo.sock")


def test_names_that_resolve():
    assert endpoints.resolves("tcp://127.0.0.1:5687") and endpoints.resolves("tcp://localhost:5687")
    assert endpoints.resolves("ipc:///tmp/x")  # nothing to resolve
    assert not endpoints.resolves("tcp://no-such-host.invalid:5687")
