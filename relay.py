"""Relay: takes a server's messages once and passes them on to clients of its own.

Sockets: SUB, connects to the server (default tcp://127.0.0.1:5688, the video server);
         PUB, binds for the clients (default tcp://127.0.0.1:5689). libzmq's proxy joins them.
Run:     python relay.py --connect tcp://TEACHER:5688 --share   (--help lists all the options)

A PUB socket sends one copy of each message per client: a teacher's laptop on Wi-Fi serving 20
students sends every frame 20 times over its own link. Put a relay in the room, on a wired
computer: the teacher's server sends it one copy, and the relay sends one to each student.
Clients connect to a relay exactly as to a server, and a relay may connect to another relay (a
room each, a building). It works for both parts: it passes messages on unchanged, unread.

zmq.proxy_steerable moves the messages in C, without copying them. ZeroMQ's usual proxy is XSUB
to XPUB, which passes each client's subscriptions up to the server; here the relay subscribes to
everything once, and its clients' subscriptions stop at its PUB socket: a stranger's flood of
them costs the server nothing. The relay holds at most 2 messages for each client: a slow
client gets the newest frames (or arrays), never an ever longer queue.
"""

from pubsub_demo.process import lifetime

lifetime.begin()  # first: a Ctrl+C while numpy, zmq and OpenCV load then ends the script quietly

from pubsub_demo import relaying
from pubsub_demo.cli import options
from pubsub_demo.net import curve, reach, transport
from pubsub_demo.process import logs
from pubsub_demo.server import monitoring
from pubsub_demo.wire import VIDEO_MAX_BYTES

import zmq


def main() -> None:
    args = options.relay(__doc__)
    logs.setup(args.log_file, "RELAY")

    with zmq.Context() as context, context.socket(zmq.SUB) as upstream, context.socket(zmq.PUB) as downstream:
        downstream.sndhwm = relaying.QUEUE - 1  # before bind; libzmq holds one more (the one it writes)
        upstream.rcvhwm = relaying.QUEUE  # before connect: the connection's queue is made then
        with (
            curve.allow_only_authorized(context, downstream, args.curve) as doorman,  # with --curve only
            # Towards its clients the relay is a server: it watches who joins, and binds.
            monitoring.watch_subscribers(downstream, doorman) as clients,
            transport.bind(downstream, args.bind),
            relaying.Watch(upstream, args.connect, clients, curve=args.upstream_curve is not None) as watch,
        ):
            # Towards the server it is a client: it connects, and ZeroMQ connects again if the server goes.
            curve.use_client_keys(upstream, args.upstream_curve)  # with --upstream-curve only
            transport.connect(upstream, args.connect, max_bytes=VIDEO_MAX_BYTES)
            upstream.subscribe(b"")  # everything, once, for all the clients
            client = relaying.client_command(args.connect)  # the client script its students run
            print(reach.announce(downstream, client, args.curve, details=f", relaying {args.connect}"))

            while True:
                # libzmq forwards each message from upstream to downstream, in C, until the watch stops it.
                zmq.proxy_steerable(upstream, downstream, None, watch.control)
                lifetime.checkpoint()  # the proxy stopped for a stop request? Then the relay stops.
                transport.reconnect(upstream, args.connect)  # else the server has been gone for a while


if __name__ == "__main__":
    lifetime.run(main)
