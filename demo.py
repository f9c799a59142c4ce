"""Run one part of the demo in a single terminal: its server and all of its clients.

Run:  python demo.py numbers     random_numbers_transmission/: server.py, client1.py, client2.py, client3.py
      python demo.py video       video_transmission/: server.py, client1.py, client2.py (three windows)
      python demo.py wall        video_transmission/: wall.py and four camera.py, ann, bob, cleo and dan
      python demo.py web         video_transmission/server.py and web.py, the page opened in the default browser

Each line is prefixed with the name of the script that printed it. Ctrl+C stops them all (on
Windows Ctrl+Break or closing the window too), and so does closing the demo's output
(`python demo.py numbers | head -3`).
To see the parts side by side, run the scripts yourself, each in its own terminal.
"""

from __future__ import annotations

from bootstrap import lifetime  # first: a Ctrl+C while the package loads then ends the demo quietly

import argparse
import re
import select
import signal
import subprocess
import sys
import threading
import webbrowser
from pathlib import Path
from typing import IO

import psutil

from pubsub_demo.cli import groups, options, value_types
from pubsub_demo.process import console
from pubsub_demo.system import processes
from pubsub_demo.video import screen

HERE = Path(__file__).resolve().parent
PARTS = {  # the part's folder, its server, its clients (with their names), its address
    "numbers": (
        "random_numbers_transmission",
        "server",
        {"client1": "client1", "client2": "client2", "client3": "client3"},
        options.NUMBERS_ADDRESS,
    ),
    "video": ("video_transmission", "server", {"client1": "client1", "client2": "client2"}, options.VIDEO_ADDRESS),
    "wall": (
        "video_transmission",
        "wall",
        {"ann": "camera", "bob": "camera", "cleo": "camera", "dan": "camera"},
        options.WALL_ADDRESS,
    ),
    # The gateway lives at the top (it serves either part): its path from the part's folder.
    "web": ("video_transmission", "server", {"web": "../web"}, options.VIDEO_ADDRESS),
}
WEB_FLAGS = ["--http", "127.0.0.1:0"]  # the gateway's port is the system's choice: the demo opens the page
STOP_GRACE = 5.0  # seconds a script gets to stop after Ctrl+C before it is killed
TICK = 0.25  # seconds between looks at the server, our output and Ctrl+C
VIDEO_OPTIONS = ["--video", "--fps", "--width", "--height", "--jpeg"]  # passed on as they are given

Command = tuple[str, str, list[str]]  # a script's name in the output, its file (without .py), its options


def main() -> None:
    parser = parse()
    args = parser.parse_args()
    check(parser, args)
    folder, server, _, _ = PARTS[args.part]
    scripts = commands(args)
    if args.share:  # the students run clients of their own: these are for the class to watch
        names = [name for name, _, _ in scripts[1:]]
        console.say(
            f"{', '.join(names[:-1])} and {names[-1]} run here, for the projector; "
            f"the students run the command the {server} prints"
        )
    code = run_all(folder, scripts, extra=["--log-file", str(args.log_file)])
    if code is None:
        raise BrokenPipeError  # our reader has gone: lifetime.run ends the demo quietly, as it ends a script
    console.say(f"the {server} stopped with exit code {code}")
    sys.exit(code)


def parse() -> groups.Parser:
    """The demo's options: the part, where it runs, and what is passed on to its scripts."""
    parser = groups.common(__doc__, prog="demo.py")
    parser.add_argument("part", choices=PARTS, help="which part to run")
    parser.add_argument(
        "--address",
        type=value_types.connect_address,
        metavar="ADDR",
        help="address the server binds and the clients connect to (default: the part's own)",
    )
    parser.add_argument(
        "--share", action="store_true", help="let other computers connect to the server too (the server's --share)"
    )
    parser.add_argument(
        "--curve",
        type=Path,
        metavar="KEYDIR",
        help="encrypt, with the keys of `python -m pubsub_demo.keys generate KEYDIR`: "
        "KEYDIR/server for the server, KEYDIR/client1, client2... for the clients",
    )
    groups.video_source(
        parser.add_argument_group("video", "passed on to video_transmission/server.py (with wall: to the cameras)")
    )
    windows = parser.add_argument_group("windows", "passed on to the video part's three scripts (with wall: the wall)")
    groups.window(windows, position=False)
    return parser


def check(parser: groups.Parser, args: argparse.Namespace) -> None:
    """A usage error for what does not fit together; one line if a video part has no screen."""
    clients = PARTS[args.part][2]
    if args.part != "numbers" and args.window:
        screen.check_display()  # one line now, rather than three scripts failing one after the other
    video_flags = args.raw or not args.window or args.print_frames or args.frames is not None
    if args.part == "numbers" and (
        video_flags or any(getattr(args, option[2:]) is not None for option in VIDEO_OPTIONS)
    ):
        parser.error(
            "--video, --fps, --width, --height, --jpeg, --raw, --frames, --no-window and --print-frames "
            "are for the video part"
        )
    groups.check_video_source(parser, jpeg=args.jpeg, raw=args.raw, width=args.width, height=args.height)
    keys = ["server"] + [f"client{number}" for number in range(1, len(clients) + 1)]
    if args.curve and not all((args.curve / key).is_dir() for key in keys):
        folder = f"{args.curve}-{args.part}" if args.curve.exists() else args.curve  # the tool makes new ones only
        parser.error(
            f"{args.curve} has no server/ and client1/ to client{len(clients)}/ folders: make a key folder "
            f"with them, python -m pubsub_demo.keys generate {folder} --clients {len(clients)}, and use it"
        )


