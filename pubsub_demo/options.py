"""Command-line options of the scripts: every option has a default and help text.

Options come in groups that the scripts (and demo.py) compose: `common` (the log file), `server`,
`client`, `video_source` and `window`; then each script's own parse function adds what only
it has. Bad values are usage errors: one line on stderr (`server.py: error: …`) and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import NoReturn

from . import endpoints
from .logs import DEFAULT_LOG_FILE
from .option_values import (MAX_DELAY, MAX_INTERVAL, MAX_SILENCE, at_most, bind_address, connect_address, finite,
                            frames_per_second, jpeg_quality, positive_float, positive_int, seed, window_position)
from .wire import MAX_SIDE, NUMBERS_MAX_BYTES, VIDEO_MAX_BYTES

NUMBERS_ADDRESS = "tcp://127.0.0.1:5687"
VIDEO_ADDRESS = "tcp://127.0.0.1:5688"
RELAY_ADDRESS = "tcp://127.0.0.1:5689"  # next to the servers' ports: a relay on the server's own computer
MAX_COUNT = NUMBERS_MAX_BYTES // 8  # float64 values that a numbers client accepts in one array


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a single line."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


# -- the groups ----------------------------------------------------------------------------------

def common(doc: str | None, prog: str | None = None) -> Parser:
    """A parser with what every script has: --help (from `doc`) and --log-file."""
    parser = Parser(prog=prog or Path(sys.argv[0]).name, description=doc,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log-file", type=Path, default=DEFAULT_LOG_FILE, metavar="PATH",
                        help="where warnings and errors are logged (default errors_log.log at the project's top)")
    return parser


def server(parser: Parser, address: str) -> None:
    """A server's options: where to bind (--bind, --share), --pickle, --curve."""
    port = address.rsplit(":", 1)[1]
    parser.add_argument("--bind", type=bind_address, default=address, metavar="ADDR",
                        help=f"address to bind the PUB socket to (default {address}; tcp://*:{port} shares it on the network)")
    parser.add_argument("--share", action="store_true",
                        help=f"let other computers connect: bind every network address of this one, on the port "
                        f"of --bind (tcp://*:{port} by default), and print the command students run")
    parser.add_argument("--pickle", action="store_true",
                        help="send with send_pyobj, the original scripts' pickle format, for their clients")
    parser.add_argument("--curve", type=Path, metavar="KEYDIR",
                        help="encrypt, and let in only the clients whose keys are in KEYDIR/authorized "
                        "(make keys with: python -m pubsub_demo.keys generate KEYDIR)")


def client(parser: Parser, address: str) -> None:
    """A client's options: where to connect, --pickle, --curve, --silence."""
    parser.add_argument("--connect", type=connect_address, default=address, metavar="ADDR",
                        help=f"address of the server to connect to (default {address})")
    parser.add_argument("--pickle", action="store_true",
                        help="accept the original scripts' pickle format (recv_pyobj). Only for a "
                        "server you trust: unpickling runs whatever code the sender chooses")
    parser.add_argument("--curve", type=Path, metavar="KEYDIR",
                        help="encrypt, with this client's keys, and talk only to the server whose key is in KEYDIR")
    parser.add_argument("--silence", type=at_most(MAX_SILENCE, positive_float), default=3.0, metavar="SECONDS",
                        help="say so when the server has been silent this long (default 3)")


