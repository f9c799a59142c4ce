"""The video server's sources, end to end: still pictures, one-frame videos, sources that cannot
be opened, and frames too large for the clients. The real server and client run as subprocesses."""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest

from pubsub_demo.video import test_card
from pubsub_demo.wire import VIDEO_MAX_BYTES

from support.paths import VIDEO
from support.pictures import PICTURE_NUMBER, make_picture, write_video
from support.video import frame_lines, start_video_server


def crc(frame: np.ndarray) -> str:
    return f"{zlib.crc32(np.ascontiguousarray(frame)):08x}"


def receive(run, address: str, frames: int) -> tuple[list[dict], float]:
    """What client1 printed for `frames` frames, and the rate at which the server sent them
    (frames numbered per second of arrival, over the whole run)."""
    client = run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames", "--frames", str(frames))
    assert client.wait() == 0, client.stderr
    received = frame_lines(client)
    times = [at for line, at in zip(client.stdout, client.stdout_times) if line.startswith("frame ")]
    rate = (received[-1]["seq"] - received[0]["seq"]) / (times[-1] - times[0])
    return received, rate


@pytest.mark.parametrize(
    "name, fps", [("picture.png", None), ("picture.jpg", 20), ("one-frame.avi", None), ("one-frame.mp4", None)]
)
def test_a_picture_or_one_frame_video_is_served_as_a_still_video(run, tmp_path, name, fps):
    picture = make_picture(tmp_path / name)
    asked = ["--fps", str(fps)] if fps else []
    server, address = start_video_server(run, "--video", str(tmp_path / name), *asked)
    expected_fps = fps or test_card.DEFAULT_FPS
    assert f" at {expected_fps:g} frames/s" in server.stdout[0]
    received, rate = receive(run, address, frames=int(1.5 * expected_fps))  # 1.5 s of frames
    stats = server.expect(r"^Server: ([\d.]+) frames/s")[1]
    assert server.interrupt() == 0
    print(
        f"{name}: {len(received)} frames received at {rate:.1f} frames/s (asked {expected_fps:g}); "
        f"server's stats line: {stats} frames/s"
    )
    seqs = [frame["seq"] for frame in received]
    assert seqs == sorted(set(seqs))  # a new frame each time, in order
    assert all(frame["pattern"] == PICTURE_NUMBER for frame in received)
    assert all(frame["size"] == (320, 240) for frame in received)
    if name.endswith((".png", ".jpg")):  # the picture's very pixels, as imread gives them
        assert {frame["crc"] for frame in received} == {crc(picture)}
    else:  # one decoded frame, sent again and again
        assert len({frame["crc"] for frame in received}) == 1
    assert 0.8 * expected_fps <= rate <= 1.2 * expected_fps


@pytest.mark.parametrize(
    "size_args, size",
    [
        (["--width", "160"], (160, 120)),
        (["--height", "60"], (80, 60)),
        (["--width", "200", "--height", "100"], (200, 100)),
    ],
)
def test_width_and_height_resize_a_still_picture(run, tmp_path, size_args, size):
    picture = make_picture(tmp_path / "picture.png")
    server, address = start_video_server(run, "--video", str(tmp_path / "picture.png"), *size_args)
    received, _ = receive(run, address, frames=10)
    assert server.interrupt() == 0
    resized = cv2.resize(picture, size, interpolation=cv2.INTER_AREA)
    assert {frame["size"] for frame in received} == {size}
    assert {frame["crc"] for frame in received} == {crc(resized)}


def test_a_two_frame_video_still_plays_in_a_loop(run, tmp_path):
    clip = tmp_path / "two.mp4"
    frames = []
    for number in (7, 8):
        frame = np.full((120, 160, 3), 60 * number % 256, np.uint8)
        test_card.draw_number(frame, number)
        frames.append(frame)
    write_video(clip, frames, fps=40)
    server, _ = start_video_server(run, "--video", str(clip), "--frames", "9")
    assert "at 40 frames/s" in server.stdout[0]
    assert server.wait() == 0
    assert [frame["pattern"] for frame in frame_lines(server)] == [7, 8] * 4 + [7]


