"""Random-number client 1: prints the values at even indices (0, 2, 4, ...) of each array.

Socket: SUB, connects to tcp://127.0.0.1:5687 (where server.py binds).
Run:    python random_numbers_transmission/client1.py [--connect ADDR] [--messages N]
"""

import zmq

from pubsub_demo import logs, options, sockets
from pubsub_demo.receiving import arrays


def main() -> None:
    args = options.numbers_client(__doc__)
    logs.setup(args.log_file, "CLIENT")

    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        # Clients connect; they may start before the server, and ZeroMQ connects when it comes.
        sockets.connect(subscriber, args.connect)
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes

        for message in arrays(subscriber, args.connect, pickle=args.pickle,
                              silence=args.silence, limit=args.messages):
            for value in message.array[0::2]:
                print(value)


if __name__ == "__main__":
    logs.run(main)
