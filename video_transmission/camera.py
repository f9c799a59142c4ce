"""Camera: publishes its frames under its name to the wall (wall.py), which shows every camera.

Socket: PUB, connects to tcp://127.0.0.1:5690 (where wall.py binds).
Run:    python video_transmission/camera.py --connect tcp://TEACHER:5690 --name YOUR_NAME
        [--video 0]  (no --video: a moving test pattern with the name on it; --help lists
        all the options)

Here the publishers connect and the subscriber binds: the wall is the one address all know, and
cameras come and go. A frame goes out as two parts, [topic, frame], the topic the camera's
name. The wall's subscriptions travel to every camera, and a PUB socket sends only what a
subscriber asked for: a camera that the wall leaves out (its --only) sends nothing at all.
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo import wire
from pubsub_demo.cli import options
from pubsub_demo.net import curve, limits, transport
from pubsub_demo.process import logs
from pubsub_demo.video import sources
from pubsub_demo.wall import camera_link, topics


def main() -> None:
    args = options.camera(__doc__)
    logs.setup(args.log_file, "CAMERA")
    encode = wire.encoder(jpeg_quality=args.jpeg, one_part=True)  # --raw: raw frames (jpeg None)
    frames = sources.camera(args.video, args.name, args.width, args.height, args.fps, args.frames)
    with (
        zmq.Context() as context,
        context.socket(zmq.PUB) as publisher,
        camera_link.CameraLink(publisher, args.connect, args.name, curve=bool(args.curve)) as link,
        transport.connecting(publisher, args.connect),  # a bad address: one line, no traceback
        frames,
    ):
        curve.use_client_keys(publisher, args.curve)  # with --curve only
        publisher.sndhwm = 2  # before connect: frames held for the wall, at most (not 1000)
        publisher.immediate = True  # no queue without a wall; a wall started again: a new one
        limits.for_camera(publisher)  # it takes in subscriptions only: small, few at a time
        publisher.connect(args.connect)  # the camera connects: the wall is the stable end
        for seq, frame in frames:
            message = [topics.topic(args.name), *encode(frame, seq)]  # b"ann\0", the frame
            publisher.send_multipart(message, copy=False)  # dropped if the wall did not subscribe
            link.sent(wire.message_size(message))  # for the stats line, once a second


if __name__ == "__main__":
    lifetime.run(main)
