"""The groups of command-line options that the scripts (options.py) and demo.py compose:
`common` (--help and the log file), `server`, `client`, `video_source` and `window`, and the
checks that go with them. Every option has a default and help text. Bad values are usage
errors: one line on stderr (`server.py: error: …`) and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from pubsub_demo.cli.value_types import (
    MAX_SILENCE,
    address_like,
    at_most,
    frames_per_second,
    jpeg_quality,
    positive_float,
    positive_int,
    window_position,
)
from pubsub_demo.net import endpoints
from pubsub_demo.process.logs import DEFAULT_LOG_FILE
from pubsub_demo.wire import MAX_SIDE, VIDEO_MAX_BYTES

SHARED_JPEG_QUALITY = 80  # what a video server sends with --share: JPEG, which Wi-Fi carries


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are a single line."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def common(doc: str | None, prog: str | None = None) -> Parser:
    """A parser with what every script has: --help (from `doc`) and --log-file."""
    parser = Parser(
        prog=prog or Path(sys.argv[0]).name, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--log-file",
        type=Path,
        default=DEFAULT_LOG_FILE,
        metavar="PATH",
        help="where warnings and errors are logged (default errors_log.log at the project's top)",
    )
    return parser


def server(parser: Parser, address: str, *, socket: str = "PUB", peers: str = "clients", pickle: bool = True) -> None:
    """A server's options: where to bind its `socket` (--bind, --share), --pickle (unless not
    `pickle`), --curve (to let in only the `peers` with keys)."""
    port = address.rsplit(":", 1)[1]
    parser.add_argument(
        "--bind",
        type=address_like(address),
        default=address,
        metavar="ADDR",
        help=f"address to bind the {socket} socket to (default {address}; tcp://*:{port} shares it on the network)",
    )
    parser.add_argument(
        "--share",
        action="store_true",
        help=f"let other computers connect: bind every network address of this one, on the port "
        f"of --bind (tcp://*:{port} by default), and print the command students run",
    )
    if pickle:
        parser.add_argument(
            "--pickle",
            action="store_true",
            help="send with send_pyobj, the original scripts' pickle format, for their clients",
        )
    parser.add_argument(
        "--curve",
        type=Path,
        metavar="KEYDIR",
        help=f"encrypt, and let in only the {peers} whose keys are in KEYDIR/authorized "
        "(make keys with: python -m pubsub_demo.keys generate KEYDIR)",
    )


def connect(parser: Parser, address: str, to: str = "the server") -> None:
    """--connect: the address of what a script connects to (`to`), by default `address`."""
    parser.add_argument(
        "--connect",
        type=address_like(address, to_connect=True),
        default=address,
        metavar="ADDR",
        help=f"address of {to} to connect to (default {address})",
    )


def client(parser: Parser, address: str) -> None:
    """A client's options: where to connect, --pickle, --curve, --silence."""
    connect(parser, address)
    parser.add_argument(
        "--pickle",
        action="store_true",
        help="accept the original scripts' pickle format (recv_pyobj). Only for a "
        "server you trust: unpickling runs whatever code the sender chooses",
    )
    parser.add_argument(
        "--curve",
        type=Path,
        metavar="KEYDIR",
        help="encrypt, with this client's keys, and talk only to the server whose key is in KEYDIR",
    )
    parser.add_argument(
        "--silence",
        type=at_most(MAX_SILENCE, positive_float),
        default=3.0,
        metavar="SECONDS",
        help="say so when the server has been silent this long (default 3)",
    )


def video_source(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, fps: float | None = None, jpeg: int | None = None
) -> None:
    """Where a video server's frames come from, and how they travel; a camera's too, which sends
    `fps` frames a second, and JPEG images of quality `jpeg` unless --raw."""
    parser.add_argument(
        "--video",
        metavar="SOURCE",
        help="a video file, a picture, or a camera number such as 0 (default: a built-in test pattern)",
    )
    parser.add_argument(
        "--fps",
        type=frames_per_second,
        default=fps,
        metavar="N",
        help="frames per second (default: "
        + (f"{fps:g}" if fps else "the video's own, 30 for the test pattern")
        + "; 0 = as fast as possible)",
    )
    parser.add_argument(
        "--width", type=at_most(MAX_SIDE, positive_int), help="resize frames to this width (default: the video's own)"
    )
    parser.add_argument(
        "--height", type=at_most(MAX_SIDE, positive_int), help="resize frames to this height (default: the video's own)"
    )
    parser.add_argument(
        "--jpeg",
        type=jpeg_quality,
        metavar="QUALITY",
        help="send JPEG images of this quality (1-100) instead of raw frames: for real networks "
        + (f"(default {jpeg})" if jpeg else f"(with --share, {SHARED_JPEG_QUALITY} unless --raw)"),
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="send raw frames"
        + (
            " (for one computer)"
            if jpeg
            else ", even with --share (some 20 MB/s per client at 1280x720: for a wired network)"
        ),
    )


def window(parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, position: bool = True) -> None:
    """How a video script shows its frames: a window (or, --no-window, stats lines), and for how long."""
    parser.add_argument(
        "--frames", type=positive_int, metavar="N", help="stop after N frames (default: run until stopped)"
    )
    parser.add_argument(
        "--no-window",
        dest="window",
        action="store_false",
        help="no window (over SSH, in CI): print a stats line once a second instead",
    )
    if position:
        parser.add_argument(
            "--window-position",
            type=window_position,
            metavar="X,Y",
            help="where to put the window (default: side by side with the others)",
        )
    parser.add_argument(
        "--print-frames",
        action="store_true",
        help="print a line per frame: number, size, checksum, latency (to compare runs)",
    )


def jpeg_when_shared(*, share: bool, jpeg: int | None, raw: bool, pickle: bool = False) -> int | None:
    """The JPEG quality a video server sends: `jpeg`; or with --share, SHARED_JPEG_QUALITY unless
    --raw or --pickle (the original's raw frames) says otherwise: raw frames are more than Wi-Fi
    carries."""
    if share and jpeg is None and not raw and not pickle:
        return SHARED_JPEG_QUALITY
    return jpeg


def shared_bind(parser: Parser, share: bool, address: str) -> str:
    """The address to bind: `address`, or with --share every address of this computer on its
    port (tcp://*:PORT); a usage error if --share has no port to take."""
    if not share:
        return address
    shared = endpoints.shared(address)
    if shared is None:
        parser.error(f"--share needs a tcp:// address, not {address}")
    return shared


def check_video_source(
    parser: Parser, *, jpeg: int | None, raw: bool, width: int | None, height: int | None, pickle: bool = False
) -> None:
    """What no video server can send: pickles of JPEG, frames larger than a client accepts."""
    if pickle and jpeg:
        parser.error("--pickle sends raw frames as the original did; it cannot be combined with --jpeg")
    if raw and jpeg:
        parser.error("--raw and --jpeg contradict each other: choose one")
    if width and height and width * height * 3 > VIDEO_MAX_BYTES:
        parser.error(
            f"--width {width} --height {height} makes frames larger than a client accepts: "
            f"{VIDEO_MAX_BYTES // 2**20} MiB at most"
        )
