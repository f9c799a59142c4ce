"""The camera wall without its window: cameras (camera.py) into a wall (wall.py --no-window), as
real processes over real sockets. Who joins and leaves, either side first and restarts, --only
measured on the wire, CURVE's labels, hostile peers and a flooding camera, and the command the
wall prints, pasted on a student's machine.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from support.classroom import classroom
from support.forgeries import answer_like_a_web_server, hang_up, stay_silent
from support.memory import PeakMemory, rss_mb
from support.paths import ROOT, VIDEO
from support.scripts import TIMEOUT

WALL, CAMERA = VIDEO / "wall.py", VIDEO / "camera.py"
SMALL = ("--width", "160", "--height", "90")  # cheap cameras: a test needs no large frames
STATS = re.compile(r"^([\w.-]+): ([\d.]+) frames/s, ([\d.]+) MB/s, latency ([\d.]+) ms, dropped (\d+)$")
CAMERA_STATS = re.compile(r"^([\w.-]+): ([\d.]+) frames/s, ([\d.]+) MB/s sent$")
BACK_WITHIN = 2.0  # seconds: a camera or a wall that restarts is back within this


def start_wall(run, *args: str, address: str = "tcp://127.0.0.1:*"):
    """The wall, headless, bound to `address` (a port the system picks); the script and its address."""
    wall = run(WALL, "--bind", address, "--no-window", *args)
    return wall, wall.expect(r"^Receiving on ([^;]+);")[1]


def start_camera(run, address: str, name: str | None, *args: str, **kwargs):
    named = ("--name", name) if name else ()
    return run(CAMERA, "--connect", address, *named, *SMALL, *args, **kwargs)


def stats_lines(wall, names: list[str], count: int) -> dict[str, list[float]]:
    """The frames/s of each named camera in the wall's next `count` stats lines for it."""
    rates: dict[str, list[float]] = {name: [] for name in names}
    while any(len(found) < count for found in rates.values()):
        match = STATS.match(wall.expect(rf"^({'|'.join(map(re.escape, names))}): [\d.]+ frames/s").string)
        rates[match[1]].append(float(match[2]))
    return rates


def test_cameras_join_each_at_its_own_rate_fall_silent_and_leave_with_the_counts(run):
    wall, address = start_wall(run, "--silence", "1")
    names = ["ann", "bob", "cleo"]
    cameras = {name: start_camera(run, address, name) for name in names}
    joined = {wall.expect(rf"^camera (\w+) \(127\.0\.0\.1\) joined \({count} cameras?\)$")[1] for count in (1, 2, 3)}
    assert joined == set(names)
    rates = stats_lines(wall, names, 3)
    print(f"\nframes/s at the wall: {rates}")
    for name, found in rates.items():
        assert statistics.median(found[1:]) >= 13, (name, found)  # the cameras send 15 (the first second is partial)
    sent = [CAMERA_STATS.match(line) for line in cameras["ann"].stdout]
    assert any(match and float(match[3]) > 0 for match in sent), cameras["ann"].stdout  # what went out

    cameras["bob"].process.send_signal(signal.SIGSTOP)  # bob falls silent, still connected
    try:
        wall.expect(r"^bob: silent since \d\d:\d\d:\d\d$")
    finally:
        cameras["bob"].process.send_signal(signal.SIGCONT)
    stats_lines(wall, ["bob"], 1)  # and it sends again
    assert cameras["bob"].interrupt() == 0  # Ctrl+C
    wall.expect(r"^camera bob \(127\.0\.0\.1\) left \(2 cameras\)$")
    cameras["cleo"].kill()  # no goodbye from the program; its system closes the connection
    wall.expect(r"^camera cleo \(127\.0\.0\.1\) left \(1 camera\)$")
    wall.skip_seen()
    assert stats_lines(wall, ["ann"], 2)["ann"][-1] >= 13  # ann goes on, alone
    assert not any(line.startswith(("bob:", "cleo:")) for line in wall.stdout[-3:])
    assert cameras["ann"].interrupt() == 0
    wall.expect(r"^camera ann \(127\.0\.0\.1\) left \(0 cameras\)$")
    assert wall.interrupt() == 0
    assert not any("Traceback" in line for script in (wall, *cameras.values()) for line in script.stderr)


