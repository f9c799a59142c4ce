"""Video server: plays a video in a loop in a window called "Server" and publishes every frame.

Socket: PUB, binds tcp://127.0.0.1:5688 (every client connects there).
Run:    python video_transmission/server.py [--video FILE | --video 0] [--jpeg 80] ...
        (no --video: a built-in test pattern; --help lists all the options)

Frames go out at the video's frame rate, on a steady clock. PUB queues up to 1000 messages for
each client (its high-water mark), then drops the new ones: for video, seconds of old frames.
Here CONFLATE keeps one frame for each client, the newest: a slow client gets fewer, never old ones.
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo import wire
from pubsub_demo.cli import options
from pubsub_demo.net import curve, limits, reach, transport
from pubsub_demo.process import logs
from pubsub_demo.server import monitoring
from pubsub_demo.video import display, sources


def main() -> None:
    args = options.video_server(__doc__)
    logs.setup(args.log_file, "SERVER")
    encode = wire.encoder(pickle=args.pickle, jpeg_quality=args.jpeg, one_part=True)
    frames = sources.playback(args.video, args.width, args.height, args.fps, args.frames)
    with zmq.Context() as context, context.socket(zmq.PUB) as publisher:
        publisher.conflate = True  # a client's queue: the newest frame only; before the rest
        with (
            curve.allow_only_authorized(context, publisher, args.curve) as auth,  # --curve only
            monitoring.watch_subscribers(publisher, auth) as attendance,  # who joins, how many
            transport.binding(publisher, args.bind),  # a busy port: one line, no traceback
            display.for_server(args.window, args.window_position, args.print_frames) as window,
            frames,
        ):
            limits.for_publisher(publisher)  # it takes in subscriptions only: small, few at a time
            publisher.bind(args.bind)  # the server binds: the stable end, whose address all know
            print(reach.announce_video(publisher, args.curve, frames.fps, args.jpeg, args.window))
            for seq, frame in frames:  # at the video's frame rate, on a steady clock
                message = encode(frame, seq)  # one part: CONFLATE keeps a message's last part only
                publisher.send_multipart(message, copy=False)  # header and pixels, not copied
                shown = wire.Message(frame, seq, size=wire.message_size(message))
                if not window.show(shown, attendance):
                    break  # q, Esc or the window closed


if __name__ == "__main__":
    lifetime.run(main)
