"""Wall: shows every camera (camera.py) in one window called "Wall", a labelled tile each.

Socket: SUB, binds tcp://127.0.0.1:5690 (every camera connects there).
Run:    python video_transmission/wall.py [--share] [--only NAME,NAME] [--curve KEYDIR] ...

Many publishers, one subscriber: the subscriber binds, the stable end whose address all cameras
know, and any number of them connect. A camera's frames come under its name, the topic; the wall
subscribes to b"" (every camera) or, with --only, to some names, and each camera sends only what
the wall asked for. Each camera's connection holds 2 frames at most, and a thread keeps each
camera's newest: a slow wall skips frames, per camera, but never lags.
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo.cli import options
from pubsub_demo.net import curve, limits, reach, transport
from pubsub_demo.process import logs, pacing
from pubsub_demo.wall import display, monitoring, topics
from pubsub_demo.wall.receiver import Receiver


def main() -> None:
    args = options.wall(__doc__)
    logs.setup(args.log_file, "WALL")

    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        curve.allow_only_authorized(context, subscriber, args.curve) as auth,  # --curve only
        monitoring.watch_cameras(subscriber, auth, max_cameras=args.max_cameras) as roster,
        transport.binding(subscriber, args.bind),  # a busy port: one line, no traceback
        display.for_wall(args.shown, silence=args.silence) as wall,
    ):
        subscriber.rcvhwm = 2  # frames held per camera (1000 by default: seconds); before bind
        limits.for_wall(subscriber)  # a larger frame drops its camera's connection
        subscriber.bind(args.bind)  # the wall binds: the one address all cameras know
        print(reach.announce_wall(subscriber, args.curve, window=args.window))  # what cameras run
        for topic in topics.subscriptions(args.only):  # b"", or b"NAME\0" for each of --only
            subscriber.subscribe(topic)  # travels to every camera: each sends only what matches
        # A thread receives every frame off the socket as it comes and keeps each camera's newest.
        with Receiver(subscriber, roster, curve=args.curve is not None, only=args.only) as arrivals:
            pacer = pacing.Pacer(wall.interval)  # the window: redrawn 30 times a second at most
            while wall.show(arrivals.take(timeout=0.25), roster):  # each camera's newest frame
                pacer.wait()


if __name__ == "__main__":
    lifetime.run(main)
