"""Random-number server: publishes an array of random floats once a second.

Socket: PUB, binds tcp://127.0.0.1:5687 (every client connects there).
Run:    python random_numbers_transmission/server.py [--interval 0.5] [--count 6] ...
        (--help lists all the options)

A PUB socket sends each message to every subscriber connected at that moment, and waits for
no one: a client that joins late misses what was sent before (the "slow joiner"), and the
server's first arrays may go to no one at all. PUB keeps what each subscriber subscribed to,
so the server cuts off any connection that sends more than a subscription: a stranger cannot
make it hoard memory.
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import numpy
import zmq

from pubsub_demo import wire
from pubsub_demo.cli import options
from pubsub_demo.net import curve, limits, reach, transport
from pubsub_demo.process import logs, pacing
from pubsub_demo.server import monitoring


def main() -> None:
    args = options.numbers_server(__doc__)
    logs.setup(args.log_file, "SERVER")
    encode = wire.encode_pickle if args.pickle else wire.encode
    random = numpy.random.default_rng(args.seed)

    with (
        zmq.Context() as context,
        context.socket(zmq.PUB) as publisher,
        curve.allow_only_authorized(context, publisher, args.curve) as auth,  # --curve only
        monitoring.watch_subscribers(publisher, auth),  # who joins, leaves, sends too much
        transport.binding(publisher, args.bind),  # a busy port: one line, no traceback
    ):
        limits.for_publisher(publisher)  # it takes in subscriptions only: small, few at a time
        publisher.bind(args.bind)  # the server binds: the stable end, whose address all know
        print(reach.announce(publisher, "random_numbers_transmission/client1.py", args.curve))
        for seq in pacing.ticks(args.interval, args.messages):  # once a second, by default
            array = random.uniform(args.lower, args.upper, args.count)
            publisher.send_multipart(encode(array, seq), copy=False)  # header and numbers
            print(f"sent #{seq}: {array.tolist()}")


if __name__ == "__main__":
    lifetime.run(main)
