"""What a wall shows: a window called "Wall" with a tile for each camera, its newest frame labelled
with its name, frames/s and age; or, without a window, a stats line per camera once a second.

Only what is shown is decoded, at the size it is shown: a camera's newest frame, once, and a
JPEG frame at a half, a quarter or an eighth of its size where its tile is that small (a JPEG
decoder can do that for less than a whole decode). A camera silent for --silence seconds is
dimmed, and says since when.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from pubsub_demo.client.receiving import Skipped
from pubsub_demo.video import Shown, layout, screen
from pubsub_demo.video.captions import draw_text
from pubsub_demo.video.stats import Stats
from pubsub_demo.video.window import Window
from pubsub_demo.wall import tiles
from pubsub_demo.wall.roster import Roster
from pubsub_demo.wall.topics import Arrival
from pubsub_demo.wire import WireError

TITLE = "Wall"
REDRAWS = 30.0  # times a second the window is drawn again, at most
BACKGROUND = 32  # grey level between the tiles


@dataclass
class Feed:
    """What the wall keeps of one camera: its stats, its newest frame not yet shown, the last
    picture shown (decoded, perhaps smaller), when its newest frame came (time.time())."""

    stats: Stats = field(default_factory=Stats)
    pending: Arrival | None = None
    picture: np.ndarray | None = None
    last_frame: float = 0.0
    fps: float | None = None  # over the last second
    age: float | None = None  # ms from its sending to its showing, of the frame shown
    silent: bool = False


def for_wall(shown: Shown, *, silence: float) -> WallDisplay:
    """The wall's display as its options say (`shown`), a camera's tile dimmed once it has been
    silent for `silence` seconds."""
    return WallDisplay(
        window=shown.window, silence=silence, position=shown.position, describe=shown.describe, frames=shown.frames
    )


class WallDisplay:
    """The wall's window (with `window`; `position` (x, y) overrides where it goes), or stats lines.

    A camera silent for `silence` seconds is dimmed (or said silent); with `describe`, a line is
    printed for each frame shown; after `frames` frames shown in all, the wall stops."""

    def __init__(
        self,
        *,
        window: bool,
        silence: float,
        position: tuple[int, int] | None = None,
        describe: bool = False,
        frames: int | None = None,
    ) -> None:
        self.window = Window(TITLE, 0, 1, position) if window else None
        self.silence, self.describe, self.frames = silence, describe, frames
        self.interval = 1 / REDRAWS if window else 0.0  # seconds between redraws, at least
        self.feeds: dict[str, Feed] = {}
        self.shown = 0
        self.canvas: np.ndarray | None = None
        self.grid: list[layout.Place] = []
        self.second = time.monotonic()
        self._skipped = Skipped()

    def __enter__(self) -> WallDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.window is not None:
            self.window.close()

    def show(self, arrivals: dict[str, Arrival], roster: Roster) -> bool:
        """Show each camera's newest frame (`arrivals`, by name) among the cameras `roster` has;
        False once the user asked to stop (q, Esc, the window closed) or `frames` were shown."""
        names = roster.names()
        for name in set(self.feeds) - set(names):
            del self.feeds[name]
        for name in names:
            feed = self.feeds.setdefault(name, Feed(last_frame=time.time()))
            if name in arrivals:
                feed.pending, feed.last_frame = arrivals[name], time.time()
        second_over = time.monotonic() - self.second >= 1.0
        if second_over:
            self.second = time.monotonic()
        if self.window is None:
            self._count_all()
            if second_over:
                self._print_lines()
        else:
            self._draw(names, second_over)
            if not self.window.idle():
                return False
        return self.frames is None or self.shown < self.frames

    def _count_all(self) -> None:
        for name, feed in self.feeds.items():
            if feed.pending is not None:
                self._count(name, feed, feed.pending)
                feed.pending = None

    def _count(self, name: str, feed: Feed, arrival: Arrival) -> None:
        feed.stats.count(arrival.seq, arrival.sent_at, arrival.size)
        self.shown += 1
        if self.describe:
            age = 1000 * (time.time() - arrival.sent_at)
            print(f"frame {arrival.seq} of {name}: {arrival.shape[1]}x{arrival.shape[0]}, latency {age:.1f} ms")

    def _print_lines(self) -> None:
        for name, feed in self.feeds.items():
            if time.time() - feed.last_frame >= self.silence:
                print(f"{name}: silent since {_clock(feed.last_frame)}")
            else:
                print(f"{name}: {feed.stats.line()}")

    def _draw(self, names: list[str], second_over: bool) -> None:
        """Draw the tiles that changed, and show the picture if anything did."""
        assert self.window is not None
        if self.canvas is None:
            width, height = layout.whole_screen(self.window.area or screen.screen_area())
            self.canvas = np.full((height, width, 3), BACKGROUND, np.uint8)
        grid = layout.tile_grid((self.canvas.shape[1], self.canvas.shape[0]), len(names))
        moved = grid != self.grid
        if moved:  # cameras joined or left: every tile moves
            self.grid = grid
            self.canvas[...] = BACKGROUND
            if not names:
                draw_text(self.canvas, "waiting for cameras...", 1.0, middle=True)
        drawn = False
        for name, tile in zip(names, grid):
            feed = self.feeds[name]
            if second_over:
                feed.fps = feed.stats.figures().fps
            drawn |= self._draw_tile(name, feed, tile, redraw=moved or second_over)
        if moved or drawn or self.window.image_size is None:
            self.window.show(self.canvas)

    def _draw_tile(self, name: str, feed: Feed, tile: layout.Place, *, redraw: bool) -> bool:
        """Draw a camera's tile if it has a new frame, has fallen silent, or `redraw`; whether it drew."""
        assert self.canvas is not None
        arrival, feed.pending = feed.pending, None
        if arrival is not None:
            try:  # at the size it is shown, or a little larger
                feed.picture = arrival.decode(tiles.reduction((arrival.shape[1], arrival.shape[0]), tile)).array
                feed.age = 1000 * (time.time() - arrival.sent_at)
            except WireError as error:  # its header was good, but not its JPEG data
                self._skipped(error)
                arrival = None
        silent = time.time() - feed.last_frame >= self.silence
        if arrival is None and not redraw and silent == feed.silent:
            return False
        feed.silent = silent
        if feed.picture is None:
            self.canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width] = 0
        else:
            tiles.draw_picture(self.canvas, tile, feed.picture)
        if silent:
            tiles.dim(self.canvas, tile)
        tiles.draw_label(self.canvas, tile, _label(name, feed))
        if arrival is not None:
            self._count(name, feed, arrival)
        return True


def _label(name: str, feed: Feed) -> str:
    """A tile's label: the camera's name, and its frames/s and the age of its frame; or since when it is silent."""
    if feed.silent:
        return f"{name}: silent since {_clock(feed.last_frame)}"
    figures = [f"{feed.fps:.1f} frames/s"] if feed.fps is not None else []
    figures += [f"{feed.age:.0f} ms old"] if feed.age is not None else []
    return ", ".join([name, *figures])  # what does not fit its tile is left out, from the end


def _clock(moment: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(moment))
