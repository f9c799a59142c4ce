"""Random-number client 3: prints every value of each array.

Socket: SUB, connects to tcp://127.0.0.1:5687 (where server.py binds).
Run:    python random_numbers_transmission/client3.py [--connect ADDR] [--messages N]

The server binds and the clients connect: the server is the stable end, whose address they
all know. So a client may start before the server: ZeroMQ connects in the background once
the server is there, and again after it restarts. A client gets only what is published
after it has connected and subscribed; what came before is gone (the "slow joiner").
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo.cli import options
from pubsub_demo.client import diagnosis, receiving
from pubsub_demo.net import curve, limits, transport
from pubsub_demo.process import logs


def main() -> None:
    args = options.numbers_client(__doc__)
    logs.setup(args.log_file, "CLIENT")
    address, keys = args.connect, args.curve  # keys: the --curve folder, or None

    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        # Says what the connection does: waiting for the server, data flowing, silence...
        diagnosis.watch(subscriber, address, silence=args.silence, curve=bool(keys)) as status,
        transport.connecting(subscriber, address),  # a bad address: one line, no traceback
    ):
        curve.use_client_keys(subscriber, keys)  # with --curve only
        limits.for_numbers(subscriber)  # a larger message drops the connection, not the client
        subscriber.connect(address)  # in the background: the server may start later
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes; b"": all
        # Each array decoded and checked, bad ones skipped; `status` says why nothing comes.
        arrays = receiving.arrays(subscriber, status, pickle=args.pickle, count=args.messages)
        for message in arrays:
            for value in message.array:
                print(value)


if __name__ == "__main__":
    lifetime.run(main)
