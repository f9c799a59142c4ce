"""Where browsers find the gateway: the address it listens on (all of this computer's with
--share), what it says when it starts, and the address students open, as text and as a QR code
(in the terminal, and on the page for the projector).
"""

from __future__ import annotations

import errno
import io
import ipaddress
import os
import socket
from types import ModuleType

from pubsub_demo.net import reach
from pubsub_demo.process.logs import Fatal


def listening_socket(host: str, port: int, *, share: bool) -> socket.socket:
    """A socket listening on `host`, `port` (0: a port the system picks); with `share`, on every
    address of this computer, IPv4 and IPv6 alike, on that one port. Fatal if it cannot."""
    try:
        if share:
            if socket.has_dualstack_ipv6():
                return socket.create_server(("", port), family=socket.AF_INET6, dualstack_ipv6=True, backlog=128)
            return socket.create_server(("", port), backlog=128)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family, backlog=128)
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)  # without create_server's own words
        hint = (
            ": is another web.py running there? --http HOST:PORT takes another port"
            if error.errno == errno.EADDRINUSE
            else ""
        )
        raise Fatal(f"cannot listen on {url(host or '*', port)}: {reason}{hint}", error) from error


def url(host: str, port: int) -> str:
    """The address a browser opens."""
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def student_url(listener: socket.socket) -> str | None:
    """The address students open, with this computer's first network address; None if the
    gateway listens on this computer only, or the computer has no network address."""
    host, port = listener.getsockname()[:2]
    ip = ipaddress.ip_address(host.split("%")[0])
    if ip.is_loopback:
        return None
    hosts = reach.addresses() if ip.is_unspecified else [host]
    return url(hosts[0], port) if hosts else None


def announce(listener: socket.socket, upstream: str) -> str:
    """What the gateway says as it starts: where browsers open it, from which server, who can."""
    host, port = listener.getsockname()[:2]
    serving = f"Serving {url(host, port)} to browsers, from {upstream}"
    if ipaddress.ip_address(host.split("%")[0]).is_loopback:
        return f"{serving}; only this computer can open it (--share lets the students' computers in); Ctrl+C stops."
    shared = student_url(listener)
    if shared is None:
        return f"{serving}; this computer has no network address yet; Ctrl+C stops."
    addresses = ", ".join(reach.addresses())
    return (
        f"{serving}; this computer's addresses: {addresses}; Ctrl+C stops.\nstudents open: {shared}\n{qr_text(shared)}"
    )


def qr_text(address: str) -> str:
    """`address` as a QR code drawn with characters, for a phone's camera to read off the terminal."""
    out = io.StringIO()
    _segno().make(address, error="m").terminal(out=out, compact=True)
    return out.getvalue().rstrip("\n")


def qr_svg(address: str) -> str:
    """`address` as a QR code for the page: an SVG image's data: URI."""
    return _segno().make(address, error="m").svg_data_uri(scale=4)


def _segno() -> ModuleType:
    """The QR code maker (requirements.txt); only --share needs it, so an environment made before
    it was a requirement gets one line saying what to do, not a traceback."""
    try:
        import segno
    except ModuleNotFoundError:
        raise Fatal("segno (the QR code's maker) is not installed: .venv/bin/pip install -r requirements.txt") from None
    return segno
