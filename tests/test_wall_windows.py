"""The wall's window on virtual desktops (Xvfb and openbox) of 1366x768 and 1920x1080, with 4 and
with 30 cameras: on the screen, a tile per camera, each labelled with its camera's name and
showing that camera's frames, read back from the screen (each camera's test pattern writes which
camera and which frame into its pixels: pattern.camera_code).

As the other window tests, these fail rather than skip in CI (CI=true) when they cannot run.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import zlib
from collections.abc import Callable

import cv2
import numpy as np
import pytest
import zmq

from pubsub_demo import wire
from pubsub_demo.video import layout
from pubsub_demo.video.screen import Area
from pubsub_demo.video.test_card import NamedTestCard, card_number, split_code
from pubsub_demo.wall import tiles, topics

from support.desktop import Screen
from support.paths import VIDEO
from support.scripts import TIMEOUT

# On one worker, one after the other: one virtual desktop of each size for all of them (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("screen")

SCREENS = [(1366, 768), (1920, 1080)]
FRAME = (320, 180)  # the cameras' frames: small, and 16:9 like the tiles
TEXT_LEVEL = 150


class CheapCameras:
    """Many cameras in this one process, in a thread: a PUB socket each, connected to the wall,
    sending its test pattern (small JPEG frames) `fps` times a second, as camera.py does."""

    def __init__(self, context: zmq.Context, address: str, names: list[str], fps: float) -> None:
        self.sockets = []
        for name in names:
            publisher = context.socket(zmq.PUB)
            publisher.linger = 0
            publisher.sndhwm = 2
            publisher.connect(address)
            self.sockets.append((publisher, topics.topic(name), NamedTestCard(name, *FRAME, fps)))
        self.interval, self.stop = 1 / fps, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        seq = 0
        while not self.stop.wait(self.interval):  # each camera's pace: frames a second
            for publisher, topic, pattern in self.sockets:
                publisher.send_multipart([topic, *wire.encode(pattern.read(), seq, jpeg_quality=80, one_part=True)])
            seq += 1

    def close(self) -> None:
        self.stop.set()
        self.thread.join(TIMEOUT)
        for publisher, _, _ in self.sockets:
            publisher.close()


def camera_id(name: str) -> int:
    return split_code(zlib.crc32(name.encode()) % (1 << 12) << 12)[0]


def tile_codes(shot: np.ndarray, window, count: int) -> list[tuple[int, int] | None]:
    """Which camera and which frame each of the `count` tiles of the wall's window shows, as read
    from the screen: (camera, frame modulo 4096), or None where no code can be read."""
    content = shot[window.y : window.y + window.height, window.x : window.x + window.width]
    found = []
    for tile in layout.tile_grid((window.width, window.height), count):
        place = tiles.fitted(FRAME, tile)
        picture = content[place.y : place.y + place.height, place.x : place.x + place.width]
        code = card_number(cv2.resize(picture, FRAME, interpolation=cv2.INTER_AREA))
        found.append(None if code is None else split_code(code))
    return found


def crop_tile(shot: np.ndarray, window, tile: layout.Place) -> np.ndarray:
    content = shot[window.y : window.y + window.height, window.x : window.x + window.width]
    return content[tile.y + 30 : tile.y + tile.height, tile.x : tile.x + tile.width]  # below the label


def label_match(shot: np.ndarray, window, tile: layout.Place, name: str) -> float:
    """How well the white text at the start of a tile's label matches `name` (1.0: the same pixels)."""
    content = shot[window.y : window.y + window.height, window.x : window.x + window.width]
    expected = np.zeros_like(content)
    tiles.draw_label(expected, tile, name)
    band = (slice(tile.y, tile.y + 30), slice(tile.x, tile.x + tile.width))
    wanted, seen = expected[band].max(axis=2) > TEXT_LEVEL, content[band].max(axis=2) > TEXT_LEVEL
    rows, columns = np.flatnonzero(wanted.any(axis=1)), np.flatnonzero(wanted.any(axis=0))
    if columns.size == 0:
        return 0.0
    # The name's box, no more: the rest of the label differs, and the picture goes on below it.
    box = slice(max(0, rows[0] - 2), rows[-1] + 3), slice(0, columns[-1] + 2)
    wanted, seen = wanted[box], seen[box]
    return (wanted & seen).sum() / max(1, (wanted | seen).sum())


def wait_for_wall(
    screen: Screen, ready: Callable[[object, np.ndarray], bool], timeout: float = TIMEOUT
) -> tuple[object, np.ndarray]:
    """Poll the screen until the window "Wall" is there and `ready(window, screenshot)`; or give up
    after `timeout` and return what there is, for the test's assertions to say what is wrong."""
    deadline = time.monotonic() + timeout
    while True:
        window, shot = screen.window("Wall"), screen.screenshot()
        if (window is not None and ready(window, shot)) or time.monotonic() > deadline:
            return window, shot
        time.sleep(0.1)  # polling the screen for a condition, with a deadline


