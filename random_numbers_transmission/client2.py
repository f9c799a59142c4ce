"""Random-number client 2: prints the values at odd indices (1, 3, 5, ...) of each array.

Socket: SUB, connects to tcp://127.0.0.1:5687 (where server.py binds).
Run:    python random_numbers_transmission/client2.py [--connect ADDR] [--messages N]
"""

# The package first: a Ctrl+C while numpy, zmq and OpenCV load then ends quietly (see its __init__.py).
from pubsub_demo import logs, options
from pubsub_demo.receiving import arrays


def main() -> None:
    args = options.numbers_client(__doc__)
    # arrays() connects a SUB socket to the server, subscribes to everything and yields each
    # array that arrives: see subscribe() in pubsub_demo/receiving.py, where every call is.
    for message in arrays(args):
        for value in message.array[1::2]:
            print(value)


if __name__ == "__main__":
    logs.run(main)
