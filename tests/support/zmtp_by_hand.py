"""ZeroMQ's wire protocol (ZMTP) written by hand over a plain TCP socket: frames, a greeting,
subscriptions, and a SUB peer (HandMadeSubscriber) that sends whatever it is told to."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time

from pubsub_demo.server import connection_limits

HANDSHAKE_TIMEOUT = 5.0  # seconds for a server to answer a greeting: generous for a loaded machine


def frame(body: bytes, *, command: bool = False) -> bytes:
    """One ZMTP frame: flags, size (1 byte, or 8 for a long frame), body."""
    flags = 0x04 if command else 0x00
    if len(body) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


def greeting(minor: int) -> bytes:
    """The 64-byte ZMTP 3.x greeting of a client with the NULL mechanism (no security)."""
    return b"\xff" + bytes(8) + b"\x7f" + bytes([3, minor]) + b"NULL".ljust(20, b"\0") + b"\0" + bytes(31)


def subscription(topic: bytes, *, as_command: bool) -> bytes:
    """A SUBSCRIBE: a message starting with 1 (ZMTP 3.0), or a SUBSCRIBE command (ZMTP 3.1)."""
    return frame(b"\x09SUBSCRIBE" + topic, command=True) if as_command else frame(b"\x01" + topic)


READY = frame(b"\x05READY" + b"\x0bSocket-Type" + struct.pack(">I", 3) + b"SUB", command=True)
# What a real client sends: a greeting, READY and one subscription, to b"" (a ZMTP 3.1 command).
HANDSHAKE_BYTES = len(greeting(1) + READY)
assert HANDSHAKE_BYTES + len(subscription(b"", as_command=True)) == connection_limits.SUBSCRIBER_BYTES[False]
# The longest topic a subscription may have in those bytes (a ZMTP 3.0 message: 3 bytes and the topic).
TOPIC_A_CLIENT_COULD_SEND = connection_limits.SUBSCRIBER_BYTES[False] - HANDSHAKE_BYTES - 3


class HandMadeSubscriber:
    """A SUB peer written by hand: its greeting and READY as a SUB socket; then, once the server's
    greeting and READY are in (as a real peer does: a server fails a handshake that sends more
    before), whatever it is told to send. ConnectionError if the server hangs up first."""

    def __init__(self, port: int, *, minor: int = 0) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=HANDSHAKE_TIMEOUT)
        try:
            self.socket.sendall(greeting(minor) + READY)
            answer = b""
            while len(answer) < 66 or len(answer) < 66 + answer[65]:  # its greeting, READY's flags and size, READY
                chunk = self.socket.recv(4096)
                if not chunk:
                    raise ConnectionError("the server hung up during the handshake")
                answer += chunk
        except OSError:
            self.socket.close()
            raise
        assert answer[64] == 0x04 and answer[66:72] == b"\x05READY", answer  # the server's READY: handshake done
        self.socket.setblocking(False)

    def send(self, data: bytes) -> None:
        """Send all of `data`, waiting while the server does not take it in. ConnectionError once the
        server hung up (a server that cuts a connection off stops reading it, and the sender would
        wait for ever for room to send); TimeoutError if it neither takes it in nor hangs up."""
        view = memoryview(data)
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        while view:
            readable, writable, _ = select.select([self.socket], [self.socket], [], 0.05)
            if readable and self.hung_up():
                raise ConnectionError("the server hung up")
            if writable:
                with contextlib.suppress(BlockingIOError):
                    view = view[self.socket.send(view) :]
                    deadline = time.monotonic() + HANDSHAKE_TIMEOUT
            elif time.monotonic() > deadline:
                raise TimeoutError("the server takes in nothing, and keeps the connection")

    def hung_up(self) -> bool:
        """Whether the server closed this connection (without waiting: what it sent is dropped)."""
        try:
            while chunk := self.socket.recv(65536):
                del chunk
            return True
        except BlockingIOError:
            return False
        except OSError:  # reset
            return True

    def hangs_up(self, timeout: float = HANDSHAKE_TIMEOUT) -> bool:
        """Whether the server closes this connection within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.hung_up():
            if time.monotonic() > deadline:
                return False
            select.select([self.socket], [], [], 0.05)  # waiting for the server's hang-up, with a deadline
        return True

    def close(self) -> None:
        self.socket.close()
