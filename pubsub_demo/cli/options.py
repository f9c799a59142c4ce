"""Each script's command-line options: the groups it takes from groups.py, and its own.

Every option has a default and help text, so the bare command works. Bad values are usage
errors: one line on stderr (`server.py: error: …`) and exit code 2.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from pubsub_demo import relaying
from pubsub_demo.cli.groups import (
    check_video_source,
    client,
    common,
    connect,
    jpeg_when_shared,
    server,
    shared_bind,
    video_source,
    window,
)
from pubsub_demo.cli.value_types import (
    MAX_DELAY,
    MAX_INTERVAL,
    MAX_SILENCE,
    address_like,
    at_most,
    camera_name,
    camera_names,
    finite,
    http_address,
    positive_float,
    positive_int,
    seed,
)
from pubsub_demo.net import reach
from pubsub_demo.net.endpoints import NUMBERS_ADDRESS, VIDEO_ADDRESS
from pubsub_demo.video import Shown
from pubsub_demo.wall import topics
from pubsub_demo.wire import HEADER, NUMBERS_MAX_BYTES, WALL_MAX_BYTES

RELAY_ADDRESS = "tcp://127.0.0.1:5689"  # next to the servers' ports: a relay on the server's own computer
WALL_ADDRESS = "tcp://127.0.0.1:5690"  # where the wall binds and the cameras connect
WEB_ADDRESS = "127.0.0.1:8080"  # where web.py serves browsers: HTTP's usual other port
MAX_VIEWERS = 100
CAMERA_FPS, CAMERA_JPEG = 15.0, 80  # a camera's frames: for a network, and many cameras on it
MAX_CAMERAS = 64
MAX_COUNT = NUMBERS_MAX_BYTES // 8  # float64 values that a numbers client accepts in one array


def numbers_server(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of random_numbers_transmission/server.py."""
    parser = common(doc)
    server(parser, NUMBERS_ADDRESS)
    parser.add_argument("--lower", type=finite, default=0.0, help="smallest value (default 0)")
    parser.add_argument("--upper", type=finite, default=10000.0, help="largest value (default 10000)")
    parser.add_argument(
        "--count",
        type=positive_int,
        default=6,
        help=f"values per array (default 6; at most {MAX_COUNT:,}, what a client accepts)",
    )
    parser.add_argument(
        "--interval",
        type=at_most(MAX_INTERVAL),
        default=1.0,
        metavar="SECONDS",
        help=f"time between arrays (default 1; 0 = as fast as possible; at most {MAX_INTERVAL:g})",
    )
    parser.add_argument(
        "--messages", type=positive_int, metavar="N", help="stop after N arrays (default: run until stopped)"
    )
    parser.add_argument("--seed", type=seed, help="seed for the random numbers (0 or more), to repeat a run exactly")
    args = parser.parse_args(argv)
    args.bind = shared_bind(parser, args.share, args.bind)
    if args.lower >= args.upper:
        parser.error(f"--lower ({args.lower:g}) must be below --upper ({args.upper:g})")
    if not math.isfinite(args.upper - args.lower):
        parser.error(f"--upper minus --lower ({args.upper:g} - {args.lower:g}) is too large a range")
    if args.count > MAX_COUNT:
        parser.error(
            f"--count {args.count} is more than a client accepts: {MAX_COUNT:,} values "
            f"({NUMBERS_MAX_BYTES // 2**20} MiB) at most"
        )
    return args


