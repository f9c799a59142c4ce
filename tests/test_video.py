"""Part 2 end to end, headless: the real video server and clients as subprocesses."""

from __future__ import annotations

import signal
from pathlib import Path

import cv2
import numpy as np
import pytest

from pubsub_demo import wire
from pubsub_demo.system import byte_counts
from pubsub_demo.video import test_card as video

from support.paths import VIDEO
from support.video import frame_lines, start_video_server


def test_raw_frames_arrive_exactly_as_sent_and_in_order(run):
    server, address = start_video_server(run, "--width", "320", "--height", "180")
    client = run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames", "--frames", "40")
    assert client.wait() == 0
    assert server.interrupt() == 0
    sent = {frame["seq"]: frame for frame in frame_lines(server)}
    received = frame_lines(client)
    assert len(received) == 40
    seqs = [frame["seq"] for frame in received]
    assert seqs == sorted(set(seqs))  # in order, no repeats
    assert seqs[-1] - seqs[0] < 40 + 4  # a client that keeps up skips next to nothing
    for frame in received:
        assert frame["crc"] == sent[frame["seq"]]["crc"]  # exactly the bytes sent
        assert frame["size"] == (320, 180)
        assert frame["pattern"] == frame["seq"]


def test_jpeg_frames_carry_the_right_frame_numbers(run):
    server, address = start_video_server(run, "--jpeg", "70")
    client = run(VIDEO / "client2.py", "--connect", address, "--no-window", "--print-frames", "--frames", "20")
    assert client.wait() == 0
    assert server.interrupt() == 0
    received = frame_lines(client)
    assert len(received) == 20
    assert all(frame["pattern"] == frame["seq"] for frame in received)
    assert all(frame["size"] == video.CARD_SIZE for frame in received)


@pytest.mark.xdist_group("timing")  # frames skipped, and how late: what the cores give its scripts
def test_a_slow_client_shows_the_newest_frame_not_a_backlog(run):
    fps = 30
    server, address = start_video_server(run, "--fps", str(fps))  # the test pattern's 640x360 raw frames
    client = run(
        VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames", "--frames", "6", "--delay", "0.5"
    )  # handles 2 frames a second
    assert client.wait() == 0
    assert server.interrupt() == 0
    received = frame_lines(client)
    assert len(received) == 6
    seqs = [frame["seq"] for frame in received]
    assert all(later - earlier >= 10 for earlier, later in zip(seqs, seqs[1:]))  # skips, does not queue
    frame_time_ms = 1000 / fps
    lags = [frame["latency"] / frame_time_ms for frame in received]
    assert max(lags) <= 2, f"lag in frames: {lags}"


