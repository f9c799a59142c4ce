"""Video server: plays a video in a loop in a window called "Server" and publishes every frame.

Socket: PUB, binds tcp://127.0.0.1:5688 (every client connects there).
Run:    python video_transmission/server.py [--video FILE | --video 0] [--jpeg 80] ...
        (no --video: a built-in test pattern; --help lists all the options)

Frames go out at the video's frame rate, on a steady clock. PUB queues up to 1000 messages for
each client (its high-water mark), then drops the new ones: for video, seconds of old frames.
Here CONFLATE keeps one frame for each client, the newest: a slow client gets fewer, never old ones.
"""

import contextlib
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
from pubsub_demo.video import sources
from pubsub_demo.video.display import Display

import zmq


def main() -> None:
    args = options.video_server(__doc__)
    logs.setup(args.log_file, "SERVER")
    encode = wire.encoder(pickle=args.pickle, jpeg_quality=args.jpeg, one_part=True)
    source = sources.open_source(args.video, args.width, args.height)
    fps = source.fps if args.fps is None else args.fps
    display = Display("Server", window=args.window, position=args.window_position, describe=args.print_frames)

    with zmq.Context() as context, context.socket(zmq.PUB) as publisher, display, contextlib.closing(source):
        # Before bind (a client's queue is made as it connects): a new frame replaces one still waiting
        # (a high-water mark would drop the new one). A frame is one part: CONFLATE keeps only the last.
        publisher.conflate = True
        with (
            curve.allow_only_authorized(context, publisher, args.curve) as doorman,  # with --curve only
            monitoring.watch_subscribers(publisher, doorman) as audience,  # who joins and leaves, how many
            transport.bind(publisher, args.bind),  # the server binds: the stable end, whose address all know
        ):
            client = "video_transmission/client1.py"  # in the command students run, with --share
            print(reach.announce(publisher, client, args.curve, fps=fps, jpeg=args.jpeg, window=args.window))
            pacer = Pacer(1 / fps if fps else 0)
            for seq, frame in enumerate(itertools.islice(sources.frames(source, args.width, args.height), args.frames)):
                message = encode(frame, seq)
                transport.send(publisher, message)  # one message: header and pixels, not copied
                if not display.show(wire.Message(frame, seq, size=wire.message_size(message)), audience):
                    break  # q, Esc or the window closed
                pacer.wait()


if __name__ == "__main__":
    lifetime.run(main)
