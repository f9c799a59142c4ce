"""The usual way to serve a video stream to browsers, for benchmarks/web_viewers.py to measure
beside web.py: a thread per viewer writing every frame, as the common Flask and WebGear MJPEG
examples do (the standard library's ThreadingHTTPServer stands for Flask's development server).

Its ZeroMQ side is web.py's (the same receive loop and decoding, a JPEG frame passed on as it
came, encoded once); only the HTTP side differs: each viewer's thread waits for the next frame
and writes it with a blocking write, into the kernel's send buffer as it grows by default.

Run: python benchmarks/web_usual.py --connect tcp://127.0.0.1:5688 --http 127.0.0.1:0
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import zmq

from pubsub_demo.cli import options
from pubsub_demo.client import diagnosis, receiving
from pubsub_demo.net import limits
from pubsub_demo.process import lifetime
from pubsub_demo.web import content


class Latest:
    """The newest frame's part of the stream, and a condition to wait for the next."""

    def __init__(self) -> None:
        self.part = b""
        self.number = 0
        self.changed = threading.Condition()

    def put(self, part: bytes) -> None:
        with self.changed:
            self.part, self.number = part, self.number + 1
            self.changed.notify_all()

    def next_after(self, number: int) -> tuple[int, bytes]:
        with self.changed:
            self.changed.wait_for(lambda: self.number != number)
            return self.number, self.part


NEWEST = Latest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        number = 0
        try:
            while True:  # every frame, as it comes: the thread blocks while the viewer is slow
                number, part = NEWEST.next_after(number)
                self.wfile.write(part)
        except OSError:
            return

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    args = options.web(__doc__)
    host, port = args.http
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"Serving http://{host}:{server.server_address[1]}/ to browsers, from {args.connect}", flush=True)
    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        diagnosis.watch(subscriber, args.connect, silence=args.silence, curve=False) as status,
    ):
        subscriber.rcvhwm = 2
        limits.for_video(subscriber)
        subscriber.connect(args.connect)
        subscriber.subscribe(b"")
        for message in receiving.receive(subscriber, status, decode=content.decoder()):
            if isinstance(message, content.Jpeg):
                jpeg = message.data
                NEWEST.put(content.frame_head(message, len(jpeg)) + b"\r\n" + jpeg + b"\r\n")


if __name__ == "__main__":
    lifetime.run(main)
