"""net/zmtp.py's greeting, in-process: what listens at an address, told from its first bytes
(ZeroMQ servers and their security, other programs, nothing)."""

from __future__ import annotations

import socket

import zmq
import zmq.auth

from pubsub_demo.net import zmtp

from support.forgeries import answer_like_a_web_server, hang_up, stay_silent
from support.scripts import AS_SYSTEM


def test_greeting_tells_zeromq_servers_and_their_security_from_other_programs(context, not_zeromq, tmp_path):
    from pubsub_demo import keys as making

    making.generate(tmp_path / "keys", 1)
    plain, curve, over_ipc = context.socket(zmq.PUB), context.socket(zmq.PUB), context.socket(zmq.PUB)
    public, secret = zmq.auth.load_certificate(tmp_path / "keys" / "server" / "server.key_secret")
    curve.curve_secretkey, curve.curve_publickey, curve.curve_server = secret, public, True
    with socket.create_server(("127.0.0.1", 0)) as nobody:  # a port the system picked, and no one listens there
        unused = nobody.getsockname()[1]
    over_ipc.bind(f"ipc://{tmp_path}/server.sock")
    listeners = {  # what listens: its address, and what `greeting` should find there
        "a ZeroMQ server": (f"tcp://127.0.0.1:{plain.bind_to_random_port('tcp://127.0.0.1')}", "NULL"),
        "a ZeroMQ server with CURVE": (f"tcp://127.0.0.1:{curve.bind_to_random_port('tcp://127.0.0.1')}", "CURVE"),
        # Python has no AF_UNIX socket on Windows: nothing to knock with there
        "a ZeroMQ server on ipc://": (f"ipc://{tmp_path}/server.sock", None if AS_SYSTEM == "win32" else "NULL"),
        "a program that hangs up": (not_zeromq(hang_up).address, ""),
        "a web server": (not_zeromq(answer_like_a_web_server).address, ""),
        "a program that waits for us to speak": (not_zeromq(stay_silent).address, None),
        "nothing": (f"tcp://127.0.0.1:{unused}", None),
    }
    found = {name: zmtp.greeting(address, timeout=0.5) for name, (address, _) in listeners.items()}
    print(found)
    assert found == {name: expected for name, (_, expected) in listeners.items()}
    for socket_ in (plain, curve, over_ipc):
        socket_.close()
