"""Part 2 with real windows on a virtual desktop (Xvfb and openbox): found by title, looked at,
closed; and the one line a video script says when there is no desktop at all.

These tests need Xvfb and openbox. Without them they are skipped on a developer's machine, but
they fail in CI (where CI=true), which installs them: a window test that cannot run is no pass.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from pubsub_demo.video import captions, display, layout
from pubsub_demo.video import test_card as video
from pubsub_demo.video.screen import Area

from support.desktop import Screen, Window
from support.paths import ROOT, VIDEO
from support.scripts import TIMEOUT

# On one worker, one after the other: one virtual desktop of each size for all of them (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("screen")

TITLES = ("Server", "Client 1", "Client 2")
SCREENS = [(1366, 768), (1920, 1080)]  # the smallest screen the windows are made for, and a common one
VIDEO_SIZE = (1280, 720)  # the kind of video file a teacher brings
VIDEO_FRAMES = 90  # frames in the test's video file: 3 s, then it plays again from frame 0
CARD_SIZE = (480, 270)  # the built-in test pattern, for the tests of keys and closing
TEXT_LEVEL = 150  # text is drawn white; whatever is behind it is dimmed to 85 or less


@pytest.fixture(scope="module")
def video_file(tmp_path_factory) -> Path:
    """A 1280x720 video file made from the test pattern: each frame carries its number in its pixels."""
    path = tmp_path_factory.mktemp("video") / "pattern.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), video.DEFAULT_FPS, VIDEO_SIZE)
    pattern = video.TestCard(*VIDEO_SIZE)
    for _ in range(VIDEO_FRAMES):
        writer.write(pattern.read())
    writer.release()
    assert path.stat().st_size > 0, "OpenCV could not write the test's video file"
    return path


def crop(shot: np.ndarray, window: Window) -> np.ndarray:
    return shot[window.y : window.y + window.height, window.x : window.x + window.width]


def frame_number(picture: np.ndarray, size: tuple[int, int]) -> int | None:
    """The test pattern's frame number in a window's picture, scaled back to the video's size."""
    return video.card_number(cv2.resize(picture, size, interpolation=cv2.INTER_LINEAR))


def wait_for_screen(
    screen: Screen, titles, ready: Callable[[Window, np.ndarray], bool], timeout: float = TIMEOUT
) -> tuple[dict[str, Window], list[Window], np.ndarray]:
    """Poll the screen until every title has a window for which `ready(window, its picture)`;
    or give up after `timeout` and return what there is, for the test's assertions to say what
    is wrong. Returns our windows, the others, a screenshot."""
    deadline = time.monotonic() + timeout
    while True:
        windows = [window for window in screen.windows() if window.viewable]
        ours = {window.title: window for window in windows if window.title in titles}
        others = [window for window in windows if window.title not in titles]
        shot = screen.screenshot()
        if len(ours) == len(titles) and all(ready(window, crop(shot, window)) for window in ours.values()):
            return ours, others, shot
        if time.monotonic() > deadline:
            return ours, others, shot
        time.sleep(0.1)  # polling the screen for a condition, with a deadline


def text_mask(picture: np.ndarray) -> np.ndarray:
    return picture.max(axis=2) > TEXT_LEVEL


def text_match(picture: np.ndarray, text: str, image_size: tuple[int, int]) -> float:
    """How well the white text in a window's picture matches `text` as a client draws it on an
    image of `image_size` shown at the window's size: the overlap of the two (1.0: the same
    pixels, 0.0: none in common)."""
    height, width = picture.shape[:2]
    expected = np.zeros((image_size[1], image_size[0], 3), np.uint8)
    captions.draw_text(expected, text, width / image_size[0], middle=True)
    expected = text_mask(cv2.resize(expected, (width, height), interpolation=cv2.INTER_AREA))
    seen = text_mask(picture)
    return (expected & seen).sum() / max(1, (expected | seen).sum())


def wait_for_text(
    screen: Screen,
    title: str,
    texts: list[str],
    image_size: tuple[int, int],
    timeout: float = TIMEOUT,
    good: float = 0.6,
) -> tuple[float, str, np.ndarray]:
    """Poll the window `title` until it shows one of `texts` (a match over `good`); the best
    match, its text and the picture."""
    deadline = time.monotonic() + timeout
    while True:
        window = screen.window(title)
        if window is not None:
            picture = crop(screen.screenshot(), window)
            score, text = max((text_match(picture, text, image_size), text) for text in texts)
            if score > good or time.monotonic() > deadline:
                return score, text, picture
        elif time.monotonic() > deadline:
            raise AssertionError(f"no window {title!r}")
        time.sleep(0.1)  # polling the screen for a condition, with a deadline


