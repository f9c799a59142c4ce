"""Camera: publishes its frames under its name to the wall (wall.py), which shows every camera.

Socket: PUB, connects to tcp://127.0.0.1:5690 (where wall.py binds).
Run:    python video_transmission/camera.py --connect tcp://TEACHER:5690 --name YOUR_NAME [--video 0]
        (no --video: a moving test pattern with the name on it; --help lists all the options)

Here the publishers connect and the subscriber binds: the wall is the one address all know, and
cameras come and go. A frame goes out as two parts, [topic, frame], the topic the camera's
name. The wall's subscriptions travel to every camera, and a PUB socket sends only what a
subscriber asked for: a camera that the wall leaves out (its --only) sends nothing at all.
"""

import contextlib
import itertools
import sys

try:
    from pubsub_demo.process import lifetime
except ModuleNotFoundError:  # not the project's environment: one line saying what to do, no traceback
    windows = r".venv\Scripts\activate, or: py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    elsewhere = ". .venv/bin/activate, or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    raise SystemExit(f"camera.py: run {windows if sys.platform == 'win32' else elsewhere}") from None
lifetime.begin()  # first: a Ctrl+C while numpy, zmq and OpenCV load then ends the script quietly

from pubsub_demo import wire
from pubsub_demo.cli import options
from pubsub_demo.net import curve, transport
from pubsub_demo.process import logs
from pubsub_demo.process.pacing import Pacer
from pubsub_demo.video import sources
from pubsub_demo.wall import topics
from pubsub_demo.wall.camera_link import CameraLink

import zmq


def main() -> None:
    args = options.camera(__doc__)
    logs.setup(args.log_file, "CAMERA")
    encode = wire.encoder(jpeg_quality=args.jpeg, one_part=True)  # --raw: raw frames (jpeg None)
    source = sources.open_for_wall(args.video, args.name, args.width, args.height, args.fps)
    topic = topics.topic(args.name)  # b"ann\0": the wall subscribes to it, or to b"" (every camera)

    with contextlib.closing(source), zmq.Context() as context, context.socket(zmq.PUB) as publisher:
        curve.use_client_keys(publisher, args.curve)  # with --curve only
        # Frames waiting for the wall, at most (1000 by default): a wall that is slow costs the
        # camera nothing. IMMEDIATE: no queue at all while no wall is connected, and one made
        # anew at each connection, so a wall started again is sent only what it subscribes to
        # (a PUB that connects keeps its queue across reconnections, the old subscriptions too).
        publisher.sndhwm = 2  # before connect, as IMMEDIATE: the queue is made then
        publisher.immediate = True
        with CameraLink(publisher, args.connect, name=args.name, curve=args.curve is not None) as uplink:
            transport.connect(publisher, args.connect)  # the camera connects: the wall is the stable end

            pacer = Pacer(1 / args.fps if args.fps else 0)
            for seq, frame in enumerate(itertools.islice(sources.frames(source, args.width, args.height), args.frames)):
                message = [topic, *encode(frame, seq)]
                transport.send(publisher, message)  # dropped at once if the wall has not subscribed to the topic
                uplink.sent(wire.message_size(message))  # for the stats line, once a second
                pacer.wait()


if __name__ == "__main__":
    lifetime.run(main)