def test_either_side_starts_first_and_a_restarted_camera_or_wall_is_back_within_2_s(run, tmp_path):
    address = f"ipc://{tmp_path}/wall.sock"  # the camera starts first: its address must be known before
    camera = start_camera(run, address, "ann")
    camera.expect(r"nothing listens at ipc://\S+ \(connection refused.*\): waiting for the wall \(", stream="stderr")
    wall, _ = start_wall(run, address=address)
    wall.expect(r"^camera ann \(this computer\) joined \(1 camera\)$")
    camera.expect(r"^camera\.py: connected to the wall at ipc://", stream="stderr")  # the trouble is over

    backs = {}
    for restarted in ("wall", "camera"):
        if restarted == "wall":
            assert wall.interrupt() == 0
            camera.expect(r"nothing listens at ipc://", stream="stderr")
            wall, _ = start_wall(run, address=address)
        else:
            camera.kill()
            wall.expect(r"^camera ann \(this computer\) left \(0 cameras\)$")
            camera = start_camera(run, address, "ann")
            camera.expect(r"connecting to ipc://", stream="stderr")
        started = time.monotonic()  # the restarted side is up (it printed its first line)
        wall.expect(r"^camera ann \(this computer\) joined \(1 camera\)$")
        backs[restarted] = time.monotonic() - started
        stats_lines(wall, ["ann"], 1)
    print(f"\nback after the restart of the {', '.join(f'{side}: {took:.2f} s' for side, took in backs.items())}")
    assert all(took < BACK_WITHIN for took in backs.values()), backs
    for script in (camera, wall):
        assert script.interrupt() == 0


