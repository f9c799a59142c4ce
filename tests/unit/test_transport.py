"""net/transport.py's send, in-process: what a socket may be given to send."""

from __future__ import annotations

from pubsub_demo import wire
from pubsub_demo.net import transport

import numpy as np
import pytest
import zmq


def test_a_conflating_socket_refuses_a_message_of_two_parts(context):
    """Rather than send the last part alone, which no client could read."""
    with context.socket(zmq.PUB) as publisher:
        publisher.conflate = True
        with pytest.raises(ValueError, match="one part only"):
            transport.send(publisher, wire.encode(np.zeros((720, 1280, 3), np.uint8)))
        transport.send(publisher, wire.encode(np.zeros((720, 1280, 3), np.uint8), one_part=True))
