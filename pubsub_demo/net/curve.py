"""CURVE encryption and authentication (ZeroMQ's "Ironhouse" pattern), turned on by --curve.

With --curve, traffic is encrypted, the server lets in only clients whose public keys are in
its `authorized` folder, and a client talks only to the server whose public key it holds.
`python -m pubsub_demo.keys generate KEYDIR` makes the folders:

    KEYDIR/server/   server.key, server.key_secret, authorized/client1.key, ...   (--curve KEYDIR/server)
    KEYDIR/client1/  client.key, client.key_secret, server.key                    (--curve KEYDIR/client1)

If a key is missing or unreadable, the script refuses to start: it never falls back to
plain text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import zmq
import zmq.auth

from pubsub_demo.process.logs import Fatal

if TYPE_CHECKING:
    from pubsub_demo.net.authenticator import NamingAuthenticator


@contextlib.contextmanager
def allow_only_authorized(
    context: zmq.Context, sock: zmq.Socket, keydir: Path | None
) -> Iterator[NamingAuthenticator | None]:
    """With a key folder: make `sock` (a server's PUB, a wall's SUB) a CURVE server that lets in only the authorized
    clients, for as long as the `with` block lasts, and give the authenticator (a NamingAuthenticator,
    which tells whom it let in). Without one: do nothing, and give None. Call before bind."""
    if keydir is None:
        yield None
        return
    public, secret = _load_pair(keydir / "server.key_secret")
    authorized = keydir / "authorized"
    if not authorized.is_dir() or not any(authorized.glob("*.key")):
        raise Fatal(f"no authorized client keys (*.key) in {authorized}: refusing to start")
    from pubsub_demo.net.authenticator import NamingAuthenticator  # with --curve only: it loads asyncio

    authenticator = NamingAuthenticator(context, _key_names(authorized))
    authenticator.start()
    try:
        authenticator.configure_curve(domain="*", location=str(authorized))
        sock.curve_secretkey, sock.curve_publickey = secret, public
        sock.curve_server = True
        yield authenticator
    finally:
        authenticator.stop()


def use_client_keys(sock: zmq.Socket, keydir: Path | None) -> None:
    """With a key folder: make `sock` (a client's SUB, a camera's PUB) a CURVE client with its own key pair that accepts
    only the server whose public key is in the folder. Without one: do nothing. Call before connect."""
    if keydir is None:
        return
    if keydir.name.endswith("clientN") and not keydir.exists():  # the server's printed command, pasted as it is
        raise Fatal(
            f"there is no key folder {keydir}: put your student number for N "
            f"(--curve {keydir.with_name(keydir.name[:-1] + '7')} for student 7)"
        )
    if not keydir.is_dir():
        raise Fatal(
            f"there is no key folder {keydir}: refusing to start (is the path right? ask the teacher for yours)"
        )
    public, secret = _load_pair(keydir / "client.key_secret")
    server_public, _ = _load(keydir / "server.key")
    sock.curve_secretkey, sock.curve_publickey = secret, public
    sock.curve_serverkey = server_public


def _load_pair(path: Path) -> tuple[bytes, bytes]:
    public, secret = _load(path)
    if secret is None:
        raise Fatal(f"{path} holds no secret key: refusing to start")
    return public, secret


def _load(path: Path) -> tuple[bytes, bytes | None]:
    try:
        return zmq.auth.load_certificate(path)
    except (OSError, ValueError) as error:
        raise Fatal(f"cannot read the key {path}: refusing to start", error) from error


def _key_names(authorized: Path) -> dict[bytes, str]:
    """Each authorized public key (Z85) and the name of its file, without .key."""
    return {_load(path)[0]: path.stem for path in sorted(authorized.glob("*.key"))}