class WireTap:
    """A TCP relay in front of the wall that counts the bytes each camera sends through it."""

    def __init__(self, wall_port: int) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.wall_port = wall_port
        self.sent = 0  # bytes from the camera to the wall, over every connection it made
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            camera, _ = self.listener.accept()
            wall = socket.create_connection(("127.0.0.1", self.wall_port))
            threading.Thread(target=self._pump, args=(camera, wall, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(wall, camera, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, count: bool) -> None:
        try:
            while data := source.recv(65536):
                if count:
                    self.sent += len(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                end.close()


@pytest.mark.kernel_counts  # what a camera sent: the kernel's count (else the bytes it handed to ZeroMQ)
def test_only_is_filtered_at_the_camera_the_others_send_next_to_nothing_on_the_wire(run):
    wall, address = start_wall(run, "--only", "ann,cleo")
    port = int(address.rsplit(":", 1)[1])
    taps = {name: WireTap(port) for name in ("ann", "anna", "bob")}  # "anna": ann's name is a prefix of hers
    cameras = {name: start_camera(run, f"tcp://127.0.0.1:{tap.port}", name) for name, tap in taps.items()}
    wall.expect(r"^camera ann \(127\.0\.0\.1\) joined \(1 camera\)$")
    stats_lines(wall, ["ann"], 2)  # the subscription has reached every camera by now
    for name in ("anna", "bob"):
        cameras[name].expect(r" MB/s sent$")
    before = {name: tap.sent for name, tap in taps.items()}
    time.sleep(2.0)  # the measuring window: what each camera sends in 2 s
    sent = {name: (tap.sent - before[name]) / 2.0 for name, tap in taps.items()}
    camera_lines = {name: CAMERA_STATS.match(camera.stdout[-1]) for name, camera in cameras.items()}
    for camera in cameras.values():
        assert camera.interrupt() == 0
    assert wall.interrupt() == 0
    print(f"\nbytes/s on the wire: {sent}; the cameras said: {[m.string for m in camera_lines.values()]}")
    assert sent["ann"] > 10_000  # 15 frames/s of a few kB
    assert sent["anna"] < 100 and sent["bob"] < 100  # heartbeats only: 10 bytes every 2 s
    for name in ("anna", "bob"):
        assert float(camera_lines[name][2]) >= 13 and camera_lines[name][3] == "0.00"  # made, and not sent
    assert not any(re.match(r"^camera (anna|bob) ", line) for line in wall.stdout)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """Two classes' key folders: class/ (server, client1..3) and other/ (server, client1); and four/."""
    from pubsub_demo import keys as making

    folder = tmp_path_factory.mktemp("keys")
    making.generate(folder / "class", 3)
    making.generate(folder / "other", 1)
    making.generate(folder / "four", 4)  # for demo.py wall's four cameras
    return folder


def test_with_curve_a_tile_is_named_after_its_camera_s_key_and_no_key_no_tile(run, keys):
    wall, address = start_wall(run, "--curve", str(keys / "class" / "server"))
    member = start_camera(run, address, None, "--curve", str(keys / "class" / "client1"))  # named client1
    wall.expect(r"^camera client1 \(127\.0\.0\.1\) joined \(1 camera\)$")
    impostor = start_camera(run, address, "client1", "--curve", str(keys / "class" / "client2"))
    wall.expect(r"^camera client2 \(127\.0\.0\.1\) joined \(2 cameras\)$")
    wall.expect(
        r"^wall\.py: camera client2 \(127\.0\.0\.1\) calls itself client1: shown as client2, the name of its key$",
        stream="stderr",
    )
    keyless = start_camera(run, address, "client3")
    keyless.expect(r"the wall at \S+ requires CURVE keys: start with --curve KEYDIR", stream="stderr")
    wall.expect(r"^wall\.py: refused (127\.0\.0\.1|a client): it has no CURVE keys$", stream="stderr")
    stranger = start_camera(run, address, "client1", "--curve", str(keys / "other" / "client1"))
    stranger.expect(r"the CURVE handshake with \S+ failed", stream="stderr")
    wall.expect(r"^wall\.py: refused (127\.0\.0\.1|a client): its handshake failed", stream="stderr")
    wall.skip_seen()
    rates = stats_lines(wall, ["client1", "client2"], 3)
    for camera in (member, impostor, keyless, stranger):
        assert camera.interrupt() == 0
    assert wall.interrupt() == 0
    print(f"\nframes/s: {rates}; the wall said: {wall.stderr}")
    assert all(statistics.median(found) >= 13 for found in rates.values()), rates  # each its own tile: not mixed
    names = {match[1] for line in wall.stdout if (match := STATS.match(line))}
    assert names == {"client1", "client2"}  # no tile for client3, nor for another class's camera
    assert sum("calls itself" in line for line in wall.stderr) == 1  # said once


@pytest.mark.parametrize(
    "answer", [hang_up, answer_like_a_web_server, stay_silent], ids=["hangs up", "web server", "waits for a line"]
)
def test_a_camera_at_a_program_that_is_not_zeromq_is_told_so(run, not_zeromq, answer):
    listener = not_zeromq(answer)
    camera = start_camera(run, listener.address, "ann")
    said = camera.expect(r"answers, but it is not a ZeroMQ server: is the port right\?$", stream="stderr")
    assert camera.interrupt() == 0
    print(f"the camera said: {said.string}")
    assert not any("frames/s" in line and "0.00 MB/s" not in line for line in camera.stdout)  # nothing went out


def test_the_demo_s_wall_and_cameras_use_their_keys(run, keys, tmp_path):
    demo = run(
        ROOT / "demo.py",
        *("wall", "--no-window", "--address", f"ipc://{tmp_path}/wall.sock", "--curve", str(keys / "four")),
        *("--width", "160", "--height", "90", "--fps", "5"),
        log=False,
    )
    joined = {demo.expect(r"^wall *\| camera (client\d) \(this computer\) joined")[1] for _ in range(4)}
    assert joined == {"client1", "client2", "client3", "client4"}  # named after their keys
    assert demo.interrupt() == 0
    assert not any("calls itself" in line or "Traceback" in line for line in demo.stdout + demo.stderr)


# -- hostile peers -------------------------------------------------------------------------------


def zmtp_frame(body: bytes, *, more: bool = False, command: bool = False) -> bytes:
    """One ZMTP frame: flags (more, long, command), size, body."""
    flags = (0x01 if more else 0) | (0x04 if command else 0)
    if len(body) > 255:
        return bytes([flags | 0x02]) + struct.pack(">Q", len(body)) + body
    return bytes([flags, len(body)]) + body


class HandMadeCamera:
    """A PUB peer written by hand over a plain TCP socket: greeting, READY as a PUB socket, then,
    once the wall has answered, whatever messages it is told to send. It reads nothing more."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=5)
        greeting = b"\xff" + bytes(8) + b"\x7f" + bytes([3, 0]) + b"NULL".ljust(20, b"\0") + b"\0" + bytes(31)
        ready = zmtp_frame(b"\x05READY\x0bSocket-Type" + struct.pack(">I", 3) + b"PUB", command=True)
        self.socket.sendall(greeting + ready)
        heard = b""  # a message sent before the wall's own READY would be taken for a bad command
        while b"READY" not in heard and (chunk := self.socket.recv(4096)):
            heard += chunk

    def send(self, *parts: bytes) -> None:
        self.socket.sendall(b"".join(zmtp_frame(part, more=k < len(parts) - 1) for k, part in enumerate(parts)))

    def close(self) -> None:
        self.socket.close()


def camera_frame(shape=(90, 160, 3), dtype=np.uint8) -> bytes:
    from pubsub_demo import wire

    return bytes(wire.encode(np.zeros(shape, dtype), 1, one_part=True)[0])


HOSTILE = {  # what a hand-made peer sends: the line the wall says for it
    "garbage": ([b"hello"], "a message of 1 part: a camera sends 2, [name, frame]"),
    "not a name": ([b"\xff\xfe\0", camera_frame()], "not a camera's name"),
    "not a header": ([b"mallory\0", b"garbage"], "message of 7 bytes is too short for a header"),
    "not a picture": ([b"mallory\0", camera_frame((6,), np.float64)], "this is not video (float64 array"),
    "many parts": ([b"mallory\0"] + [bytes(2**20)] * 40, "a message of 41 parts: ours have at most 2"),
}


def test_hostile_input_is_skipped_and_said_once_memory_is_given_back_and_honest_cameras_go_on(run):
    wall, address = start_wall(run, "--max-cameras", "4")
    port = int(address.rsplit(":", 1)[1])
    honest = start_camera(run, address, "ann")
    wall.expect(r"^camera ann \(127\.0\.0\.1\) joined")
    stats_lines(wall, ["ann"], 1)
    pid = wall.process.pid
    before = rss_mb(pid)
    memory = PeakMemory(pid)
    mallory = HandMadeCamera(port)
    for _ in range(3):  # again and again: said once
        for parts, _ in HOSTILE.values():
            mallory.send(*parts)
    for _, says in HOSTILE.values():
        wall.expect(re.escape(says), stream="stderr")
    with contextlib.suppress(OSError):  # the wall drops the connection before it has all of it
        mallory.send(b"mallory\0", bytes(9 * 2**20))  # one part over the wall's 8 MiB limit
    wall.expect(
        r"dropped a connection from 127\.0\.0\.1: it sent a message part over the wall's 8 MiB limit", stream="stderr"
    )
    mallory.close()

    crowd = [HandMadeCamera(port) for _ in range(5)]  # with ann's, 6 connections: 2 too many
    wall.expect(r"cut off a connection from 127\.0\.0\.1: the wall takes 4 \(--max-cameras\)$", stream="stderr")
    wall.skip_seen()
    rate = statistics.median(stats_lines(wall, ["ann"], 3)["ann"])
    time.sleep(3.0)  # the measuring window: what the wall holds 3 s after the attack
    peak, after = memory.stop(), rss_mb(pid)
    for peer in crowd:
        peer.close()
    assert honest.interrupt() == 0
    assert wall.interrupt() == 0
    print(f"\nwall memory {before:.0f} MB, {peak:.0f} MB at most, {after:.0f} MB after; ann at {rate} frames/s")
    print("\n".join(wall.stderr))
    assert after - before < 50
    assert rate >= 13
    said = [line for line in wall.stderr if "skipped" in line or "dropped" in line or "cut off" in line]
    assert len(said) == len(set(said)) == len(HOSTILE) + 2  # each kind once
    assert not any("mallory" in line for line in wall.stdout)  # no tile for what is not a camera


def made_rates(camera) -> list[float]:
    """The frames/s a camera said it made, in its stats lines so far."""
    return [float(match[2]) for line in camera.stdout if (match := CAMERA_STATS.match(line))]


@pytest.mark.xdist_group("timing")  # frames per second: what the cores give its scripts (and the flood takes a core)
def test_a_camera_flooding_the_wall_with_raw_frames_takes_no_frames_from_the_others(run):
    wall, address = start_wall(run)
    honest = {name: start_camera(run, address, name) for name in ("ann", "bob")}
    flood = start_camera(run, address, "flood", "--fps", "0", "--raw", "--width", "640", "--height", "360")
    assert {wall.expect(r"^camera (\w+) \S+ joined")[1] for _ in range(3)} == {"ann", "bob", "flood"}
    flood.expect(r"^flood: [\d.]+ frames/s")
    wall.skip_seen()
    rates = stats_lines(wall, ["ann", "bob", "flood"], 4)
    made = {name: made_rates(camera)[-4:] for name, camera in honest.items()}
    for camera in (*honest.values(), flood):
        assert camera.interrupt() == 0
    assert wall.interrupt() == 0
    print(f"\nframes/s at the wall: {rates}; made by the honest cameras: {made}")
    for name in honest:
        assert statistics.median(rates[name]) >= 0.9 * statistics.median(made[name]), (name, rates, made)
    assert statistics.median(rates["flood"]) > 2 * statistics.median(rates["ann"])  # it did flood


# -- options, errors, stopping -------------------------------------------------------------------


@pytest.mark.parametrize(
    "script, args, says",
    [
        (CAMERA, ["--name", "Анна"], "is not a camera name"),
        (CAMERA, ["--name", "YOUR_NAME"], "put your own name there (--name anna)"),
        (CAMERA, ["--width", "4000", "--height", "4000"], "larger than the wall takes"),
        (CAMERA, ["--jpeg", "101"], "JPEG quality"),
        (CAMERA, ["--jpeg", "50", "--raw"], "contradict"),
        (WALL, ["--only", "ann,b b"], "is not a camera name"),
        (WALL, ["--max-cameras", "0"], "not a whole number"),
    ],
)
def test_bad_options_are_one_line_usage_errors(run, script, args, says):
    process = run(script, *args)
    assert process.wait() == 2
    assert len(process.stderr) == 1 and says in process.stderr[0], process.stderr


def test_help_errors_and_ctrl_c(run, tmp_path, log_file):
    for script in (CAMERA, WALL):
        helped = run(script, "--help")
        assert helped.wait() == 0 and "Socket:" in "\n".join(helped.stdout)
    wall, address = start_wall(run)
    busy = run(WALL, "--bind", address, "--no-window")  # the port is taken
    assert busy.wait() == 1 and len(busy.stderr) == 1 and "cannot bind" in busy.stderr[0], busy.stderr
    missing = run(CAMERA, "--connect", address, "--video", str(tmp_path / "nothing.mp4"))
    assert missing.wait() == 1 and len(missing.stderr) == 1 and "no such file" in missing.stderr[0]
    camera = start_camera(run, address, "ann", "--frames", "20")
    assert camera.wait() == 0  # 20 frames, then it ends by itself
    assert wall.interrupt() == 0
    log = log_file.read_text()
    assert "WALL ERROR" in log and "CAMERA" in log


# -- the classroom -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def network():
    with classroom("teacher", "student1", "student2") as network:
        yield network


def test_students_cameras_connect_with_the_command_the_wall_printed(run, network):
    teacher = network.hosts["teacher"]
    wall = run(WALL, "--share", "--bind", "tcp://127.0.0.1:*", "--no-window", prefix=teacher.command())
    wall.expect(rf"^Receiving on tcp://\S+; this computer's addresses: {re.escape(teacher.address)};")
    command = wall.expect(r"^students run: (python video_transmission/camera\.py --connect \S+ --name YOUR_NAME)$")[1]
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # `python` is ours
    students = {}
    for name in ("student1", "student2"):
        pasted = command.replace("YOUR_NAME", name) + " --frames 45 --width 160 --height 90"
        students[name] = subprocess.Popen(
            [*network.hosts[name].command(), "bash", "-c", pasted],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    where = {name: network.hosts[name].address for name in students}
    assert {tuple(wall.expect(r"^camera (\S+) \((\S+)\) joined").groups()) for _ in students} == set(where.items())
    rates = stats_lines(wall, list(students), 1)
    for student in students.values():
        _, errors = student.communicate(timeout=TIMEOUT)
        assert student.returncode == 0, errors
    assert {tuple(wall.expect(r"^camera (\S+) \((\S+)\) left").groups()) for _ in students} == set(where.items())
    assert wall.interrupt() == 0
    print(f"\n{command}: {rates}")
    assert all(rate[0] > 5 for rate in rates.values())
