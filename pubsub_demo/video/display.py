"""Where a video script's frames go: a window (window.py) or, headless, a stats line once a
second; and a video client's window, which says what the client waits for while no frame comes.
"""

from __future__ import annotations

import time

import numpy as np

from pubsub_demo.server.outflow import Connections, Outflow
from pubsub_demo.video import Shown
from pubsub_demo.video.captions import draw_text
from pubsub_demo.video.stats import Stats, describe_frame
from pubsub_demo.video.test_card import CARD_SIZE
from pubsub_demo.video.window import Window
from pubsub_demo.wire import Message

WAITING_SIZE = CARD_SIZE  # a client's picture before the first frame, when the video's size is not known yet
WAITING_GRAY = 48  # its background: dark gray (a window Qt never painted is black, or white)


class Display:
    """A script's frames: in a window titled `title` (with `window`), or nothing but stats lines.

    `slot` of `slots` places the window side by side with the others (see layout.window_place);
    `position` (x, y) overrides where it goes. With `overlay`, the stats line is drawn on the
    frames; with `describe`, a line per frame is printed (stats.describe_frame, for --print-frames).
    """

    def __init__(
        self,
        title: str,
        slot: int = 0,
        *,
        slots: int = 3,
        window: bool = True,
        position: tuple[int, int] | None = None,
        overlay: bool = False,
        describe: bool = False,
    ) -> None:
        self.title = title
        self.window = Window(title, slot, slots, position) if window else None
        self.overlay, self.describe = overlay, describe
        self.stats, self.stats_text = Stats(), ""
        self.outflow: Outflow | None = None  # a server's: what went out to its clients
        self.last_frame: np.ndarray | None = None
        self.stats_band: slice | None = None  # the rows of the last frame that the stats line is on
        self.waiting_text: str | None = None  # what the window says now, if it says anything
        self.waiting_picture: np.ndarray | None = None  # and the picture that says it

    def show(self, message: Message, clients: Connections | None = None) -> bool:
        """Show one frame; False once the user asked to stop (q, Esc, or closing the window).
        A server gives its `clients` (the Attendance of monitoring.watch_subscribers), for its
        stats: how many it hands each frame to, and how many bytes went out to them."""
        if clients is not None and self.outflow is None:
            self.outflow = Outflow(clients)
        self.stats.add(message, None if clients is None else clients.count)
        if self.describe:
            print(describe_frame(message))
        if self.stats.due():
            self.stats_text = self.stats.line(None if self.outflow is None else self.outflow.since_last())
            if self.window is None:
                print(f"{self.title}: {self.stats_text}")
        if self.window is None:
            return True
        frame = message.array
        band = None
        if self.overlay and self.stats_text:
            band = draw_text(frame, self.stats_text, self.window.screen_scale(frame))
        self.window.show(frame)
        self.last_frame, self.stats_band, self.waiting_text, self.waiting_picture = frame, band, None, None
        return self.window.idle()

    def waiting(self, text: str) -> bool:
        """Say in the window what the script waits for: `text` over the last frame, dimmed, or
        on its own before the first frame (the window opens then). The picture is made again only
        when the text changes, and shown again each time: a window manager that was busy as the
        window opened may have lost the first one. False once the user asked to stop."""
        if self.window is None:
            return True  # a headless client says it on stderr (see diagnosis.py)
        if text != self.waiting_text or self.waiting_picture is None:
            if self.last_frame is None:
                width, height = self.window.fit(WAITING_SIZE).size
                picture = np.full((height, width, 3), WAITING_GRAY, np.uint8)
            else:
                picture = self.last_frame // 3  # a new array: the last frame may still be in a socket
                if self.stats_band is not None:
                    picture[self.stats_band] = 0  # its figures were those of frames that came: no more
            draw_text(picture, text, self.window.screen_scale(picture), middle=True)
            self.waiting_text, self.waiting_picture = text, picture
        self.window.show(self.waiting_picture)
        return self.window.idle()

    def idle(self) -> bool:
        """Let the window redraw and read keys while no frame comes; False if the user asked to stop."""
        return self.window is None or self.window.idle()

    def __enter__(self) -> Display:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.window is not None:
            self.window.close()


def for_server(window: bool, position: tuple[int, int] | None, describe: bool) -> Display:
    """The video server's display: its window "Server", the first on the left (with `window`),
    or only its stats lines; `position` and `describe` as for `Display`."""
    return Display("Server", window=window, position=position, describe=describe)


def for_client(number: int, address: str, shown: Shown, *, silence: float) -> ClientWindow:
    """Video client `number`'s window, "Client N", in slot N (right of the server's, of client
    N-1's), which says what the client waits for (the server at `address`, silent for `silence`
    seconds); `shown` as its options say."""
    look = Display(
        f"Client {number}",
        number,
        window=shown.window,
        position=shown.position,
        overlay=shown.overlay,
        describe=shown.describe,
    )
    return ClientWindow(look, address, silence=silence, frames=shown.frames, delay=shown.delay)


class ClientWindow:
    """A video client's display: each frame as it comes, and until the first frame comes, or
    whenever the server at `address` has been silent for `silence` seconds, what the client
    waits for (`waiting_for`). Stops after `frames` frames, if given. After each frame, it waits
    `delay` seconds: a slow client (--delay), which skips frames but never lags."""

    def __init__(
        self, display: Display, address: str, *, silence: float, frames: int | None = None, delay: float = 0.0
    ) -> None:
        self.display, self.address, self.silence, self.frames = display, address, silence, frames
        self.delay = delay
        self.shown = 0
        self.last_frame_at: float | None = None  # time.time() of the newest frame: the time the window says

    def __enter__(self) -> ClientWindow:
        return self

    def __exit__(self, *exc: object) -> None:
        self.display.__exit__(*exc)

    def show(self, frame: Message | None, news: str | None) -> bool:
        """Show `frame`; or with None (no new frame), let the window live, and say in it what the
        client waits for, with `news` (what the client said went wrong: see diagnosis.py) if any.
        False once the user asked to stop (q, Esc, the window closed) or `frames` were shown."""
        if frame is not None:
            keep_going = self.display.show(frame)
            self.last_frame_at = time.time()
            self.shown += 1
            keep_going = keep_going and self.shown != self.frames
            if keep_going and self.delay:
                time.sleep(self.delay)  # --delay: a slow client, which skips frames but never lags
            return keep_going
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
