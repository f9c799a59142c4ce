"""The words a client says about its connection (diagnosis.py decides when), one function for each
thing it may say, so that the words live in one place, as the README's table quotes them."""

from __future__ import annotations


def unresolved(address: str) -> str:
    return f"the host name in {address} does not resolve: check the address"


def unreachable(address: str, *, local: bool | None = True, peer: str = "server") -> str:
    """Nothing listens at `address`; unless it is this computer's (`local`), the server there
    may not let other computers in. `peer`: what the client connects to (a camera: the wall)."""
    hint = "is the address right?"
    if local is False:  # another computer's
        hint += f" is that {peer} started with --share? a firewall?"
    return f"nothing listens at {address} (connection refused, or no route to it): waiting for the {peer} ({hint})"


def needs_curve(address: str, curve_option: str = "--curve", peer: str = "server") -> str:
    return (
        f"the {peer} at {address} requires CURVE keys: start with {curve_option} KEYDIR "
        "(ask the teacher for your key folder)"
    )


def no_curve(address: str, curve_option: str = "--curve", peer: str = "server") -> str:
    return f"the {peer} at {address} does not use CURVE: start without {curve_option}"


def curve_failed(address: str) -> str:
    return (
        f"the CURVE handshake with {address} failed: our key is not on the server's list, or the server "
        "is not the one our server.key names (ask the teacher for this class's key folder)"
    )


def not_zeromq(address: str) -> str:
    return f"something at {address} answers, but it is not a ZeroMQ server: is the port right?"


def silent(address: str, silence: float) -> str:
    return f"connected to {address}, but the server sends nothing (for {silence:g} s now)"


def waiting(address: str, silence: float) -> str:
    return f"no data from {address} for {silence:g} s; waiting for the server"


def unreadable(address: str, reason: str | None) -> str:
    return f"receiving messages it cannot read from {address}: {reason}"


def flows(address: str, *, again: bool) -> str:
    """Data comes, after news of a problem: `again` if it had come before."""
    return f"data flows {'again ' if again else ''}from {address}"