def broken_sources(tmp_path: Path) -> dict[str, str]:
    """Sources that cannot be opened or read, by the name of the test case."""
    (tmp_path / "random.mp4").write_bytes(np.random.default_rng(1).bytes(5000))
    make_picture(tmp_path / "whole.png")
    whole = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(whole[: len(whole) // 2])
    write_video(tmp_path / "whole.mp4", [np.zeros((120, 160, 3), np.uint8)] * 5, fps=25)
    whole = (tmp_path / "whole.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(whole[: len(whole) // 2])  # without its index ("moov atom"), written last
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "folder").mkdir()
    return {
        "no camera": "0",
        "missing file": str(tmp_path / "missing.mp4"),
        "random bytes": str(tmp_path / "random.mp4"),
        "cut mp4": str(tmp_path / "cut.mp4"),
        "empty file": str(tmp_path / "empty.mp4"),
        "folder": str(tmp_path / "folder"),
        "cut png": str(tmp_path / "cut.png"),
    }


@pytest.mark.parametrize(
    "case, reason",
    [
        ("no camera", "cannot open camera 0: no such camera"),
        ("missing file", "cannot open .*missing.mp4: no such file"),
        ("random bytes", "cannot open .*random.mp4: OpenCV cannot read it"),
        ("cut mp4", "cannot open .*cut.mp4: OpenCV cannot read it"),
        ("empty file", "cannot open .*empty.mp4: the file is empty"),
        ("folder", "cannot open .*folder: it is a folder"),
        ("cut png", "cannot read a frame from .*cut.png"),
    ],
)
def test_a_source_that_cannot_be_read_is_our_one_line_only(run, tmp_path, log_file, case, reason):
    if case == "no camera" and os.path.exists("/dev/video0"):
        pytest.skip("this machine has a camera")
    spec = broken_sources(tmp_path)[case]
    server = run(VIDEO / "server.py", "--video", spec, "--no-window", "--bind", "tcp://127.0.0.1:*")
    assert server.wait() == 1
    print(f"{case}: {server.stderr}")
    assert len(server.stderr) == 1, server.stderr  # none of OpenCV's, FFmpeg's or libpng's own messages
    assert server.stderr[0].startswith("server.py: ")
    assert re.search(reason, server.stderr[0])
    assert (
        " - WARNING - SERVER: Opening video warning: " + server.stderr[0].removeprefix("server.py: ")
        in log_file.read_text()
    )


@pytest.mark.parametrize("name", ["huge.png", "huge.avi"])
def test_frames_over_the_clients_limit_stop_the_server_unless_resized(run, tmp_path, log_file, name):
    small = test_card.TestCard(640, 360).read()
    test_card.draw_number(small, PICTURE_NUMBER)
    huge = cv2.resize(small, (6400, 3600), interpolation=cv2.INTER_NEAREST)  # 69 MB a frame
    assert huge.nbytes > VIDEO_MAX_BYTES
    path = tmp_path / name
    if name.endswith(".png"):
        assert cv2.imwrite(str(path), huge)
    else:
        write_video(path, [huge, huge], fps=10)
    server = run(VIDEO / "server.py", "--video", str(path), "--no-window", "--bind", "tcp://127.0.0.1:*")
    assert server.wait() == 1
    print(server.stderr)
    assert len(server.stderr) == 1
    assert re.fullmatch(
        r"server.py: frames of 6400x3600 pixels .* over the clients' 64 MiB limit: .*--width or --height",
        server.stderr[0],
    )
    assert "SERVER ERROR: frames of 6400x3600 pixels" in log_file.read_text()

    server, address = start_video_server(run, "--video", str(path), "--width", "640")
    received, _ = receive(run, address, frames=3)
    assert server.interrupt() == 0
    assert all(frame["size"] == (640, 360) and frame["pattern"] == PICTURE_NUMBER for frame in received)
    if name.endswith(".png"):  # shrunk back to the very pixels it was blown up from
        assert {frame["crc"] for frame in received} == {crc(small)}