def never_painted(picture: np.ndarray) -> bool:
    """Does a window show nothing of a client's waiting picture (its gray, 48, nowhere), but Qt's
    black, or a black view of Qt's default size on white: a window Qt never painted?"""
    return bool((picture == display.WAITING_GRAY).all(axis=2).mean() < 0.01)


def wait_until_gone(screen: Screen, titles, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while any(screen.window(title) is not None for title in titles):
        assert time.monotonic() < deadline, f"windows {titles} still open"
        time.sleep(0.05)  # polling the desktop for a condition, with a deadline


def said_on_stderr(client, words: str) -> str:
    """The line the client said on stderr with these `words`, without its script's name."""
    return client.expect(words, stream="stderr").string.split(": ", 1)[1]


def circular_distance(a: int, b: int, period: int) -> int:
    return min((a - b) % period, (b - a) % period)


@pytest.mark.parametrize("screen_size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_a_large_video_fits_the_screen_and_clients_say_what_they_wait_for(
    run, screen_of, video_file, tmp_path, screen_size
):
    screen, name = screen_of(*screen_size)
    env = dict(os.environ, DISPLAY=name)
    address = f"ipc://{tmp_path}/video.sock"  # the server binds it later; no port to reserve
    started = time.monotonic()
    for attempt in (1, 2):
        clients = [
            run(VIDEO / script, "--connect", address, "--silence", "1", "--print-frames", env=env)
            for script in ("client1.py", "client2.py")
        ]
        # Before any server runs, each client's window is up and says what it waits for, in the
        # words the client says on stderr.
        said = [said_on_stderr(client, "nothing listens at") for client in clients]
        assert said[0] == said[1] == display.waiting_for(address, None, said[0])
        waiting = said[0]
        window_size = layout.window_place(Area(0, 0, *screen_size), 1, display.WAITING_SIZE).size
        pictures = {title: wait_for_text(screen, title, [waiting], window_size, good=0.8) for title in TITLES[1:]}
        unpainted = [title for title, (_, _, picture) in pictures.items() if never_painted(picture)]
        if not unpainted or attempt == 2:
            break
        # Qt, under Xvfb with the whole suite on 2 cores, sometimes leaves a new window black for
        # good (about 1 in 30 windows, whatever the script asks of it): once, the two again.
        print(f"{screen_size}: {unpainted} never painted (Qt under Xvfb, under load): both clients again")
        for client in clients:
            assert client.interrupt() == 0
        wait_until_gone(screen, TITLES[1:])

    for title in TITLES[1:]:
        score, _, picture = pictures[title]
        window = screen.window(title)
        assert window.frame_inside(*screen_size), f"{title}'s frame {window.frame} is off the {screen_size} screen"
        assert text_mask(picture).sum() > 200, f"{title} shows no text"
        others = [(w.title, w.frame) for w in screen.windows() if w.viewable and w.title]  # should it fail
        assert score > 0.8, f"{title} does not show {waiting!r} (match {score:.2f}; windows {others})"
        other = text_match(picture, waiting.replace(address, "tcp://192.0.2.99:5688"), window_size)
        assert other < score - 0.2, f"{title}: a different address matches as well ({other:.2f} vs {score:.2f})"
        print(
            f"{screen_size}: {title} shows its waiting text (match {score:.2f}, another address {other:.2f}), "
            f"{time.monotonic() - started:.1f} s after the start"
        )

    server = run(VIDEO / "server.py", "--bind", address, "--video", str(video_file), "--print-frames", env=env)
    for script in (server, *clients):
        script.expect(r"^frame \d")

    def in_place(window: Window, picture: np.ndarray) -> bool:
        return window.frame_inside(*screen_size) and frame_number(picture, VIDEO_SIZE) is not None

    windows, others, shot = wait_for_screen(screen, TITLES, in_place)
    assert sorted(windows) == sorted(TITLES)
    numbers = {}
    for title, window in windows.items():
        assert window.frame_inside(*screen_size), f"{title}'s frame {window.frame} is off the {screen_size} screen"
        assert not any(window.frame_overlaps(other) for other in windows.values() if other is not window), (
            f"{title} overlaps another of the three: {[w.frame for w in windows.values()]}"
        )
        assert not any(window.overlaps(other) for other in others), f"{title} is under another window"
        assert window.frame[2] <= screen_size[0] / 3, f"{title} takes more than a third of the screen's width"
        assert window.width < VIDEO_SIZE[0], f"{title} is not scaled down: {window.width}x{window.height}"
        assert abs(window.width / window.height - VIDEO_SIZE[0] / VIDEO_SIZE[1]) < 0.02, f"{title}'s aspect changed"
        numbers[title] = frame_number(crop(shot, window), VIDEO_SIZE)
        assert numbers[title] is not None, f"{title} does not show the video"
    for title in TITLES[1:]:  # the same moment of the broadcast, give or take the clients' lag
        assert circular_distance(numbers[title], numbers["Server"], VIDEO_FRAMES) <= 15, numbers
    print(
        f"{screen_size}: windows {[windows[title].frame for title in TITLES]} "
        f"({windows['Server'].width}x{windows['Server'].height} content), frames on screen {numbers}"
    )

    if os.environ.get("SAVE_SCREENSHOT") and screen_size == (1920, 1080):  # the picture in the README
        frames = [window.frame for window in windows.values()]
        left, right = min(x for x, _, _, _ in frames), max(x + w for x, _, w, _ in frames)
        top, bottom = min(y for _, y, _, _ in frames), max(y + h for _, y, _, h in frames)
        cv2.imwrite(os.environ["SAVE_SCREENSHOT"], shot[top:bottom, left:right])

    # The server stops: after --silence seconds each client says since when it has been silent.
    stopped = time.time()
    for client in clients:
        client.skip_seen()
    assert server.interrupt() == 0
    news = said_on_stderr(clients[0], "nothing listens at")  # the server went away: said again
    # What a client says first after --silence depends on which it notices first, the silence or
    # the refused connection; both end the same way. Its last frame was shown just before the stop.
    said = [news, f"no data from {address} for 1 s; waiting for the server"]
    candidates = [
        display.waiting_for(address, second, words)
        for second in range(int(stopped) - 5, int(stopped) + 2)
        for words in said
    ]
    for title in TITLES[1:]:
        score, text, picture = wait_for_text(screen, title, candidates, VIDEO_SIZE)
        assert score > 0.6, f"{title} does not say the server is silent (best match {score:.2f}, {text!r})"
        assert text_match(picture, news, VIDEO_SIZE) < score - 0.1, f"{title} does not say since when"
        assert frame_number(picture, VIDEO_SIZE) is None, f"{title}'s last frame is not dimmed"
        print(f"{screen_size}: {title} says {text!r} (match {score:.2f})")
    for client in clients:
        assert client.interrupt() == 0
        assert not any("Traceback" in line for line in client.stderr)


def test_a_silent_servers_client_shows_no_figures_of_the_frames_that_came_before(run, screen_of, tmp_path):
    """The stats band on the last frame said 10 frames/s; once the server sends nothing, the
    dimmed last frame must not say so any more."""
    screen, name = screen_of(1920, 1080)
    env = dict(os.environ, DISPLAY=name)
    gray = tmp_path / "gray.png"  # a plain picture: any light pixel at the bottom would be text
    cv2.imwrite(str(gray), np.full((480, 640, 3), 150, np.uint8))
    server = run(VIDEO / "server.py", "--bind", "tcp://127.0.0.1:*", "--video", str(gray), "--fps", "10", env=env)
    address = server.expect(r"Publishing on (\S+) .*; q, Esc or Ctrl\+C stops\.$")[1]  # it has a window
    client = run(VIDEO / "client1.py", "--connect", address, "--stats", "--silence", "1", "--print-frames", env=env)
    for _ in range(15):  # a second and a half of frames: the stats line is on them
        client.expect(r"^frame \d")

    def bottom(picture: np.ndarray) -> np.ndarray:
        return picture[picture.shape[0] * 4 // 5 :]  # the stats band's rows, below the middle's text

    def shows_figures(window: Window, picture: np.ndarray) -> bool:
        return bool(((bottom(picture) > 200).any(axis=2)).sum() > 50)  # white text on the band

    windows, _, _ = wait_for_screen(screen, ("Client 1",), shows_figures)
    assert "Client 1" in windows, "Client 1 never showed its stats line"
    server.process.send_signal(signal.SIGSTOP)  # the server is there, and sends nothing
    client.expect(r"but the server sends nothing", stream="stderr")
    score, text, picture = wait_for_text(screen, "Client 1", [said_on_stderr_now(client)], (640, 480), good=0.3)
    light = int(((bottom(picture) > 60).any(axis=2)).sum())  # the dimmed picture is 50; its old text 85
    print(f"the waiting text matches {score:.2f}; light pixels left on the stats band: {light}")
    assert light == 0, "the dimmed last frame still shows the figures of frames that came before"
    server.process.send_signal(signal.SIGCONT)
    for script in (client, server):
        assert script.interrupt() == 0


def said_on_stderr_now(client) -> str:
    """What the client's window says now: the waiting text with the client's newest news."""
    news = client.stderr[-1].split(": ", 1)[1]
    return display.waiting_for(client.command[client.command.index("--connect") + 1], time.time() - 1, news)


def start_broadcast(run, screen_name, *client_args: str):
    env = dict(os.environ, DISPLAY=screen_name)
    width, height = (str(size) for size in CARD_SIZE)
    server = run(
        VIDEO / "server.py",
        "--bind",
        "tcp://127.0.0.1:*",
        "--width",
        width,
        "--height",
        height,
        "--print-frames",
        env=env,
    )
    address = server.expect(r"Publishing on (\S+) ")[1]
    clients = [
        run(VIDEO / name, "--connect", address, "--print-frames", *client_args, env=env)
        for name in ("client1.py", "client2.py")
    ]
    for script in (server, *clients):
        script.expect(r"^frame \d")
    return server, clients


def showing_the_pattern(window: Window, picture: np.ndarray) -> bool:
    return video.card_number(picture) is not None


def test_closing_a_window_or_pressing_q_or_esc_stops_that_script(run, screen_of):
    screen, name = screen_of(1920, 1080)
    server, (client1, client2) = start_broadcast(run, name, "--stats")
    windows, _, _ = wait_for_screen(screen, TITLES, showing_the_pattern)
    for title, window in windows.items():  # a video that fits its third of the screen is shown at its own size
        assert (window.width, window.height) == CARD_SIZE, title
    screen.ask_to_close(windows["Client 2"])
    assert client2.wait() == 0, "\n".join(client2.stderr)
    screen.press(windows["Client 1"], "q")
    assert client1.wait() == 0
    assert server.process.poll() is None  # the server goes on without its clients
    screen.press(windows["Server"], "Escape")
    assert server.wait() == 0
    for script in (server, client1, client2):
        assert not any("Traceback" in line for line in script.stderr)


def test_a_client_window_survives_arrays_it_cannot_show(run, screen_of, context):
    """Each of these arrays once crashed a video client inside OpenCV's window code."""
    import zmq

    from pubsub_demo import wire

    from support.video import NOT_VIDEO, pattern_frame, send_frame_until_shown

    screen, name = screen_of(1920, 1080)
    with context.socket(zmq.PUB) as publisher:
        port = publisher.bind_to_random_port("tcp://127.0.0.1")
        client = run(
            VIDEO / "client1.py",
            "--connect",
            f"tcp://127.0.0.1:{port}",
            "--stats",
            "--print-frames",
            env=dict(os.environ, DISPLAY=name),
        )
        send_frame_until_shown(publisher, client, 1)
        for array in NOT_VIDEO.values():
            publisher.send_multipart(wire.encode(array), copy=False)
        deadline = time.monotonic() + TIMEOUT
        while True:  # the next good frame is shown in the window: read its number back from the screen
            publisher.send_multipart(wire.encode(pattern_frame(2, (320, 180)), seq=2), copy=False)
            window = screen.window("Client 1")
            shown = window and video.card_number(crop(screen.screenshot(), window))
            if shown == 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # polling the screen, with a deadline
        assert shown == 2, f"Client 1 shows {shown}"
        assert client.process.poll() is None
        assert client.interrupt() == 0
    assert not any("Traceback" in line for line in client.stderr)


def free_display_number() -> int:
    """An X display number that no X server on this machine uses."""
    return next(number for number in range(4000, 5000) if not Path(f"/tmp/.X11-unix/X{number}").exists())


NO_DISPLAY = {
    "no DISPLAY": {},
    "a DISPLAY that does not answer": {"DISPLAY": f":{free_display_number()}"},
    "Wayland only": {"WAYLAND_DISPLAY": "wayland-test"},  # the opencv-python wheels' windows need X11
}


@pytest.mark.only_on("linux")  # X11 and Wayland: Windows and macOS always have a display
@pytest.mark.parametrize("display_env", NO_DISPLAY.values(), ids=NO_DISPLAY.keys())
def test_without_a_display_every_video_script_says_so_in_one_line(run, tmp_path, display_env):
    env = {name: value for name, value in os.environ.items() if name not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(display_env)
    address = f"ipc://{tmp_path}/video.sock"
    scripts = {
        "server.py": run(VIDEO / "server.py", "--bind", address, env=env),
        "client1.py": run(VIDEO / "client1.py", "--connect", address, env=env),
        "client2.py": run(VIDEO / "client2.py", "--connect", address, env=env),
        "demo.py video": run(ROOT / "demo.py", "video", "--address", address, env=env),
        "wall.py": run(VIDEO / "wall.py", "--bind", f"ipc://{tmp_path}/wall.sock", env=env),
        "demo.py wall": run(ROOT / "demo.py", "wall", "--address", f"ipc://{tmp_path}/wall.sock", env=env),
    }
    for name, script in scripts.items():
        assert script.wait() == 1, f"{name}: exit code {script.process.returncode}, stderr {script.stderr}"
        assert len(script.stderr) == 1, f"{name}: {script.stderr}"
        assert "cannot open a window" in script.stderr[0] and "--no-window" in script.stderr[0], script.stderr
        assert script.stdout == [], f"{name} printed {script.stdout}"  # it stopped before it started
    print(f"{display_env}: {scripts['client1.py'].stderr[0]}")
