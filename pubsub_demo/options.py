"""Command-line options of the scripts: every option has a default and help text.

Bad values are usage errors: one line on stderr (`server.py: error: …`) and exit code 2.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import Callable, NoReturn

from .logs import DEFAULT_LOG_FILE
from .wire import NUMBERS_MAX_BYTES, VIDEO_MAX_BYTES

NUMBERS_ADDRESS = "tcp://127.0.0.1:5687"
VIDEO_ADDRESS = "tcp://127.0.0.1:5688"

# Bounds past which a value is a mistake, not a wish: they keep every value from ending in a traceback.
MAX_INTERVAL = 3600.0  # seconds: an array an hour
MIN_FPS, MAX_FPS = 0.01, 1000.0
MAX_DELAY = 60.0  # seconds a video client may pretend to spend on a frame
MAX_SILENCE = 3600.0
MAX_SIDE = 16384  # pixels: wider or taller than any screen or camera
MAX_COUNT = NUMBERS_MAX_BYTES // 8  # float64 values that a numbers client accepts in one array
MAX_POSITION = 100_000  # pixels, for --window-position

_ENDPOINT = re.compile(r"tcp://(?P<host>\*|[\w.-]+|\[[0-9a-fA-F:.]+\]):(?P<port>\d{1,5}|\*)|ipc://\S+")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a single line."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def bind_address(text: str) -> str:
    """An address to bind: tcp://127.0.0.1:5687, tcp://*:5687 (all interfaces),
    tcp://127.0.0.1:* (a port the system picks) or ipc:///tmp/demo.sock."""
    match = _ENDPOINT.fullmatch(text)
    if not match or (match["port"] not in (None, "*") and not 1 <= int(match["port"]) <= 65535):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address like tcp://127.0.0.1:5687")
    return text


def connect_address(text: str) -> str:
    """An address to connect to: like bind_address, but with a real host and port."""
    bind_address(text)
    if text.startswith("tcp://*") or text.endswith(":*"):
        raise argparse.ArgumentTypeError(f"{text!r} names no single server to connect to")
    return text


def positive_int(text: str) -> int:
    """A whole number of at least 1 (and at most sys.maxsize, which is "forever" here)."""
    value = _number(text, int)
    if not 1 <= value <= sys.maxsize:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number from 1 to {sys.maxsize}")
    return value


def seed(text: str) -> int:
    """A seed for NumPy's random numbers: a whole number of at least 0."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of at least 0")
    return value


def non_negative(text: str) -> float:
    """A number of at least 0."""
    value = _number(text, float)
    if not value >= 0:  # also false for nan
        raise argparse.ArgumentTypeError(f"{text} is not a number of at least 0")
    return value


def finite(text: str) -> float:
    """Any finite number."""
    value = _number(text, float)
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number")
    return value


def at_most(limit: float, kind: Callable[[str], float] = non_negative) -> Callable[[str], float]:
    """An option type: what `kind` (by default a number of at least 0) accepts, up to `limit`."""

    def parse(text: str) -> float:
        value = kind(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"{text} is more than {limit:g}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


def frames_per_second(text: str) -> float:
    """0 (as fast as possible) or a rate from MIN_FPS to MAX_FPS."""
    value = non_negative(text)
    if value != 0 and not MIN_FPS <= value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"{text} is not 0 or a rate from {MIN_FPS:g} to {MAX_FPS:g} frames/s")
    return value


def _number(text: str, kind: type) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def server_parser(doc: str | None, address: str) -> Parser:
    """Options every server has: where to bind, the log file, --pickle."""
    parser = _parser(doc)
    parser.add_argument("--bind", type=bind_address, default=address, metavar="ADDR",
                        help=f"address to bind the PUB socket to (default {address}; "
                        f"tcp://*:{address.rsplit(':', 1)[1]} shares it on the network)")
    parser.add_argument("--share", action="store_true",
                        help=f"let other computers connect: bind every network address of this one, on the port "
                        f"of --bind (tcp://*:{address.rsplit(':', 1)[1]} by default), and print the command students run")
    parser.add_argument("--pickle", action="store_true",
                        help="send with send_pyobj, the original scripts' pickle format, for their clients")
    parser.add_argument("--curve", type=Path, metavar="KEYDIR",
                        help="encrypt, and let in only the clients whose keys are in KEYDIR/authorized "
                        "(make keys with: python -m pubsub_demo.keys generate KEYDIR)")
    return parser


def _server_args(parser: Parser, argv: list[str] | None) -> argparse.Namespace:
    """Parse a server's options; --share turns --bind's address into tcp://*:PORT."""
    args = parser.parse_args(argv)
    if args.share:
        match = _ENDPOINT.fullmatch(args.bind)
        if not args.bind.startswith("tcp://") or match is None:
            parser.error(f"--share needs a tcp:// address, not {args.bind}")
        args.bind = f"tcp://*:{match['port']}"
    return args


def client_parser(doc: str | None, address: str) -> Parser:
    """Options every client has: where to connect, the log file, --pickle."""
    parser = _parser(doc)
    parser.add_argument("--connect", type=connect_address, default=address, metavar="ADDR",
                        help=f"address of the server to connect to (default {address})")
    parser.add_argument("--pickle", action="store_true",
                        help="accept the original scripts' pickle format (recv_pyobj). Only for a "
                        "server you trust: unpickling runs whatever code the sender chooses")
    parser.add_argument("--curve", type=Path, metavar="KEYDIR",
                        help="encrypt, with this client's keys, and talk only to the server whose key is in KEYDIR")
    return parser