def video_source(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """Where a video server's frames come from, and how they travel."""
    parser.add_argument("--video", metavar="SOURCE",
                        help="a video file, a picture, or a camera number such as 0 (default: a built-in test pattern)")
    parser.add_argument("--fps", type=frames_per_second, metavar="N",
                        help="frames per second (default: the video's own, 30 for the test pattern; 0 = as fast as possible)")
    parser.add_argument("--width", type=at_most(MAX_SIDE, positive_int),
                        help="resize frames to this width (default: the video's own)")
    parser.add_argument("--height", type=at_most(MAX_SIDE, positive_int),
                        help="resize frames to this height (default: the video's own)")
    parser.add_argument("--jpeg", type=jpeg_quality, metavar="QUALITY",
                        help="send JPEG images of this quality (1-100) instead of raw frames: for real networks")


def window(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, position: bool = True) -> None:
    """How a video script shows its frames: a window (or, --no-window, stats lines), and for how long."""
    parser.add_argument("--frames", type=positive_int, metavar="N", help="stop after N frames (default: run until stopped)")
    parser.add_argument("--no-window", action="store_true",
                        help="no window (over SSH, in CI): print a stats line once a second instead")
    if position:
        parser.add_argument("--window-position", type=window_position, metavar="X,Y",
                            help="where to put the window (default: side by side with the others)")
    parser.add_argument("--print-frames", action="store_true",
                        help="print a line per frame: number, size, checksum, latency (to compare runs)")


def shared_bind(parser: Parser, args: argparse.Namespace, address: str | None = None) -> None:
    """With --share, bind every address of this computer: tcp://*:PORT, on the port of `address`
    (by default --bind's)."""
    if args.share:
        shared = endpoints.shared(address or args.bind)
        if shared is None:
            parser.error(f"--share needs a tcp:// address, not {address or args.bind}")
        args.bind = shared


def check_video_source(parser: Parser, args: argparse.Namespace) -> None:
    """What no video server can send: pickles of JPEG, frames larger than a client accepts."""
    if getattr(args, "pickle", False) and args.jpeg:
        parser.error("--pickle sends raw frames as the original did; it cannot be combined with --jpeg")
    if args.width and args.height and args.width * args.height * 3 > VIDEO_MAX_BYTES:
        parser.error(f"--width {args.width} --height {args.height} makes frames larger than a client accepts: "
                     f"{VIDEO_MAX_BYTES // 2**20} MiB at most")


# -- each script's options -----------------------------------------------------------------------

def numbers_server(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of random_numbers_transmission/server.py."""
    parser = common(doc)
    server(parser, NUMBERS_ADDRESS)
    parser.add_argument("--lower", type=finite, default=0.0, help="smallest value (default 0)")
    parser.add_argument("--upper", type=finite, default=10000.0, help="largest value (default 10000)")
    parser.add_argument("--count", type=positive_int, default=6,
                        help=f"values per array (default 6; at most {MAX_COUNT:,}, what a client accepts)")
    parser.add_argument("--interval", type=at_most(MAX_INTERVAL), default=1.0, metavar="SECONDS",
                        help=f"time between arrays (default 1; 0 = as fast as possible; at most {MAX_INTERVAL:g})")
    parser.add_argument("--messages", type=positive_int, metavar="N", help="stop after N arrays (default: run until stopped)")
    parser.add_argument("--seed", type=seed, help="seed for the random numbers (0 or more), to repeat a run exactly")
    args = parser.parse_args(argv)
    shared_bind(parser, args)
    if args.lower >= args.upper:
        parser.error(f"--lower ({args.lower:g}) must be below --upper ({args.upper:g})")
    if not math.isfinite(args.upper - args.lower):
        parser.error(f"--upper minus --lower ({args.upper:g} - {args.lower:g}) is too large a range")
    if args.count > MAX_COUNT:
        parser.error(f"--count {args.count} is more than a client accepts: {MAX_COUNT:,} values "
                     f"({NUMBERS_MAX_BYTES // 2**20} MiB) at most")
    return args


def numbers_client(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of random_numbers_transmission/clientN.py."""
    parser = common(doc)
    client(parser, NUMBERS_ADDRESS)
    parser.add_argument("--messages", type=positive_int, metavar="N", help="stop after N arrays (default: run until stopped)")
    return parser.parse_args(argv)


def video_server(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/server.py."""
    parser = common(doc)
    server(parser, VIDEO_ADDRESS)
    video_source(parser)
    window(parser)
    args = parser.parse_args(argv)
    shared_bind(parser, args)
    check_video_source(parser, args)
    return args


def video_client(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/clientN.py."""
    parser = common(doc)
    client(parser, VIDEO_ADDRESS)
    window(parser)
    parser.add_argument("--stats", action="store_true", help="draw the stats line on the window")
    parser.add_argument("--delay", type=at_most(MAX_DELAY), default=0.0, metavar="SECONDS",
                        help="pretend each frame takes this long to handle, to see that a slow client never lags (default 0)")
    return parser.parse_args(argv)


def relay(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of relay.py: a client's --connect, a server's --bind and --share, and
    a --curve for each side."""
    parser = common(doc)
    parser.add_argument("--connect", type=connect_address, default=VIDEO_ADDRESS, metavar="ADDR",
                        help=f"address of the server (or of another relay) to connect to (default {VIDEO_ADDRESS})")
    parser.add_argument("--bind", type=bind_address, metavar="ADDR",
                        help=f"address for the clients to connect to (default {RELAY_ADDRESS}, or with --share "
                        "every address of this computer on the port of --connect)")
    parser.add_argument("--share", action="store_true",
                        help="let other computers connect: bind every network address of this one, on the port of "
                        "--bind if given, else on the server's port, and print the command students run")
    parser.add_argument("--curve", type=Path, metavar="KEYDIR",
                        help="towards the clients, as a server's --curve: encrypt, and let in only the clients whose "
                        "keys are in KEYDIR/authorized")
    parser.add_argument("--upstream-curve", type=Path, metavar="KEYDIR",
                        help="towards the server, as a client's --curve: encrypt, with the relay's own client keys")
    args = parser.parse_args(argv)
    if args.share:
        shared_bind(parser, args, args.bind or args.connect)
    elif args.bind is None:
        args.bind = RELAY_ADDRESS
    return args
