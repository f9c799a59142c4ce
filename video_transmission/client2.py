"""Video client 2: shows the server's frames in a window called "Client 2".

Socket: SUB, connects to tcp://127.0.0.1:5688 (where server.py binds).
Run:    python video_transmission/client2.py [--connect ADDR] [--stats] [--no-window] ...

The client connects a SUB socket and subscribes to everything, as every client here does
(subscribe() in pubsub_demo/receiving.py spells it out). A background thread takes each frame
off the socket as soon as it arrives and keeps only the newest, so a slow client skips frames
instead of falling behind: never "slow motion" (show_newest() in pubsub_demo/display.py).
"""

# The package first: a Ctrl+C while numpy, zmq and OpenCV load then ends quietly (see its __init__.py).
from pubsub_demo import logs, options
from pubsub_demo.display import show_newest


def main() -> None:
    args = options.video_client(__doc__)
    show_newest(args, "Client 2", slot=2)  # slot 2: the window stands right of Client 1's


if __name__ == "__main__":
    logs.run(main)
