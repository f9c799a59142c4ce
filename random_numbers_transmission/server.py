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

import itertools
import sys

try:
    from pubsub_demo.process import lifetime
except ModuleNotFoundError:  # not the project's environment: one line saying what to do, no traceback
    windows = r".venv\Scripts\activate, or: py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    elsewhere = ". .venv/bin/activate, or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    raise SystemExit(f"server.py: run {windows if sys.platform == 'win32' else elsewhere}") from None
lifetime.begin()  # first: a Ctrl+C while numpy, zmq and OpenCV load then ends the script quietly

from pubsub_demo import wire
from pubsub_demo.cli import options
from pubsub_demo.net import curve, reach, transport
from pubsub_demo.process import logs
from pubsub_demo.process.pacing import Pacer
from pubsub_demo.server import monitoring

import numpy
import zmq


def main() -> None:
    args = options.numbers_server(__doc__)
    logs.setup(args.log_file, "SERVER")
    encode = wire.encode_pickle if args.pickle else wire.encode
    random = numpy.random.default_rng(args.seed)

    with (
        zmq.Context() as context,
        context.socket(zmq.PUB) as publisher,
        curve.allow_only_authorized(context, publisher, args.curve) as doorman,  # with --curve only
        monitoring.watch_subscribers(publisher, doorman),  # says who joins and leaves, cuts off who sends too much
        # The server binds: it is the stable end, whose address all know; clients come and go.
        transport.bind(publisher, args.bind),
    ):
        print(reach.announce(publisher, "random_numbers_transmission/client1.py", args.curve))

        pacer = Pacer(args.interval)
        for seq in itertools.islice(itertools.count(), args.messages):
            array = random.uniform(args.lower, args.upper, args.count)
            transport.send(publisher, encode(array, seq))  # one message: header and numbers
            print(f"sent #{seq}: {array.tolist()}")
            pacer.wait()


if __name__ == "__main__":
    lifetime.run(main)