def commands(args: argparse.Namespace) -> list[Command]:
    """The part's scripts, the server first, each with the options the demo passes on to it."""
    _, server, clients, default_address = PARTS[args.part]
    address = args.address or default_address
    video_flags = ([] if args.window else ["--no-window"]) + (["--print-frames"] if args.print_frames else [])
    frames = ["--frames", str(args.frames)] if args.frames else []  # the server's: its end is the demo's
    source = (["--raw"] if args.raw else []) + [
        item
        for option in VIDEO_OPTIONS
        if getattr(args, option[2:]) is not None
        for item in (option, str(getattr(args, option[2:])))
    ]
    server_flags = ["--bind", address, *(["--share"] if args.share else []), *video_flags, *frames]
    # The video server makes the frames and the clients show them; with a wall, the other way round.
    server_flags += [] if args.part == "wall" else source
    client_flags = source if args.part == "wall" else video_flags
    scripts = [("server", server, server_flags + (["--curve", str(args.curve / "server")] if args.curve else []))]
    for number, (name, script) in enumerate(clients.items(), start=1):
        flags = ["--connect", address, *client_flags]
        if script == "../web":  # the browser's gateway: no window of its own; with --share, for the students too
            flags = ["--connect", address, *WEB_FLAGS, *(["--share"] if args.share else [])]
        if args.curve:  # a camera is then named after its key
            flags += ["--curve", str(args.curve / f"client{number}")]
        elif script == "camera":
            flags += ["--name", name]
        scripts.append((name, script, flags))
    return scripts


def run_all(folder: str, scripts: list[Command], extra: list[str]) -> int | None:
    """Start `scripts` (from `folder`, each with `extra` options too), forward their output, and
    stop them all once the server ends (its exit code) or our output is closed (None)."""
    running: dict[str, subprocess.Popen[str]] = {}
    try:  # a Ctrl+C while the scripts start stops those already started too
        for name, script, flags in scripts:
            label = script if name == "server" else name
            command = [sys.executable, str(HERE / folder / f"{script}.py"), *flags, *extra]
            # A group of its own: a Ctrl+C at the terminal reaches the demo only, which stops the
            # scripts itself, even those still starting Python, which a Ctrl+C would cut short with a
            # traceback (see stop_all).
            running[name] = processes.start(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            threading.Thread(target=forward, args=(label, running[name].stdout), daemon=True).start()
        return wait_for(running["server"])  # clients wait for a server forever: the server's end is the demo's
    finally:
        stop_all(running)  # on Ctrl+C too, which lifetime.run then turns into exit code 0


_print_lock = threading.Lock()
_output_closed = threading.Event()  # set once whoever read our output has gone (`demo.py | head`)


def forward(name: str, stream: IO[str]) -> None:
    """Copy a script's output to ours, each line prefixed with the script's name; once our
    reader has gone, read on and drop it, so that no script ever waits to print."""
    for line in stream:
        if name == "web":
            open_page(line)
        if _output_closed.is_set():
            continue
        try:
            with _print_lock:
                print(f"{name:8}| {line}", end="", flush=True)
        except BrokenPipeError:
            _output_closed.set()


def open_page(line: str) -> None:
    """Open the gateway's page in the default browser once it says where it serves."""
    served = re.match(r"Serving (http://\S+/) to browsers", line)
    if served:
        url = served[1].replace("[::]", "127.0.0.1").replace("0.0.0.0", "127.0.0.1")  # with --share: all addresses
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()  # a browser may take a while


def wait_for(server: subprocess.Popen[str]) -> int | None:
    """Wait until the server ends (its exit code) or our output is closed (None).

    On Linux a closed output is noticed even while no script prints: poll() with no events asked
    for reports an error, and on a pipe that is its reader gone. macOS's poll reports nothing
    then, and Windows has no poll for pipes: there the next line a script prints tells (`forward`)."""
    output = None
    if sys.platform == "linux":
        output = select.poll()
        output.register(sys.stdout, 0)
    while not _output_closed.wait(TICK):
        lifetime.checkpoint()  # Ctrl+C
        if server.poll() is not None:
            return server.returncode
        if output is not None and output.poll(0):
            _output_closed.set()
    return None


def stop_all(started: dict[str, subprocess.Popen[str]]) -> None:
    """Ask every script to stop, kill any that has not stopped in time, and say which did not end
    cleanly. SIGTERM (Windows: Ctrl+Break), not Ctrl+C's SIGINT: a script that has started stops
    on either with exit code 0; one that is still starting Python ends at once on SIGTERM,
    without a word, where SIGINT would print Python's own traceback (system/processes.py)."""
    for stop_signal in lifetime.STOP_SIGNALS:  # a second Ctrl+C must not cut this short
        signal.signal(stop_signal, signal.SIG_IGN)
    running = {name: process for name, process in started.items() if process.poll() is None}
    for process in running.values():
        processes.ask_to_stop(process)
    known = {process.pid for process in started.values()}
    for stray in psutil.Process().children():  # started by a Popen that a Ctrl+C cut short after its fork
        if stray.pid not in known:
            stray.terminate()
    for name, process in running.items():
        try:
            code = process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            console.say(f"{name} did not stop within {STOP_GRACE:g} s and was killed")
            continue
        if not processes.stopped_cleanly(code):
            console.say(f"{name} stopped with exit code {code}")


if __name__ == "__main__":
    lifetime.run(main)
