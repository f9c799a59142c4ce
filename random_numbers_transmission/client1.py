"""Random-number client 1: prints the values at even indices (0, 2, 4, ...) of each array.

Socket: SUB, connects to tcp://127.0.0.1:5687 (where server.py binds).
Run:    python random_numbers_transmission/client1.py [--connect ADDR] [--messages N]

The server binds and the clients connect: the server is the stable end, whose address they
all know. So a client may start before the server: ZeroMQ connects in the background once
the server is there, and again after it restarts. A client gets only what is published
after it has connected and subscribed; what came before is gone (the "slow joiner").
"""

import sys

try:
    from pubsub_demo.process import lifetime
except ModuleNotFoundError:  # not the project's environment: one line saying what to do, no traceback
    windows = r".venv\Scripts\activate, or: py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    elsewhere = ". .venv/bin/activate, or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    raise SystemExit(f"client1.py: run {windows if sys.platform == 'win32' else elsewhere}") from None
lifetime.begin()  # first: a Ctrl+C while numpy, zmq and OpenCV load then ends the script quietly

from pubsub_demo.cli import options
from pubsub_demo.client import diagnosis, receiving
from pubsub_demo.net import curve, transport
from pubsub_demo.process import logs
from pubsub_demo.wire import NUMBERS_MAX_BYTES

import zmq


def main() -> None:
    args = options.numbers_client(__doc__)
    logs.setup(args.log_file, "CLIENT")

    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        diagnosis.watch(subscriber, args.connect, silence=args.silence, curve=args.curve is not None) as status,
    ):
        curve.use_client_keys(subscriber, args.curve)  # with --curve only
        transport.connect(subscriber, args.connect, max_bytes=NUMBERS_MAX_BYTES)  # a bigger message is refused
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes; b"": to all
        # Each array decoded and checked, bad ones skipped; `status` says why nothing comes, if nothing does.
        for message in receiving.arrays(subscriber, status, pickle=args.pickle, count=args.messages):
            for value in message.array[0::2]:
                print(value)


if __name__ == "__main__":
    lifetime.run(main)
