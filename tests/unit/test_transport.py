"""net/transport.py in-process: what a socket may be given to send; `binding` and `connecting`:
the script's own bind or connect, a failure said in one line (Fatal), an error of the block's own
left as it is."""

from __future__ import annotations

import numpy as np
import pytest
import zmq

from pubsub_demo import wire
from pubsub_demo.net import limits, transport
from pubsub_demo.process.logs import Fatal


def test_a_conflating_socket_refuses_a_message_of_two_parts(context):
    """Rather than send the last part alone, which no client could read."""
    with context.socket(zmq.PUB) as publisher:
        publisher.conflate = True
        with pytest.raises(ValueError, match="one part only"):
            transport.send(publisher, wire.encode(np.zeros((720, 1280, 3), np.uint8)))
        transport.send(publisher, wire.encode(np.zeros((720, 1280, 3), np.uint8), one_part=True))


def test_a_busy_port_is_one_clear_line(tmp_path):
    with zmq.Context() as context, context.socket(zmq.PUB) as first, context.socket(zmq.PUB) as second:
        limits.for_publisher(first)
        first.bind("tcp://127.0.0.1:*")
        address = first.get_string(zmq.LAST_ENDPOINT)
        limits.for_publisher(second)
        with pytest.raises(Fatal, match=r"cannot bind .*: Address already in use \(is a server already running"):
            with transport.binding(second, address):
                second.bind(address)


def test_an_error_after_the_bind_is_not_called_a_bind_error():
    with zmq.Context() as context, context.socket(zmq.PUB) as publisher:
        with pytest.raises(zmq.ZMQError), transport.binding(publisher, "tcp://127.0.0.1:*"):
            publisher.bind("tcp://127.0.0.1:*")
            raise zmq.ZMQError(zmq.EAGAIN)


def test_a_connect_that_fails_is_one_clear_line(tmp_path):
    address = f"ipc://{tmp_path}/{'x' * 200}.sock"
    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        limits.for_numbers(subscriber)
        with pytest.raises(Fatal, match=f"cannot connect to {address}: "), transport.connecting(subscriber, address):
            subscriber.connect(address)


def test_a_clean_exit_removes_the_ipc_socket_file(tmp_path):
    path = tmp_path / "server.sock"
    with zmq.Context() as context, context.socket(zmq.PUB) as publisher:
        with transport.binding(publisher, f"ipc://{path}"):
            publisher.bind(f"ipc://{path}")
            assert path.exists()
        assert not path.exists()


def test_each_with_says_its_own_socket_s_failure_only():
    """A relay's two sockets in one `with`: the busy port of its bind is not its connect's."""
    with zmq.Context() as context, context.socket(zmq.PUB) as first, context.socket(zmq.PUB) as second:
        first.bind("tcp://127.0.0.1:*")
        address = first.get_string(zmq.LAST_ENDPOINT)
        with context.socket(zmq.SUB) as upstream:
            with pytest.raises(Fatal, match="cannot bind"):
                with transport.binding(second, address), transport.connecting(upstream, "tcp://127.0.0.1:1"):
                    second.bind(address)