@pytest.mark.parametrize("count", [4, 30])
@pytest.mark.parametrize("screen_size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_the_wall_shows_a_labelled_tile_per_camera_on_the_screen_each_with_its_own_frames(
    run, screen_of, context, screen_size, count
):
    screen, display = screen_of(*screen_size)
    env = dict(os.environ, DISPLAY=display)
    # 1 s: the four cameras' part dims a tile that fell silent. The 30, sent by one thread of this
    # busy process 2 frames a second each, get longer: a pause of that thread must not dim them.
    silence = "1" if count == 4 else "10"
    wall = run(VIDEO / "wall.py", "--bind", "tcp://127.0.0.1:*", "--silence", silence, env=env)
    address = wall.expect(r"^Receiving on ([^;]+);")[1]
    names = sorted(f"cam{k:02}" for k in range(count)) if count > 4 else ["ann", "bob", "cleo", "dan"]
    assert len({camera_id(name) for name in names}) == count  # each camera's code tells it from the others
    cheap, cameras = None, {}
    if count > 4:  # 30 cameras in this process, 2 frames a second each
        cheap = CheapCameras(context, address, names, fps=2)
    else:  # the real thing
        size = [str(side) for side in FRAME]
        for name in names:
            cameras[name] = run(
                VIDEO / "camera.py", "--connect", address, "--name", name, "--width", size[0], "--height", size[1]
            )
    try:

        def all_tiles(window, shot: np.ndarray) -> bool:
            codes = tile_codes(shot, window, len(names))
            return all(code is not None and code[0] == camera_id(name) for code, name in zip(codes, names))

        window, shot = wait_for_wall(screen, all_tiles)
        assert window is not None, "no window called Wall"
        assert window.frame_inside(*screen_size), f"the wall's frame {window.frame} is off the {screen_size} screen"
        assert (window.width, window.height) == layout.whole_screen(Area(0, 0, *screen_size))  # shown as drawn
        codes = tile_codes(shot, window, len(names))
        print(f"\n{screen_size}, {count} cameras: window {window.frame}, codes {codes[:5]}...")
        for name, code in zip(names, codes):
            assert code is not None and code[0] == camera_id(name), f"{name}'s tile shows {code}"
        grid = layout.tile_grid((window.width, window.height), len(names))
        for name, tile in zip(names, grid):
            score = label_match(shot, window, tile, name)
            other = label_match(shot, window, tile, name.swapcase())  # the same letters, in another case
            assert score > 0.6 and other < score - 0.1, f"{name}'s tile label: {score:.2f} (another name: {other:.2f})"
        _, later = wait_for_wall(screen, lambda w, s: tile_codes(s, w, len(names))[0] not in (codes[0], None))
        moved = tile_codes(later, window, len(names))
        assert moved[0] is not None and moved[0] != codes[0], "the first tile's frame does not change"

        if cameras:  # a camera falls silent: its tile is dimmed (no code can be read), and comes back
            cameras[names[0]].process.send_signal(signal.SIGSTOP)
            try:
                _, shot = wait_for_wall(screen, lambda w, s: tile_codes(s, w, len(names))[0] is None)
            finally:
                cameras[names[0]].process.send_signal(signal.SIGCONT)
            dimmed = tile_codes(shot, window, len(names))
            assert dimmed[0] is None and all(dimmed[1:]), f"{names[0]}'s tile is not dimmed alone: {dimmed}"
            assert crop_tile(shot, window, grid[0]).mean() < 0.6 * crop_tile(shot, window, grid[1]).mean()
            window, shot = wait_for_wall(screen, all_tiles)
            assert tile_codes(shot, window, len(names))[0] is not None, f"{names[0]}'s tile did not come back"

            # A camera leaves: its tile goes, the others share the screen.
            assert cameras.pop(names[1]).interrupt() == 0
            wall.expect(rf"^camera {names[1]} \(127\.0\.0\.1\) left \(3 cameras\)$")
            names = [name for name in names if name in cameras]
            window, shot = wait_for_wall(screen, all_tiles)
            assert [code and code[0] for code in tile_codes(shot, window, len(names))] == [
                camera_id(name) for name in names
            ]
    finally:
        if cheap is not None:
            cheap.close()
    for camera in cameras.values():
        assert camera.interrupt() == 0
    assert wall.interrupt() == 0
    assert not any("Traceback" in line for line in wall.stderr)
