"""Video client 1: shows the server's frames in a window called "Client 1".

Socket: SUB, connects to tcp://127.0.0.1:5688 (where server.py binds).
Run:    python video_transmission/client1.py [--connect ADDR] [--stats] [--no-window] ...

A background thread takes every frame off the socket as soon as it arrives and keeps only the
newest, so a slow client skips frames instead of falling behind: never "slow motion".
"""

import zmq

from pubsub_demo import logs, options, sockets
from pubsub_demo.display import Display
from pubsub_demo.receiving import play


def main() -> None:
    args = options.video_client(__doc__)
    logs.setup(args.log_file, "CLIENT")
    display = Display("Client 1", slot=1, window=not args.no_window, position=args.window_position,
                      overlay=args.stats, print_frames=args.print_frames)

    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber:
        sockets.connect(subscriber, args.connect, queue=2)  # hold 2 frames at most, not 1000
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes
        try:
            play(subscriber, args.connect, display, pickle=args.pickle, silence=args.silence,
                 frames=args.frames, delay=args.delay)
        finally:
            display.close()


if __name__ == "__main__":
    logs.run(main)
