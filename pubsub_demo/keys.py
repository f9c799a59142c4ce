"""Make the CURVE keys for a server and its clients (see net/curve.py for the layout).

Run: python -m pubsub_demo.keys generate KEYDIR [--clients 3]
Then start the server with --curve KEYDIR/server and client N with --curve KEYDIR/clientN.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from pubsub_demo.process import lifetime

if __name__ == "__main__":  # run as a tool: first, as a script does (without zmq, one line says what to do)
    lifetime.begin()

import zmq.auth

from pubsub_demo.cli.groups import Parser
from pubsub_demo.cli.value_types import positive_int


def generate(keydir: Path, clients: int) -> None:
    """Create KEYDIR/server and KEYDIR/client1..N, each with what its machine needs."""
    server = keydir / "server"
    (server / "authorized").mkdir(parents=True)
    server_public, server_secret = zmq.auth.create_certificates(server, "server")
    os.chmod(server_secret, 0o600)  # a secret key: for its owner's eyes only
    for number in range(1, clients + 1):
        client = keydir / f"client{number}"
        client.mkdir()
        public, secret = zmq.auth.create_certificates(client, "client")
        os.chmod(secret, 0o600)
        shutil.copy(public, server / "authorized" / f"client{number}.key")
        shutil.copy(server_public, client / "server.key")


def main() -> None:
    parser = Parser(
        prog="python -m pubsub_demo.keys", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("generate", help="make a new key folder")
    make.add_argument("keydir", type=Path, help="the folder to create (it must not exist yet)")
    make.add_argument("--clients", type=positive_int, default=3, help="how many client key pairs (default 3)")
    args = parser.parse_args()
    if args.keydir.exists():
        parser.error(f"{args.keydir} exists already: choose a new folder")
    generate(args.keydir, args.clients)
    print(
        f"Keys in {args.keydir}: start the server with --curve {args.keydir / 'server'}, "
        f"client N with --curve {args.keydir / 'client1'} (client2, ...)."
    )


if __name__ == "__main__":
    lifetime.run(main)
