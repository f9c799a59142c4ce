"""Benchmark: messages per second for a 6-float array, our wire format against send_pyobj.

Publisher and subscriber run in separate processes over tcp loopback (see harness.py).
Run: python benchmarks/numbers_throughput.py [--rounds 3] [--seconds 2]
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import zmq

from pubsub_demo import wire
from pubsub_demo.net.transport import receive_parts, send

from harness import Format, compare, median_ratio


def send_pickle(publisher: zmq.Socket, array: np.ndarray, seq: int) -> None:
    publisher.send_pyobj(array)


def receive_pickle(subscriber: zmq.Socket) -> np.ndarray:
    return subscriber.recv_pyobj()


def send_plain(publisher: zmq.Socket, array: np.ndarray, seq: int) -> None:
    publisher.send_multipart([b"header", array.tobytes()])


def receive_plain(subscriber: zmq.Socket) -> list[bytes]:
    return subscriber.recv_multipart()


def send_ours(publisher: zmq.Socket, array: np.ndarray, seq: int) -> None:
    send(publisher, wire.encode(array, seq))


def receive_ours(subscriber: zmq.Socket) -> np.ndarray:
    return wire.decode(receive_parts(subscriber)).array


def make_array() -> np.ndarray:
    return np.random.default_rng(0).uniform(0, 10000, 6)


FORMATS = [
    Format("send_pyobj (original)", send_pickle, receive_pickle),
    Format("plain 2-part bytes", send_plain, receive_plain),
    Format("our wire format", send_ours, receive_ours),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds per format; the median is reported (default 3)")
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one measurement (default 2)")
    args = parser.parse_args()

    rates = compare(FORMATS, make_array, rounds=args.rounds, seconds=args.seconds)
    pickle_rates, plain_rates, ours = rates.values()
    for name, values in rates.items():
        print(f"{name:24} {statistics.median(values) / 1000:8.1f} k msg/s (median of {len(values)})")
    print(
        f"our format / send_pyobj:  {median_ratio(ours, pickle_rates):.2f}x  "
        "(target >= 2x; median of the rounds' ratios)"
    )
    print(f"our format / plain bytes: {median_ratio(ours, plain_rates):.2f}x")


if __name__ == "__main__":
    main()
