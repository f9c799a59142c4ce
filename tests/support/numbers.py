"""The numbers part as the tests drive it: its server started on a port the system picks, the
arrays it sent, the values a client printed, an array sent until a client prints it."""

from __future__ import annotations

import re

import numpy as np
import zmq

from pubsub_demo import wire

from support.paths import NUMBERS
from support.scripts import TIMEOUT, Script


def start_server(run, *args: str) -> tuple[Script, str]:
    """Start the numbers server on a port the system picks; the script and its address."""
    server = run(NUMBERS / "server.py", "--bind", "tcp://127.0.0.1:*", *args)
    address = server.expect(r"Publishing on (\S+);")[1]
    return server, address


def sent_arrays(server) -> list[list[float]]:
    """The arrays the server printed, in order (it numbers them from 0)."""
    arrays = []
    for line in server.stdout:
        match = re.fullmatch(r"sent #(\d+): \[(.*)\]", line)
        if match:
            assert int(match[1]) == len(arrays)
            arrays.append([float(value) for value in match[2].split(", ")])
    return arrays


def printed_values(client) -> list[float]:
    return [float(line) for line in client.stdout]


def send_until_printed(publisher: zmq.Socket, client, array: np.ndarray) -> None:
    """Send `array` until the client prints its first value: the slow-joiner handshake."""
    for _ in range(int(TIMEOUT / 0.2)):
        publisher.send_multipart(wire.encode(array), copy=False)
        try:
            client.expect(re.escape(str(array[0])), timeout=0.2)
            return
        except AssertionError:
            pass
    raise AssertionError("the client never printed what was sent")


# Which values of each array a numbers client prints.
SELECT = {"client1.py": slice(0, None, 2), "client2.py": slice(1, None, 2), "client3.py": slice(None)}


def received(lines: list[str], arrays: list[list[float]], name: str) -> list[int]:
    """The numbers of the arrays whose values a client (client1.py...) printed as `lines`, in order."""
    select = SELECT[name]
    values = [float(line) for line in lines]
    width = len(arrays[0][select])
    whole = len(values) - len(values) % width
    numbers = []
    for start in range(0, whole, width):
        chunk = values[start : start + width]
        numbers.append(next(k for k, array in enumerate(arrays) if array[select] == chunk))
    # The Ctrl+C that ended the client may come between the lines of its last array (a value a
    # line): what it printed of it must still begin one of the arrays sent.
    cut = values[whole:]
    assert not cut or any(array[select][: len(cut)] == cut for array in arrays), values
    return numbers
