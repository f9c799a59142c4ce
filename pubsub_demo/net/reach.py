"""Who can reach a server: this computer's network addresses, and the command a student types.

A server bound to 127.0.0.1 (the default) is reachable from its own computer only; `--share`
binds every address (tcp://*:PORT). Its printed endpoint, tcp://0.0.0.0:5687 or tcp://[::]:5687,
is no address a student can type, so the server lists the computer's real ones instead.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import psutil
import zmq

from pubsub_demo.net import endpoints

NAME_PLACEHOLDER = "YOUR_NAME"  # in the command a wall prints, for each student to put a name in


def addresses() -> list[str]:
    """This computer's network addresses that another machine could reach: IPv4 first, then
    IPv6, neither loopback nor link-local (those need an interface name to be typed)."""
    found = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            try:
                address = ipaddress.ip_address(entry.address.split("%")[0])
            except ValueError:  # a hardware address
                continue
            if not (address.is_loopback or address.is_link_local or address.is_unspecified):
                found.append(address)
    return [str(address) for address in sorted(set(found), key=lambda a: (a.version, a))]


def is_this_computer(address: str) -> bool | None:
    """Whether the host of a tcp:// address is this computer (see endpoints.is_this_computer)."""
    return endpoints.is_this_computer(address, addresses())


def announce(
    sock: zmq.Socket,
    client: str,
    keydir: Path | None,
    *,
    fps: float | None = None,
    jpeg: int | None = None,
    details: str = "",
    verb: str = "Publishing",
    window: bool = False,
    student_options: str = "",
) -> str:
    """What a server says when it starts: where it publishes (at `fps` frames a second, for
    video, as JPEG of quality `jpeg` if so; and any other `details`), who can connect, how to
    stop it; and, if other computers can connect, the command a student runs (`client` is a
    client script's path from the project's folder, `student_options` what follows its
    --connect; `keydir` the server's --curve folder). A socket that receives rather than
    publishes (a wall's) says another `verb`; one with a `window` says that q and Esc stop it too."""
    stops = "q, Esc or Ctrl+C stops" if window else "Ctrl+C stops"
    details = (f", JPEG quality {jpeg}" if jpeg else "") + details
    details = details if fps is None else f" at {fps:g} frames/s{details}"
    endpoint = sock.get_string(zmq.LAST_ENDPOINT)
    parts = endpoints.tcp(endpoint)
    if parts is None:
        return f"{verb} on {endpoint}{details}; only programs on this computer can connect; {stops}."
    host, port = ipaddress.ip_address(parts.host), parts.port
    if host.is_loopback:
        return (
            f"{verb} on {endpoint}{details}; only this computer can connect "
            f"(--share lets the students' computers in); {stops}."
        )
    hosts = addresses() if host.is_unspecified else [str(host)]
    if not hosts:
        return f"{verb} on {endpoint}{details}; this computer has no network address yet; {stops}."
    reach = f"this computer's addresses: {', '.join(hosts)}" if host.is_unspecified else "other computers can connect"
    keys = f" --curve {(keydir.parent / 'clientN').as_posix()}" if keydir else ""  # see keys.py for the layout
    return (
        f"{verb} on {endpoint}{details}; {reach}; {stops}.\n"
        f"students run: python {client} --connect {endpoints.with_host(hosts[0], port)}{student_options}{keys}"
    )


def announce_video(sock: zmq.Socket, keydir: Path | None, fps: float, jpeg: int | None, window: bool) -> str:
    """What a video server says when it starts (`announce`): its frame rate and JPEG quality too,
    and the command a student's client runs (video_transmission/client1.py)."""
    return announce(sock, "video_transmission/client1.py", keydir, fps=fps, jpeg=jpeg, window=window)


def announce_wall(sock: zmq.Socket, keydir: Path | None, *, window: bool) -> str:
    """What a wall says when it starts (`announce`, for a socket that receives): where it
    receives, who can connect, and the command a student's camera runs (`keydir`: the wall's
    --curve folder; with keys, a camera is named after its key, and needs no --name)."""
    name = "" if keydir else f" --name {NAME_PLACEHOLDER}"
    return announce(sock, "video_transmission/camera.py", keydir, verb="Receiving", window=window, student_options=name)
