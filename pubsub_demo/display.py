"""Showing frames: a window that the user can close, or (headless) a stats line once a second;
and a video client's window, which says what the client waits for while no frame comes.

The server's window and the two clients' stand side by side, each in a third of the screen
(`window_place`): a frame too large for its third is shown scaled down, aspect kept, and the
user can still move and resize the window. A client's window says in words what it waits
for until frames come, and again when they stop (`Display.waiting`).
"""

from __future__ import annotations

import argparse
import math
import time
import zlib
from dataclasses import dataclass

import cv2
import numpy as np

from . import screen
from .screen import Area
from .video import CODE_ROWS, PATTERN_SIZE, pattern_number
from .wire import Message

ESC = 27
SLOTS = 3  # windows side by side: the server's and two clients'
EDGE = 16  # pixels between the windows and the screen's left and right edges
WINDOW_GAP = 20  # pixels between the side-by-side windows
TOP = 40  # pixels above the windows: room for a desktop's top bar (GNOME's, macOS's menu bar)
BOTTOM = 56  # pixels below the windows: room for a task bar or a dock
DECORATION = (16, 48)  # pixels a window manager may add around a window's content (borders; borders and title bar)
PLACING_TIME = 3.0  # seconds during which a new window is put back where we asked
WAITING_SIZE = PATTERN_SIZE  # a client's picture before the first frame, when the video's size is not known yet
TEXT_HEIGHT = 14  # pixels on the screen: the height of a capital letter in text drawn on a window
FONT = cv2.FONT_HERSHEY_SIMPLEX


