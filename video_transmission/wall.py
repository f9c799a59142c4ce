"""Wall: shows every camera (camera.py) in one window called "Wall", a labelled tile each.

Socket: SUB, binds tcp://127.0.0.1:5690 (every camera connects there).
Run:    python video_transmission/wall.py [--share] [--only NAME,NAME] [--curve KEYDIR] ...

Many publishers, one subscriber: the subscriber binds, the stable end whose address all cameras know, and any number
of them connect. A camera's frames come under its name, the topic; the wall subscribes to b"" (every camera) or,
with --only, to some names, and each camera sends only what the wall asked for. Each camera's connection holds 2
frames at most, and a thread keeps each camera's newest: a slow wall skips frames, per camera, but never lags.
"""

import sys

try:
    from pubsub_demo.process import lifetime
except ModuleNotFoundError:  # not the project's environment: one line saying what to do, no traceback
    windows = r".venv\Scripts\activate, or: py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    elsewhere = ". .venv/bin/activate, or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    raise SystemExit(f"wall.py: run {windows if sys.platform == 'win32' else elsewhere}") from None
lifetime.begin()  # first: a Ctrl+C while numpy, zmq and OpenCV load then ends the script quietly

from pubsub_demo.cli import options
from pubsub_demo.net import curve, reach, transport
from pubsub_demo.process import logs
from pubsub_demo.process.pacing import Pacer
from pubsub_demo.wall import monitoring, topics
from pubsub_demo.wall.display import WallDisplay
from pubsub_demo.wall.receiver import Receiver
from pubsub_demo.wire import WALL_MAX_BYTES

import zmq


def main() -> None:
    args = options.wall(__doc__)
    logs.setup(args.log_file, "WALL")
    wall = WallDisplay(
        window=args.window,
        silence=args.silence,
        position=args.window_position,
        describe=args.print_frames,
        frames=args.frames,
    )

    with zmq.Context() as context, context.socket(zmq.SUB) as subscriber, wall:
        subscriber.rcvhwm = 2  # frames held per camera (1000 by default: seconds of old video); before bind
        with (
            curve.allow_only_authorized(context, subscriber, args.curve) as doorman,  # with --curve only
            monitoring.watch_cameras(subscriber, doorman, max_cameras=args.max_cameras) as roster,
            transport.bind(subscriber, args.bind, max_bytes=WALL_MAX_BYTES),  # a larger frame drops its camera
        ):
            print(reach.announce_wall(subscriber, args.curve, window=args.window))  # and what cameras run
            for topic in topics.subscriptions(args.only):  # b"", or b"NAME\0" for each of --only
                subscriber.subscribe(topic)  # travels to every camera: each sends only what matches
            # A thread takes every frame off the socket as it comes and keeps each camera's newest.
            with Receiver(subscriber, roster, curve=args.curve is not None, only=args.only) as arrivals:
                pacer = Pacer(wall.interval)  # the window: redrawn 30 times a second at most
                while wall.show(arrivals.take(timeout=0.25), roster):  # each camera's newest frame
                    pacer.wait()


if __name__ == "__main__":
    lifetime.run(main)