def _parser(doc: str | None) -> Parser:
    parser = Parser(prog=Path(sys.argv[0]).name, description=doc,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log-file", type=Path, default=DEFAULT_LOG_FILE, metavar="PATH",
                        help="where warnings and errors are logged (default errors_log.log at the project's top)")
    return parser


def numbers_server(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of random_numbers_transmission/server.py."""
    parser = server_parser(doc, NUMBERS_ADDRESS)
    parser.add_argument("--lower", type=finite, default=0.0, help="smallest value (default 0)")
    parser.add_argument("--upper", type=finite, default=10000.0, help="largest value (default 10000)")
    parser.add_argument("--count", type=positive_int, default=6,
                        help=f"values per array (default 6; at most {MAX_COUNT:,}, what a client accepts)")
    parser.add_argument("--interval", type=at_most(MAX_INTERVAL), default=1.0, metavar="SECONDS",
                        help=f"time between arrays (default 1; 0 = as fast as possible; at most {MAX_INTERVAL:g})")
    parser.add_argument("--messages", type=positive_int, metavar="N", help="stop after N arrays (default: run until stopped)")
    parser.add_argument("--seed", type=seed, help="seed for the random numbers (0 or more), to repeat a run exactly")
    args = _server_args(parser, argv)
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
    parser = client_parser(doc, NUMBERS_ADDRESS)
    parser.add_argument("--messages", type=positive_int, metavar="N", help="stop after N arrays (default: run until stopped)")
    _silence_option(parser)
    return parser.parse_args(argv)


def _silence_option(parser: Parser) -> None:
    parser.add_argument("--silence", type=at_most(MAX_SILENCE, positive_float), default=3.0, metavar="SECONDS",
                        help="say so when the server has been silent this long (default 3)")


def positive_float(text: str) -> float:
    """A number above 0."""
    value = non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number above 0")
    return value


def window_position(text: str) -> tuple[int, int]:
    """X,Y in pixels, e.g. 0,0."""
    try:
        x, y = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a position like 100,50") from None
    if max(abs(x), abs(y)) > MAX_POSITION:
        raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_POSITION} pixels away")
    return x, y


def _display_options(parser: Parser) -> None:
    parser.add_argument("--frames", type=positive_int, metavar="N", help="stop after N frames (default: run until stopped)")
    parser.add_argument("--no-window", action="store_true",
                        help="no window (over SSH, in CI): print a stats line once a second instead")
    parser.add_argument("--window-position", type=window_position, metavar="X,Y",
                        help="where to put the window (default: side by side with the others)")
    parser.add_argument("--print-frames", action="store_true",
                        help="print a line per frame: number, size, checksum, latency (to compare runs)")


def video_server(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/server.py."""
    parser = server_parser(doc, VIDEO_ADDRESS)
    parser.add_argument("--video", metavar="SOURCE",
                        help="a video file, or a camera number such as 0 (default: a built-in test pattern)")
    parser.add_argument("--fps", type=frames_per_second, metavar="N",
                        help="frames per second (default: the video's own, 30 for the test pattern; 0 = as fast as possible)")
    parser.add_argument("--width", type=at_most(MAX_SIDE, positive_int),
                        help="resize frames to this width (default: the video's own)")
    parser.add_argument("--height", type=at_most(MAX_SIDE, positive_int),
                        help="resize frames to this height (default: the video's own)")
    parser.add_argument("--jpeg", type=jpeg_quality, metavar="QUALITY",
                        help="send JPEG images of this quality (1-100) instead of raw frames: for real networks")
    _display_options(parser)
    args = _server_args(parser, argv)
    if args.pickle and args.jpeg:
        parser.error("--pickle sends raw frames as the original did; it cannot be combined with --jpeg")
    if args.width and args.height and args.width * args.height * 3 > VIDEO_MAX_BYTES:
        parser.error(f"--width {args.width} --height {args.height} makes frames larger than a client accepts: "
                     f"{VIDEO_MAX_BYTES // 2**20} MiB at most")
    return args


def video_client(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of video_transmission/clientN.py."""
    parser = client_parser(doc, VIDEO_ADDRESS)
    _display_options(parser)
    parser.add_argument("--stats", action="store_true", help="draw the stats line on the window")
    parser.add_argument("--delay", type=at_most(MAX_DELAY), default=0.0, metavar="SECONDS",
                        help="pretend each frame takes this long to handle, to see that a slow client never lags (default 0)")
    _silence_option(parser)
    return parser.parse_args(argv)


def jpeg_quality(text: str) -> int:
    """A JPEG quality from 1 to 100."""
    value = positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"{text} is not a JPEG quality from 1 to 100")
    return value


RELAY_ADDRESS = "tcp://127.0.0.1:5689"  # next to the servers' ports: a relay on the server's own computer


def relay(doc: str | None, argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the options of relay.py: a client's --connect, a server's --bind and --share, and
    a --curve for each side."""
    parser = _parser(doc)
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
        match = _ENDPOINT.fullmatch(args.bind or args.connect)
        if match is None or match["port"] is None:
            parser.error(f"--share needs a tcp:// address, not {args.bind or args.connect}")
        args.bind = f"tcp://*:{match['port']}"
    elif args.bind is None:
        args.bind = RELAY_ADDRESS
    return args
