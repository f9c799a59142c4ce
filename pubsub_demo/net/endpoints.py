"""ZeroMQ addresses (endpoints): parsing, checking and printing them, in one place.

The scripts take tcp:// and ipc:// addresses: tcp://127.0.0.1:5687, tcp://*:5687 (every
interface), tcp://127.0.0.1:* (a port the system picks), tcp://[::1]:5687 (IPv6), a host name,
or ipc:///tmp/demo.sock (a socket file on this computer).
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from typing import NamedTuple

from pubsub_demo.system.connections import plain_ip  # what the kernel reports, as people write it

_TCP = re.compile(r"tcp://(?P<host>\*|[\w.-]+|\[[0-9a-fA-F:.]+\]):(?P<port>\d{1,5}|\*)")
_IPC = re.compile(r"ipc://\S+")

NUMBERS_ADDRESS = "tcp://127.0.0.1:5687"  # the numbers server's, as in the original scripts
VIDEO_ADDRESS = "tcp://127.0.0.1:5688"  # the video server's


class Tcp(NamedTuple):
    """The parts of a tcp:// address: the host as written (without IPv6's brackets) and the port."""

    host: str
    port: str  # a number, or "*" (the system picks)


def tcp(address: str) -> Tcp | None:
    """The host and port of a tcp:// address; None for any other address."""
    match = _TCP.fullmatch(address)
    if match is None:
        return None
    return Tcp(match["host"].strip("[]"), match["port"])


def problem(address: str, *, to_connect: bool = False, example: str = "tcp://127.0.0.1:5687") -> str | None:
    """What is wrong with `address` as an address to bind (or, with `to_connect`, to connect
    to: one host and one port), in words for a usage error that shows `example` (the script's
    own address); None if nothing is."""
    parts = tcp(address)
    if parts is None and not _IPC.fullmatch(address):
        return f"{address!r} is not an address like {example}"
    if parts is not None and parts.port != "*" and not 1 <= int(parts.port) <= 65535:
        return f"{address!r} is not an address like {example}"
    if to_connect and (address.endswith(":*") or (parts is not None and parts.host == "*")):
        return f"{address!r} names no single server to connect to"
    return None


def port(address: str) -> int | None:
    """The port number of a tcp:// address; None for "*" and other transports."""
    parts = tcp(address)
    return int(parts.port) if parts is not None and parts.port != "*" else None


def shared(address: str) -> str | None:
    """The address that binds every interface of this computer on the port of `address`
    (tcp://*:PORT); None if `address` is not tcp://."""
    parts = tcp(address)
    return f"tcp://*:{parts.port}" if parts is not None else None


def ipc_path(address: str) -> str | None:
    """The socket file of an ipc:// address; None for other transports, for ipc://* (libzmq
    picks a path and deletes it) and for Linux's abstract names (ipc://@name: no file)."""
    if not address.startswith("ipc://"):
        return None
    path = address[len("ipc://") :]
    return None if path == "*" or path.startswith("@") else path


def with_host(host: str, port: int | str) -> str:
    """A tcp:// address for `host` and `port`, with brackets around an IPv6 address."""
    return f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"


@functools.lru_cache(maxsize=4096)  # a server names the same few addresses again and again
def is_loopback(ip: str) -> bool:
    """Whether `ip` is this computer's own (127.0.0.1, ::1); False for what is not an IP address."""
    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def needs_ipv6(address: str) -> bool:
    """Whether `address` needs ZeroMQ's IPv6 (off by default): tcp://[::1]:5687, tcp://*:5687
    (every interface, IPv4 and IPv6), or a host name with only IPv6 addresses. A name that has an
    IPv4 address (localhost) stays on IPv4, so that it reaches the servers it always reached."""
    if not address.startswith("tcp://"):
        return False
    host = address[len("tcp://") :].rsplit(":", 1)[0]
    if host.startswith("[") or host == "*":
        return True
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.getaddrinfo(host, None, family, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            continue
        return family == socket.AF_INET6
    return False  # no address at all (an interface name such as eth0?): libzmq decides


def resolves(address: str) -> bool:
    """Whether the host of a tcp:// address resolves (anything else counts as resolving)."""
    parts = tcp(address)
    if parts is None or parts.host == "*":
        return True
    try:
        socket.getaddrinfo(parts.host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True


def is_this_computer(address: str, own: list[str]) -> bool | None:
    """Whether the host of a tcp:// address is this computer: a loopback address, or one of
    `own` (this computer's addresses, see reach.addresses). None where it cannot be told
    (not tcp://, or a name that does not resolve)."""
    parts = tcp(address)
    if parts is None or parts.host == "*":
        return None
    try:
        infos = socket.getaddrinfo(parts.host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None
    # An IP address, but for a family this Python was built without: (family, raw bytes).
    found = {plain_ip(info[4][0]) for info in infos if isinstance(info[4][0], str)}
    return any(is_loopback(ip) or ip in own for ip in found)


def plain_socket(address: str, timeout: float) -> socket.socket:
    """A plain (not ZeroMQ) socket connected to a tcp:// or ipc:// address: OSError if it cannot
    connect, ValueError for another kind of address."""
    parts = tcp(address)
    if parts is not None and parts.port != "*":
        return socket.create_connection((parts.host, int(parts.port)), timeout)
    if address.startswith("ipc://") and hasattr(socket, "AF_UNIX"):
        path = address[len("ipc://") :]
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.settimeout(timeout)
        try:
            connection.connect("\0" + path[1:] if path.startswith("@") else path)  # @name: Linux's abstract names
        except OSError:
            connection.close()
            raise
        return connection
    raise ValueError(f"no plain connection to {address}")