class Stats:
    """Frames per second, megabytes per second, latency (send to show) and frames dropped, over
    the last second; for a server, also how many clients it sends to (the MB/s are what it sends
    to all of them)."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.frames = self.dropped = self.bytes = 0
        self.latencies: list[float] = []
        self.last_seq: int | None = None
        self.clients: int | None = None

    def add(self, message: Message, clients: int | None = None) -> None:
        self.frames += 1
        self.bytes += message.size * (1 if clients is None else clients)
        self.clients = clients
        if not math.isnan(message.sent_at):
            self.latencies.append(time.time() - message.sent_at)
        if self.last_seq is not None and message.seq > self.last_seq + 1:
            self.dropped += message.seq - self.last_seq - 1
        if message.seq >= 0:
            self.last_seq = message.seq

    def due(self) -> bool:
        return time.monotonic() - self.start >= 1.0

    def line(self) -> str:
        """The stats since the last line, and a fresh start."""
        elapsed = time.monotonic() - self.start
        text = f"{self.frames / elapsed:.1f} frames/s"
        if self.clients is not None:  # a server's: to how many, and what that costs its network
            text += f", {self.clients} client{'' if self.clients == 1 else 's'}"
        text += f", {self.bytes / elapsed / 1e6:.1f} MB/s"
        if self.latencies:  # a client's frames: how late they came, and how many it skipped
            text += f", latency {1000 * sum(self.latencies) / len(self.latencies):.1f} ms, dropped {self.dropped}"
        self.start, self.frames, self.dropped, self.bytes, self.latencies = time.monotonic(), 0, 0, 0, []
        return text


class Display:
    """Where a script's frames go: a window titled `title`, or nothing but stats lines.

    `slot` places the window: 0 at the left, 1 next to it, 2 at the right, so that the server's
    and the clients' windows stand side by side (see `window_place`); `position` (x, y)
    overrides where it goes. With a window, there must be a display (else Fatal, one line).
    """

    def __init__(self, title: str, slot: int, *, window: bool = True, position: tuple[int, int] | None = None,
                 overlay: bool = False, print_frames: bool = False) -> None:
        if window:
            screen.check_display()  # before OpenCV tries: without a display it aborts the process
        self.title, self.slot, self.window, self.position = title, slot, window, position
        self.overlay, self.print_frames = overlay, print_frames
        self.stats, self.stats_text = Stats(), ""
        self.opened = False
        self.area: Area | None = None  # the screen, once a window is to be placed on it
        self.image_size: tuple[int, int] | None = None  # width, height of the images shown: the window fits them
        self.size = (0, 0)  # the window's picture, as we made it: width, height
        self.last_frame: np.ndarray | None = None
        self.waiting_text: str | None = None  # what the window says now, if it says anything

    def show(self, message: Message, clients: int | None = None) -> bool:
        """Show one frame; False once the user asked to stop (q, Esc, or closing the window).
        A server says to how many `clients` it sent the frame, for its stats."""
        self.stats.add(message, clients)
        if self.print_frames:
            print(describe_frame(message))
        if self.stats.due():
            self.stats_text = self.stats.line()
            if not self.window:
                print(f"{self.title}: {self.stats_text}")
        if not self.window:
            return True
        frame = message.array
        if self.overlay and self.stats_text:
            draw_text(frame, self.stats_text, self._screen_scale(frame))
        self._show(frame)
        self.last_frame, self.waiting_text = frame, None
        return self.idle()

    def waiting(self, text: str) -> bool:
        """Say in the window what the script waits for: `text` over the last frame, dimmed, or
        on its own before the first frame (the window opens then). Drawn again only when the
        text changes. False once the user asked to stop."""
        if not self.window:
            return True  # a headless client says it on stderr (see diagnosis.py)
        if text != self.waiting_text:
            if self.last_frame is None:
                width, height = self._place(WAITING_SIZE).size
                picture = np.full((height, width, 3), 48, np.uint8)
            else:
                picture = self.last_frame // 3  # a new array: the last frame may still be in a socket
            draw_text(picture, text, self._screen_scale(picture), middle=True)
            self._show(picture)
            self.waiting_text = text
        else:
            self._keep_in_place()
        return self.idle()

    def idle(self) -> bool:
        """Let the window redraw and read keys while no frame comes; False if the user asked to stop."""
        if not (self.window and self.opened):
            return True
        key = cv2.waitKey(1) & 0xFF
        try:
            closed = cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:  # some backends raise instead, once the user has closed the window
            closed = True
        if closed:
            self.opened, self.image_size = False, None
        return not (closed or key in (ord("q"), ESC))

    def __enter__(self) -> "Display":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the window, if it is open."""
        if self.opened:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)  # let the window system take it away now
            self.opened, self.image_size = False, None

    def _place(self, image_size: tuple[int, int]) -> Place:
        if self.area is None:
            self.area = screen.screen_area()
        return window_place(self.area, self.slot, image_size)

    def _screen_scale(self, image: np.ndarray) -> float:
        """How large the image will be on the screen, for each of its pixels."""
        return self._place((image.shape[1], image.shape[0])).width / image.shape[1]

    def _show(self, image: np.ndarray) -> None:
        """Show `image`, in a window opened for it first if need be, and resized for images
        of a new size (the user may resize it in between)."""
        image_size = image.shape[1], image.shape[0]
        if not self.opened:
            # A resizable window: the picture is scaled to it, aspect kept.
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
        cv2.imshow(self.title, image)
        if image_size != self.image_size:
            # Sized once it has a picture (before, Qt would keep the proportions of a blank
            # default one), then moved: Qt then puts the window's frame, title bar included,
            # at the point we give, not the picture.
            place = self._place(image_size)
            self.image_size, self.size = image_size, place.size
            cv2.resizeWindow(self.title, *self.size)
            if not self.opened:
                self.place = self.position or (place.x, place.y)
                cv2.moveWindow(self.title, *self.place)
                self.opened, self.opened_at = True, time.monotonic()
        self._keep_in_place()

    def _keep_in_place(self) -> None:
        """Put the window back where we asked, at the size we asked, in its first seconds only.

        A window manager that is still taking in a new window may put it where it likes and
        drop our move, and Qt may still be settling the window's size; asking again once the
        window is up makes it stick. The picture must lie below and right of the point we
        gave, by no more than a frame's borders and title bar: a picture right at that point
        means the title bar is above it, perhaps off the screen. After those seconds, the user
        may drag and resize the window as they like."""
        if time.monotonic() - self.opened_at > PLACING_TIME:
            return
        x, y, width, height = cv2.getWindowImageRect(self.title)
        if abs(width - self.size[0]) > 2 or abs(height - self.size[1]) > 2:
            cv2.resizeWindow(self.title, *self.size)
        dx, dy = x - self.place[0], y - self.place[1]
        if not (0 <= dx <= DECORATION[0] and 0 < dy <= DECORATION[1]):
            cv2.moveWindow(self.title, *self.place)


@dataclass(frozen=True)
class Place:
    """Where a window goes: x, y of its frame's top left corner; the width and height of its content."""

    x: int
    y: int
    width: int
    height: int

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


def window_place(area: Area, slot: int, image_size: tuple[int, int]) -> Place:
    """Where the window in `slot` (0 to SLOTS - 1) goes on the screen `area`, and its size for
    images of `image_size` (width, height): their own size if that fits in a SLOTS-th of the
    screen with the window's frame, else scaled down to fit, aspect kept.

    The slots are equal, so the windows never overlap, whatever each shows; room is kept for
    the window manager's frame (DECORATION), a top bar (TOP) and a task bar (BOTTOM)."""
    share = (area.width - 2 * EDGE - (SLOTS - 1) * WINDOW_GAP) // SLOTS
    room = share - DECORATION[0], area.height - TOP - BOTTOM - DECORATION[1]
    width, height = image_size
    scale = min(1.0, room[0] / width, room[1] / height)
    size = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    return Place(area.x + EDGE + slot * (share + WINDOW_GAP), area.y + TOP, *size)


