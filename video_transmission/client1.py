"""Video client 1: shows the server's frames in a window called "Client 1".

Socket: SUB, connects to tcp://127.0.0.1:5688 (where server.py binds).
Run:    python video_transmission/client1.py [--connect ADDR] [--stats] [--no-window] ...

Video must never play in slow motion: the socket holds 2 frames at most (RCVHWM; 1000 by
default, seconds of old video), and a background thread takes each frame off it as soon as it
arrives, keeping only the newest. A client too slow for the frame rate (try --delay 0.2) skips
frames instead of lagging. The server binds and the clients connect: either may start first.
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo.cli import options
from pubsub_demo.client import diagnosis, receiving
from pubsub_demo.client.latest import Latest
from pubsub_demo.net import curve, limits, transport
from pubsub_demo.process import logs
from pubsub_demo.video import display


def main() -> None:
    args = options.video_client(__doc__)
    logs.setup(args.log_file, "CLIENT")
    address, keys = args.connect, args.curve  # keys: the --curve folder, or None

    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        diagnosis.watch(subscriber, address, silence=args.silence, curve=bool(keys)) as status,
        transport.connecting(subscriber, address),  # a bad address: one line, no traceback
        display.for_client(1, address, args.shown, silence=args.silence) as window,  # "Client 1"
    ):
        curve.use_client_keys(subscriber, keys)  # with --curve only
        subscriber.rcvhwm = 2  # frames waiting, at most (more would only be older); before connect
        limits.for_video(subscriber)  # a larger message drops the connection, not the client
        subscriber.connect(address)  # in the background: the server may start later
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes; b"": all
        # A thread takes each frame off the socket as soon as it arrives and keeps only the newest.
        # (A ZeroMQ socket is not thread-safe: from here on, only that thread uses it.)
        with Latest(receiving.frames(subscriber, status, pickle=args.pickle)) as newest:
            for frame in newest:  # the newest frame, or None if none came for a moment
                if not window.show(frame, status.news):  # None: what it waits for; --delay
                    break  # q, Esc, the window closed, or --frames shown


if __name__ == "__main__":
    lifetime.run(main)