def numbers_client(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of random_numbers_transmission/clientN.py."""
    parser = common(doc)
    client(parser, NUMBERS_ADDRESS)
    parser.add_argument(
        "--messages", type=positive_int, metavar="N", help="stop after N arrays (default: run until stopped)"
    )
    return parser.parse_args(argv)


def video_server(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/server.py."""
    parser = common(doc)
    server(parser, VIDEO_ADDRESS)
    video_source(parser)
    window(parser)
    args = parser.parse_args(argv)
    args.bind = shared_bind(parser, args.share, args.bind)
    check_video_source(parser, jpeg=args.jpeg, raw=args.raw, width=args.width, height=args.height, pickle=args.pickle)
    args.jpeg = jpeg_when_shared(share=args.share, jpeg=args.jpeg, raw=args.raw, pickle=args.pickle)
    return args


def video_client(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/clientN.py."""
    parser = common(doc)
    client(parser, VIDEO_ADDRESS)
    window(parser)
    parser.add_argument("--stats", action="store_true", help="draw the stats line on the window")
    parser.add_argument(
        "--delay",
        type=at_most(MAX_DELAY),
        default=0.0,
        metavar="SECONDS",
        help="pretend each frame takes this long to handle, to see that a slow client never lags (default 0)",
    )
    args = parser.parse_args(argv)
    args.shown = Shown(args.window, args.window_position, args.stats, args.print_frames, args.frames, args.delay)
    return args


def relay(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of relay.py: a client's --connect, a server's --bind and --share, and
    a --curve for each side; the help ends with why a relay (relaying.ABOUT)."""
    parser = common(f"{doc}\n{relaying.ABOUT}" if doc else doc)
    connect(parser, VIDEO_ADDRESS, to="the server (or of another relay)")
    parser.add_argument(
        "--bind",
        type=address_like(RELAY_ADDRESS),
        metavar="ADDR",
        help=f"address for the clients to connect to (default {RELAY_ADDRESS}, or with --share "
        "every address of this computer on the port of --connect)",
    )
    parser.add_argument(
        "--share",
        action="store_true",
        help="let other computers connect: bind every network address of this one, on the port of "
        "--bind if given, else on the server's port, and print the command students run",
    )
    parser.add_argument(
        "--curve",
        type=Path,
        metavar="KEYDIR",
        help="towards the clients, as a server's --curve: encrypt, and let in only the clients whose "
        "keys are in KEYDIR/authorized",
    )
    parser.add_argument(
        "--upstream-curve",
        type=Path,
        metavar="KEYDIR",
        help="towards the server, as a client's --curve: encrypt, with the relay's own client keys "
        "(a server's stream is passed on encrypted too: add --curve, or --plain-downstream)",
    )
    parser.add_argument(
        "--plain-downstream",
        action="store_true",
        help="with --upstream-curve and no --curve: pass the server's encrypted stream on in plain text, "
        "to anyone who connects",
    )
    args = parser.parse_args(argv)
    if args.upstream_curve and not args.curve and not args.plain_downstream:
        parser.error(
            "--upstream-curve without --curve would pass the server's encrypted stream on in plain text to "
            "anyone who connects: add --curve KEYDIR (the server's own folder, keys/server, lets the students' "
            "keys in), or --plain-downstream to mean it"
        )
    if args.plain_downstream and args.curve:
        parser.error("--plain-downstream and --curve contradict each other: choose one")
    if args.share:
        args.bind = shared_bind(parser, True, args.bind or args.connect)
    elif args.bind is None:
        args.bind = RELAY_ADDRESS
    return args


def camera(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/camera.py."""
    parser = common(doc)
    connect(parser, WALL_ADDRESS, to="the wall")
    parser.add_argument(
        "--name",
        type=camera_name,
        help="the camera's name on the wall (default: with --curve, the key folder's name; else this computer's)",
    )
    video_source(parser, fps=CAMERA_FPS, jpeg=CAMERA_JPEG)
    parser.add_argument(
        "--curve",
        type=Path,
        metavar="KEYDIR",
        help="encrypt, with this camera's keys (a client's key folder), and send only to the wall whose key "
        "is in KEYDIR",
    )
    parser.add_argument(
        "--frames", type=positive_int, metavar="N", help="stop after N frames (default: run until stopped)"
    )
    args = parser.parse_args(argv)
    if args.name == reach.NAME_PLACEHOLDER:  # the wall's printed command, pasted as it is
        parser.error(f"--name {args.name}: put your own name there (--name anna)")
    args.name = args.name or topics.default_name(args.curve)
    check_video_source(parser, jpeg=args.jpeg, raw=args.raw, width=args.width, height=args.height)
    args.jpeg = None if args.raw else args.jpeg or CAMERA_JPEG
    if args.width and args.height and HEADER.size + args.width * args.height * 3 > WALL_MAX_BYTES:
        parser.error(
            f"--width {args.width} --height {args.height} makes frames larger than the wall takes: "
            f"{WALL_MAX_BYTES // 2**20} MiB at most"
        )
    return args


def wall(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/wall.py."""
    parser = common(doc)
    server(parser, WALL_ADDRESS, socket="SUB", peers="cameras", pickle=False)
    window(parser)
    parser.add_argument(
        "--only",
        type=camera_names,
        metavar="NAME[,NAME...]",
        help="subscribe to these cameras only (their names, or with --curve their keys' names); "
        "the others send nothing",
    )
    parser.add_argument(
        "--silence",
        type=at_most(MAX_SILENCE, positive_float),
        default=3.0,
        metavar="SECONDS",
        help="dim a camera's tile when it has been silent this long (default 3)",
    )
    parser.add_argument(
        "--max-cameras",
        type=positive_int,
        default=MAX_CAMERAS,
        metavar="N",
        help=f"connections the wall takes at most; more are cut off (default {MAX_CAMERAS})",
    )
    args = parser.parse_args(argv)
    args.shown = Shown(args.window, args.window_position, False, args.print_frames, args.frames, 0.0)
    args.bind = shared_bind(parser, args.share, args.bind)
    return args


def web(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of web.py: a client's (towards the server), and where browsers come."""
    parser = common(doc)
    client(parser, VIDEO_ADDRESS)
    parser.add_argument(
        "--http",
        type=http_address,
        default=http_address(WEB_ADDRESS),
        metavar="HOST:PORT",
        help=f"where browsers open the page (default {WEB_ADDRESS}: this computer only; port 0: one the system picks)",
    )
    parser.add_argument(
        "--share",
        action="store_true",
        help="let other computers' browsers in: listen on every address of this one, on the port of --http, "
        "and print the address students open (and its QR code)",
    )
    parser.add_argument(
        "--max-viewers",
        type=positive_int,
        default=MAX_VIEWERS,
        metavar="N",
        help=f"browsers watching at a time, at most (default {MAX_VIEWERS}); the next is told to come back later",
    )
    return parser.parse_args(argv)