def draw_text(image: np.ndarray, text: str, screen_scale: float, *, middle: bool = False) -> None:
    """Write `text` on `image` (in place), white on a dark band, so that it can be read once the
    image is shown at `screen_scale` times its size: along the bottom, or in the `middle`.
    Long text is broken into lines, and made smaller only if a single word is too wide."""
    height, width = image.shape[:2]
    margin = max(1, width // 40)
    room = width - 2 * margin
    if room < 8 or height < 8:
        return  # no text can be read on so small a picture
    text = text.replace("…", "...")  # OpenCV's fonts have ASCII only
    (_, capital), _ = cv2.getTextSize("H", FONT, 1.0, 1)
    font_scale = TEXT_HEIGHT / screen_scale / capital
    widest_word = max(_text_width(word, font_scale) for word in text.split() or [""])
    if widest_word > room:
        font_scale *= room / widest_word
    thickness = max(1, round(1.5 * font_scale))
    lines = _wrap(text, font_scale, room)
    line_height = max(1, round(2 * capital * font_scale))
    block = line_height * len(lines)
    # At the bottom, the band stops short of the last rows, where the test pattern writes its
    # frame number (video.draw_number), which stays readable.
    top = (height - block) // 2 if middle else height - CODE_ROWS - margin - block
    band = slice(max(0, top - margin), max(0, min(height, top + block + margin)))
    image[band] //= 3  # a dark band: the text stands out on any picture
    for number, line in enumerate(lines):
        left = (width - _text_width(line, font_scale)) // 2 if middle else margin
        baseline = top + number * line_height + round(1.5 * capital * font_scale)
        cv2.putText(image, line, (left, baseline), FONT, font_scale, (255, 255, 255), thickness, cv2.LINE_AA)


def _text_width(text: str, font_scale: float) -> int:
    return cv2.getTextSize(text, FONT, font_scale, max(1, round(1.5 * font_scale)))[0][0]


def _wrap(text: str, font_scale: float, room: int) -> list[str]:
    """`text` in lines no wider than `room` pixels, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", font_scale) <= room:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]


def describe_frame(message: Message) -> str:
    """One line about a frame, for --print-frames: number, size, checksum, latency, pattern number."""
    frame = message.array
    number = message.seq if message.seq >= 0 else "?"  # the pickle format carries no number
    line = f"frame {number}: {frame.shape[1]}x{frame.shape[0]} crc32 {zlib.crc32(np.ascontiguousarray(frame)):08x}"
    if not math.isnan(message.sent_at):
        line += f" latency {1000 * (time.time() - message.sent_at):.1f} ms"
    pattern = pattern_number(frame)
    if pattern is not None:
        line += f" pattern {pattern}"
    return line


class ClientWindow:
    """A video client's window (or, with --no-window, its stats lines): each frame as it comes,
    and until the first frame comes, or whenever the server has been silent for --silence
    seconds, what the client waits for (`waiting_for`). Closes when the `with` block ends.

    `args` are the client's options (options.video_client); `slot` places the window (see Display).
    """

    def __init__(self, title: str, args: argparse.Namespace, *, slot: int) -> None:
        self.display = Display(title, slot, window=not args.no_window, position=args.window_position,
                               overlay=args.stats, print_frames=args.print_frames)
        self.address, self.silence, self.frames = args.connect, args.silence, args.frames
        self.shown = 0
        self.last_frame_at: float | None = None  # time.time() of the newest frame: the time the window says

    def __enter__(self) -> "ClientWindow":
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.close()

    def show(self, frame: Message | None, news: str | None) -> bool:
        """Show `frame`; or with None (no new frame), let the window live, and say in it what the
        client waits for, with `news` (what the client said went wrong: see diagnosis.py) if any.
        False once the user asked to stop (q, Esc, the window closed) or --frames were shown."""
        if frame is not None:
            keep_going = self.display.show(frame)
            self.last_frame_at = time.time()
            self.shown += 1
            return keep_going and self.shown != self.frames
        if self.last_frame_at is None or time.time() - self.last_frame_at >= self.silence:
            return self.display.waiting(waiting_for(self.address, self.last_frame_at, news))
        return self.display.idle()


def waiting_for(address: str, last_frame: float | None, news: str | None = None) -> str:
    """What a client's window says while it waits: for the server at `address`, or, once frames
    came, for more since the newest (`last_frame`, a time.time()); and what went wrong (`news`,
    the words the client said on stderr), if anything did."""
    if last_frame is None:
        return news or f"waiting for {address}…"
    silent = f"server silent since {time.strftime('%H:%M:%S', time.localtime(last_frame))}"
    return f"{silent}: {news}" if news else silent
