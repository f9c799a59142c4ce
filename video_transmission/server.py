"""Video server: plays a video in a loop in a window called "Server" and publishes every frame.

Socket: PUB, binds tcp://127.0.0.1:5688 (every client connects there).
Run:    python video_transmission/server.py [--video FILE | --video 0] [--jpeg 80] ...
        (no --video: a built-in test pattern; --help lists all the options)

Frames go out at the video's frame rate on a steady clock. Each is sent without being copied,
and the PUB socket holds only a few for each client: a client that cannot keep up gets the
newest frames instead of an ever longer queue of old ones. A connection that sends more than
a subscription is cut off, so that no one can make the server hoard subscriptions.
"""

import functools
import itertools
import math

# The package first: a Ctrl+C while numpy, zmq and OpenCV load then ends quietly (see its __init__.py).
from pubsub_demo import logs, network, options, security, sockets, video, wire
from pubsub_demo.display import Display
from pubsub_demo.pacing import Pacer
from pubsub_demo.wire import Message
import zmq

FRAME_QUEUE = 2  # frames held for each client; more would only be older


def main() -> None:
    args = options.video_server(__doc__)
    logs.setup(args.log_file, "SERVER")
    encode = wire.encode_pickle if args.pickle else functools.partial(wire.encode, jpeg_quality=args.jpeg)
    source = video.open_source(args.video, args.width, args.height)
    fps = source.fps if args.fps is None else args.fps
    display = Display("Server", slot=0, window=not args.no_window, position=args.window_position,
                      print_frames=args.print_frames)

    with (zmq.Context() as context, context.socket(zmq.PUB) as publisher,
          security.allow_only_authorized(context, publisher, args.curve),  # with --curve only
          sockets.bind(publisher, args.bind, queue=FRAME_QUEUE) as audience):  # who is connected
        print(network.announce(publisher, "video_transmission/client1.py", args.curve,
                               details=f" at {fps:g} frames/s", stops="q, Esc or Ctrl+C stops"))

        pacer = Pacer(1 / fps if fps else 0)
        try:
            for seq, frame in enumerate(itertools.islice(video.frames(source, args.width, args.height), args.frames)):
                message = encode(frame, seq)
                sockets.send(publisher, message)  # one message: header and pixels, not copied
                if not display.show(Message(frame, seq, math.nan, wire.message_size(message)), audience.count):
                    break
                pacer.wait()
        finally:
            display.close()
            source.close()


if __name__ == "__main__":
    logs.run(main)
