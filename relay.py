"""Relay: takes a server's messages once and passes them on to clients of its own.

Sockets: SUB, connects to the server (default tcp://127.0.0.1:5688, the video server);
         PUB, binds for the clients (default tcp://127.0.0.1:5689). libzmq's proxy joins them.
Run:     python relay.py --connect tcp://TEACHER:5688 --share   (--help lists all the options)
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo import relaying
from pubsub_demo.cli import options
from pubsub_demo.net import curve, limits, reach, transport
from pubsub_demo.process import logs
from pubsub_demo.server import monitoring


def main() -> None:
    args = options.relay(__doc__)
    logs.setup(args.log_file, "RELAY")
    server = args.connect  # the server's address (or another relay's)
    with zmq.Context() as context, context.socket(zmq.PUB) as downstream:
        downstream.sndhwm = relaying.QUEUE - 1  # libzmq holds one more (the one it writes); first
        with (
            context.socket(zmq.SUB) as upstream,
            curve.allow_only_authorized(context, downstream, args.curve) as auth,  # --curve
            monitoring.watch_subscribers(downstream, auth) as clients,  # who joins and leaves
            relaying.Watch(upstream, server, clients, curve=bool(args.upstream_curve)) as watch,
            transport.binding(downstream, args.bind),  # a busy port: one line, no traceback
            transport.connecting(upstream, server),
        ):
            limits.for_publisher(downstream)  # it takes in subscriptions only: few, small
            downstream.bind(args.bind)  # towards its clients, the relay is a server: it binds
            curve.use_client_keys(upstream, args.upstream_curve)  # with --upstream-curve only
            upstream.rcvhwm = relaying.QUEUE  # before connect: the connection's queue is made then
            limits.for_video(upstream)  # a larger message drops the connection
            upstream.connect(server)  # towards the server, a client: ZeroMQ reconnects
            upstream.subscribe(b"")  # everything, once, for all the clients
            client = relaying.client_command(server)  # the client script its students run
            print(reach.announce(downstream, client, args.curve, details=f", relaying {server}"))
            while True:  # libzmq's proxy forwards each message, in C, until the watch stops it
                zmq.proxy_steerable(upstream, downstream, None, watch.control)
                lifetime.checkpoint()  # the proxy stopped for a stop request? Then the relay stops.
                transport.reconnect(upstream, server)  # else the server has been gone a while


if __name__ == "__main__":
    lifetime.run(main)
