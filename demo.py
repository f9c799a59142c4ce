"""Run one part of the demo in a single terminal: its server and all of its clients.

Run:  python demo.py numbers     random_numbers_transmission/: server.py, client1.py, client2.py, client3.py
      python demo.py video       video_transmission/: server.py, client1.py, client2.py (three windows)

Each line is prefixed with the name of the script that printed it. Ctrl+C stops them all.
To see the parts side by side, run the scripts yourself, each in its own terminal.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

from pubsub_demo import logs, options

HERE = Path(__file__).resolve().parent
PARTS = {
    "numbers": ("random_numbers_transmission", ["client1.py", "client2.py", "client3.py"], options.NUMBERS_ADDRESS),
    "video": ("video_transmission", ["client1.py", "client2.py"], options.VIDEO_ADDRESS),
}
STOP_GRACE = 5.0  # seconds a script gets to stop after Ctrl+C before it is killed


def main() -> None:
    parser = options.Parser(prog="demo.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", choices=PARTS, help="which part to run")
    parser.add_argument("--address", type=options.connect_address, metavar="ADDR",
                        help="address the server binds and the clients connect to (default: the part's own)")
    parser.add_argument("--no-window", action="store_true", help="video: print stats lines instead of opening windows")
    parser.add_argument("--log-file", type=Path, default=logs.DEFAULT_LOG_FILE, metavar="PATH",
                        help="where the scripts log warnings and errors (default errors_log.log at the project's top)")
    args = parser.parse_args()
    folder, clients, default_address = PARTS[args.part]
    address = args.address or default_address
    extra = ["--log-file", str(args.log_file)] + (["--no-window"] if args.no_window and args.part == "video" else [])

    scripts = [("server", ["--bind", address])] + [(client.removesuffix(".py"), ["--connect", address]) for client in clients]
    processes = {}
    for name, flags in scripts:
        command = [sys.executable, str(HERE / folder / f"{name}.py"), *flags, *extra]
        processes[name] = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=forward, args=(name, processes[name].stdout), daemon=True).start()

    try:
        code = processes["server"].wait()  # clients wait for a server forever: the server's end is the demo's
    finally:
        stop_all(list(processes.values()))  # on Ctrl+C too, which logs.run then turns into exit code 0
    print(f"demo.py: the server stopped with exit code {code}", file=sys.stderr)
    sys.exit(code)


_print_lock = threading.Lock()


def forward(name: str, stream: IO[str]) -> None:
    """Copy a script's output to ours, each line prefixed with the script's name."""
    for line in stream:
        with _print_lock:
            print(f"{name:8}| {line}", end="", flush=True)


def stop_all(processes: list[subprocess.Popen[str]]) -> None:
    """Ask every script to stop as Ctrl+C does, and kill any that has not stopped in time."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut this short
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGINT)
    for process in running:
        try:
            process.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    logs.run(main)
