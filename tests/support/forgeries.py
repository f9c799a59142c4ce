"""Forged by hand, for the tests: a wire header with any field set to anything, and a TCP server
that is not ZeroMQ (NotZeroMQ), answering as a few such programs do."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from pubsub_demo import wire

from support.scripts import TIMEOUT


def header(**fields: object) -> bytes:
    """A wire header (wire.HEADER) of a 1-D float64 array of 6 values, but for `fields`
    (magic, version, encoding, code, ndim, seq, sent_at, shape: four sizes)."""
    values = {
        "magic": wire.MAGIC,
        "version": wire.VERSION,
        "encoding": wire.RAW,
        "code": 10,
        "ndim": 1,
        "seq": 0,
        "sent_at": 0.0,
        "shape": (6, 0, 0, 0),
    } | fields
    names = ("magic", "version", "encoding", "code", "ndim", "seq", "sent_at")
    return wire.HEADER.pack(*(values[name] for name in names), *values["shape"])


class NotZeroMQ:
    """A TCP server that is not ZeroMQ, on 127.0.0.1 and a port the system picks: `answer` does
    what it does with each connection, in a thread of its own."""

    def __init__(self, answer: Callable[[socket.socket], None]) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.answer = answer
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.answer(connection)
            except OSError:  # the client hung up first
                pass

    def close(self) -> None:
        self.listener.close()


def hang_up(connection: socket.socket) -> None:
    """What a program does that takes connections and drops them at once."""


def answer_like_a_web_server(connection: socket.socket) -> None:
    """What nginx does with bytes that are not HTTP: its page for 400 Bad Request, and close."""
    connection.settimeout(TIMEOUT)
    connection.recv(1024)
    page = (
        b"<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n"
        b"<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    connection.sendall(
        b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(page), page)
    )


def stay_silent(connection: socket.socket) -> None:
    """What a server does that waits for its client to speak first, in a protocol we do not speak
    (Python's http.server waits for a whole line)."""
    connection.settimeout(TIMEOUT)
    while connection.recv(1024):  # until the client hangs up
        pass
