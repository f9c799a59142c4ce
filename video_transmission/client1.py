"""Video client 1: shows the server's frames in a window called "Client 1".

Socket: SUB, connects to tcp://127.0.0.1:5688 (where server.py binds).
Run:    python video_transmission/client1.py [--connect ADDR] [--stats] [--no-window] ...

Video must never play in slow motion: the socket holds 2 frames at most (RCVHWM; 1000 by
default, seconds of old video), and a background thread takes each frame off it as soon as it
arrives, keeping only the newest. A client too slow for the frame rate (try --delay 0.2) skips
frames instead of lagging. The server binds and the clients connect: either may start first.
"""

import sys
import time

try:
    from pubsub_demo.process import lifetime
except ModuleNotFoundError:  # not the project's environment: one line saying what to do, no traceback
    windows = r".venv\Scripts\activate, or: py -m venv .venv, then .venv\Scripts\pip install -r requirements.txt"
    elsewhere = ". .venv/bin/activate, or: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
    raise SystemExit(f"client1.py: run {windows if sys.platform == 'win32' else elsewhere}") from None
lifetime.begin()  # first: a Ctrl+C while numpy, zmq and OpenCV load then ends the script quietly

from pubsub_demo.cli import options
from pubsub_demo.client import diagnosis, receiving
from pubsub_demo.client.latest import Latest
from pubsub_demo.net import curve, transport
from pubsub_demo.process import logs
from pubsub_demo.video.display import ClientWindow, Display
from pubsub_demo.wire import VIDEO_MAX_BYTES

import zmq


def main() -> None:
    args = options.video_client(__doc__)
    logs.setup(args.log_file, "CLIENT")
    display = Display(  # slot 1: right of the server's window
        "Client 1", 1, window=args.window, position=args.window_position, overlay=args.stats, describe=args.print_frames
    )
    window = ClientWindow(display, args.connect, silence=args.silence, frames=args.frames)

    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        diagnosis.watch(subscriber, args.connect, silence=args.silence, curve=args.curve is not None) as status,
        window,
    ):
        curve.use_client_keys(subscriber, args.curve)  # with --curve only
        subscriber.rcvhwm = 2  # frames waiting, at most (more would only be older); before connect
        transport.connect(subscriber, args.connect, max_bytes=VIDEO_MAX_BYTES)  # a bigger message is refused
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes; b"": to all
        # A thread takes each frame off the socket as soon as it arrives and keeps only the newest.
        # (A ZeroMQ socket is not thread-safe: from here on, only that thread uses it.)
        with Latest(receiving.frames(subscriber, status, pickle=args.pickle)) as newest:
            for frame in newest:  # the newest frame, or None if none came for a moment
                if not window.show(frame, status.news):  # with None: what it waits for, if anything
                    break  # q, Esc, the window closed, or --frames shown
                if frame is not None:
                    time.sleep(args.delay)  # --delay: a slow client, which skips frames but never lags


if __name__ == "__main__":
    lifetime.run(main)
