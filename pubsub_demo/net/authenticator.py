"""pyzmq's CURVE authenticator, which names the clients it lets in (net/curve.py starts it).

Its own module, loaded with --curve only: pyzmq's authenticator thread runs asyncio, which a
script without keys need not load as it starts.
"""

from __future__ import annotations

import queue

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils import z85


class NamingAuthenticator(ThreadAuthenticator):
    """pyzmq's authenticator, which also names each client by its key file (client7.key:
    "client7"; ZeroMQ hands the name on with each message, as its User-Id) and notes each one
    it lets in, as (IP address, name), in `admissions` (for the server's watch, monitoring.py)."""

    def __init__(self, context: zmq.Context, names: dict[bytes, str]) -> None:
        super().__init__(context)
        self.names = names
        self.knocking = ""
        self.admissions: queue.Queue[tuple[str, str]] = queue.Queue()

    async def handle_zap_message(self, msg: list[bytes]) -> None:
        self.knocking = msg[3].decode("ascii", "replace") if len(msg) > 3 else "?"  # the client's IP address
        await super().handle_zap_message(msg)

    def curve_user_id(self, client_public_key: bytes) -> str:
        return self.names.get(z85.encode(client_public_key), "an authorized key")

    def _send_zap_reply(
        self, request_id: bytes, status_code: bytes, status_text: bytes, user_id: str = "anonymous"
    ) -> None:
        if status_code == b"200":
            self.admissions.put((self.knocking, user_id))
        super()._send_zap_reply(request_id, status_code, status_text, user_id)