def make_video(path: Path, frames: int, fps: float, size=(160, 120)) -> None:
    """A small video file whose frames carry their numbers in the test pattern's code."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for number in range(frames):
        frame = np.full((size[1], size[0], 3), 40 * (number % 6), np.uint8)
        video.draw_number(frame, number)
        writer.write(frame)
    writer.release()


def test_a_video_file_plays_in_a_loop_at_its_own_rate(run, tmp_path):
    clip = tmp_path / "clip.avi"
    make_video(clip, frames=12, fps=50)
    server, address = start_video_server(run, "--video", str(clip), "--frames", "30")
    assert "at 50 frames/s" in server.stdout[0]
    assert server.wait() == 0
    numbers = [frame["pattern"] for frame in frame_lines(server)]
    assert numbers == [n % 12 for n in range(30)]  # rewinds at the end, as the original did


def test_a_video_file_reaches_the_client_unchanged(run, tmp_path):
    clip = tmp_path / "clip.avi"
    make_video(clip, frames=10, fps=25, size=(320, 240))
    server, address = start_video_server(run, "--video", str(clip), "--width", "160")
    client = run(VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames", "--frames", "15")
    assert client.wait() == 0
    assert server.interrupt() == 0
    sent = {frame["seq"]: frame for frame in frame_lines(server)}
    for frame in frame_lines(client):
        assert frame["crc"] == sent[frame["seq"]]["crc"]
        assert frame["size"] == (160, 120)
        assert frame["pattern"] == frame["seq"] % 10


def test_pickle_mode_sends_raw_frames_the_original_way(run):
    server, address = start_video_server(run, "--pickle", "--width", "160", "--height", "90")
    client = run(
        VIDEO / "client1.py", "--connect", address, "--no-window", "--print-frames", "--frames", "5", "--pickle"
    )
    assert client.wait() == 0
    assert server.interrupt() == 0
    sent_crcs = {frame["crc"] for frame in frame_lines(server)}
    received = frame_lines(client)
    assert len(received) == 5 and all(frame["crc"] in sent_crcs for frame in received)


@pytest.mark.parametrize("script", ["server.py", "client1.py"])
def test_ctrl_c_stops_video_scripts_cleanly(run, script):
    server, address = start_video_server(run)
    target = (
        server if script == "server.py" else run(VIDEO / script, "--connect", address, "--no-window", "--print-frames")
    )
    target.expect(r"^frame \d")
    assert target.interrupt() == 0
    assert not any("Traceback" in line for line in target.stderr)


@pytest.mark.parametrize(
    "script, args",
    [
        ("server.py", ["--jpeg", "0"]),
        ("server.py", ["--jpeg", "101"]),
        ("server.py", ["--pickle", "--jpeg", "80"]),
        ("server.py", ["--fps", "-1"]),
        ("server.py", ["--width", "0"]),
        ("client1.py", ["--window-position", "left"]),
        ("client2.py", ["--delay", "soon"]),
    ],
)
def test_video_usage_errors(run, script, args):
    script = run(VIDEO / script, *args)
    assert script.wait() == 2
    assert len(script.stderr) == 1 and "error:" in script.stderr[0]


@pytest.mark.parametrize(
    "path", [path for path in sorted(VIDEO.glob("*.py")) if path.name != "bootstrap.py"], ids=lambda path: path.name
)
def test_video_help(run, path):
    script = run(path, "--help")
    assert script.wait() == 0
    assert script.stdout[0].startswith("usage:")


def test_stats_lines_count_clients_and_megabytes(run):
    server = run(VIDEO / "server.py", "--bind", "tcp://127.0.0.1:*", "--no-window", "--width", "320", "--height", "180")
    address = server.expect(r"Publishing on (\S+) ")[1]
    clients = [run(VIDEO / name, "--connect", address, "--no-window") for name in ("client1.py", "client2.py")]
    server.expect(r"^client 127\.0\.0\.1 joined \(2 connected\)$")
    server.skip_seen()
    server.expect(r"^Server: [\d.]+ frames/s, 2 clients, [\d.]+ MB/s$")  # a second that may have begun earlier
    stats = server.expect(r"^Server: ([\d.]+) frames/s, 2 clients, ([\d.]+) MB/s$")
    frame_mb = (320 * 180 * 3 + wire.HEADER.size) / 1e6
    rate, sent = float(stats[1]), float(stats[2])
    print(f"server: {rate} frames/s to 2 clients, {sent} MB/s")
    assert sent == pytest.approx(rate * frame_mb * 2, rel=0.1)  # a copy for each client
    received = clients[0].expect(r"^Client 1: ([\d.]+) frames/s, ([\d.]+) MB/s, latency")
    assert float(received[2]) == pytest.approx(float(received[1]) * frame_mb, rel=0.1, abs=0.05)
    for script in (*clients, server):
        assert script.interrupt() == 0


@pytest.mark.skipif(not byte_counts.available(), reason="the kernel gives no count of the bytes sent")
def test_the_servers_megabytes_are_what_went_out_even_to_stalled_clients(run):
    server = run(VIDEO / "server.py", "--bind", "tcp://127.0.0.1:*", "--no-window", "--width", "320", "--height", "180")
    address = server.expect(r"Publishing on (\S+) ")[1]
    clients = [run(VIDEO / name, "--connect", address, "--no-window") for name in ("client1.py", "client2.py")]
    server.expect(r"^client 127\.0\.0\.1 joined \(2 connected\)$")
    server.skip_seen()
    server.expect(r"^Server: [\d.]+ frames/s, 2 clients, [\d.]+ MB/s$")  # a second that may have begun earlier
    flowing = float(server.expect(r"^Server: [\d.]+ frames/s, 2 clients, ([\d.]+) MB/s$")[1])
    assert flowing > 5  # 2 copies of 30 frames of 173 kB a second: 10 MB/s
    for client in clients:
        client.process.send_signal(signal.SIGSTOP)  # stalled: they take nothing more
    # The kernel's buffers take a few seconds of frames; then nothing goes out, though the server
    # hands 30 frames a second to ZeroMQ (which keeps the newest for each client: CONFLATE).
    stalled = [server.expect(r"^Server: ([\d.]+) frames/s, 2 clients, ([\d.]+) MB/s$") for _ in range(6)]
    print(f"flowing: {flowing} MB/s; stalled: {[line[0] for line in stalled]}")
    assert float(stalled[-1][1]) >= 20 and float(stalled[-1][2]) < 0.5
    for client in clients:
        client.process.send_signal(signal.SIGCONT)
    resumed = [float(server.expect(r"^Server: [\d.]+ frames/s, 2 clients, ([\d.]+) MB/s$")[1]) for _ in range(3)]
    assert max(resumed) > 5
    for script in (*clients, server):
        assert script.interrupt() == 0
