"""Web gateway: shows a server's messages in any browser, a phone's too, with nothing to install.

Sockets: SUB, connects to a server (default tcp://127.0.0.1:5688, the video server; the numbers
         server's tcp://127.0.0.1:5687 works too). For the browsers, HTTP (not ZeroMQ) on
         http://127.0.0.1:8080/ (--share: on every address of this computer, for the students).
Run:     python web.py [--connect ADDR] [--share] [--http HOST:PORT]   (--help lists all options)

A gateway is one more pattern: a SUB socket on one side, another protocol on the other. Browsers
do not speak ZeroMQ, so the gateway subscribes once, as any client does, and serves what comes
over HTTP: frames as MJPEG (a JPEG image each, made once for all the browsers), arrays as
Server-Sent Events. As the video client keeps only the newest frame, each browser gets the newest
once it has taken the one before: a slow phone skips frames and never falls behind.
"""

from bootstrap import lifetime  # first: says what to do outside the environment; Ctrl+C: quiet

import zmq

from pubsub_demo.cli import options
from pubsub_demo.client import diagnosis, receiving
from pubsub_demo.net import curve, limits, transport
from pubsub_demo.process import logs
from pubsub_demo.web import content, gateway, sharing


def main() -> None:
    args = options.web(__doc__)
    logs.setup(args.log_file, "GATEWAY")
    (host, port), address, keys = args.http, args.connect, args.curve  # keys: --curve, or None
    with (
        zmq.Context() as context,
        context.socket(zmq.SUB) as subscriber,
        diagnosis.watch(subscriber, address, silence=args.silence, curve=bool(keys)) as status,
        transport.connecting(subscriber, address),  # a bad address: one line, no traceback
        # The browsers' side: an HTTP server in a thread of its own, which never touches the socket.
        gateway.serve(host, port, status, args.max_viewers, share=args.share) as (browsers, web),
    ):
        print(sharing.announce(web, address))
        curve.use_client_keys(subscriber, keys)  # with --curve only
        subscriber.rcvhwm = 2  # messages waiting, at most (browsers get the newest); before connect
        limits.for_video(subscriber)  # a larger message drops the connection, not the gateway
        subscriber.connect(address)  # in the background: the server may start later
        subscriber.subscribe(b"")  # a SUB socket receives nothing until it subscribes; b"": all
        decode = content.decoder(pickle=args.pickle)  # frames as JPEG, made once for all
        for message in receiving.receive(subscriber, status, decode=decode):  # None: a quiet moment
            browsers.show(message, status.news)  # the newest, for each browser as it is ready


if __name__ == "__main__":
    lifetime.run(main)
