"""video/layout.py on its own: windows side by side fit any screen, for any video size and any
number of windows (window_place); the wall's grid of tiles: every tile on the screen, none
overlapping, as large as fit."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubsub_demo.video import layout
from pubsub_demo.video.layout import window_place
from pubsub_demo.video.screen import Area
from pubsub_demo.wire import MAX_SIDE


@settings(max_examples=300, deadline=None)
@given(
    screen_size=st.tuples(st.integers(1366, 7680), st.integers(768, 4320)),
    video_size=st.tuples(st.integers(1, MAX_SIDE), st.integers(1, MAX_SIDE)),
    slots=st.integers(1, 6),
)
def test_windows_side_by_side_fit_the_screen_apart_and_alike(screen_size, video_size, slots):
    area = Area(0, 0, *screen_size)
    places = [window_place(area, slot, video_size, slots) for slot in range(slots)]
    frames = [
        (place.x, place.y, place.width + layout.DECORATION[0], place.height + layout.DECORATION[1]) for place in places
    ]
    for slot, (x, y, width, height) in enumerate(frames):
        assert 0 <= x and x + width <= screen_size[0] and 0 <= y and y + height <= screen_size[1], (slot, frames)
        assert all(x + width <= other_x for other_x, _, _, _ in frames[slot + 1 :]), frames  # left to right, apart
    assert len({place.size for place in places}) == 1
    place = places[0]
    assert place.width <= video_size[0] and place.height <= video_size[1]  # never enlarged
    if place.size != video_size:  # scaled down, aspect kept (to a pixel), as large as its share allows
        assert abs(place.width * video_size[1] - place.height * video_size[0]) <= max(video_size), place
        spare_width = screen_size[0] // slots - (place.width + layout.DECORATION[0])
        spare_height = screen_size[1] - layout.TOP - layout.BOTTOM - (place.height + layout.DECORATION[1])
        assert min(spare_width, spare_height) < 60, (place, spare_width, spare_height)


def test_a_window_that_fits_its_share_is_shown_at_its_own_size():
    assert window_place(Area(0, 0, 1366, 768), 2, (400, 300)).size == (400, 300)
    assert window_place(Area(0, 0, 1920, 1080), 0, (600, 338)).size == (600, 338)
    assert window_place(Area(0, 0, 1920, 1080), 0, (1280, 720), slots=1).size == (1280, 720)


def test_the_screen_may_not_start_at_zero():
    place = window_place(Area(1920, 100, 1366, 768), 1, (640, 360))
    assert place.x >= 1920 + layout.EDGE and place.y == 100 + layout.TOP


SCREENS = [(1366, 768), (1440, 900), (1600, 900), (1920, 1080), (1920, 1200), (2560, 1440), (3840, 2160)]


@pytest.mark.parametrize("screen", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
def test_every_tile_is_on_the_screen_and_none_overlaps_another_for_1_to_100_cameras(screen):
    width, height = layout.whole_screen(Area(0, 0, *screen))
    assert 0 < width <= screen[0] and 0 < height <= screen[1]
    for count in range(1, 101):
        grid = layout.tile_grid((width, height), count)
        assert len(grid) == count
        assert len({tile.size for tile in grid}) == 1, "tiles of different sizes"
        tile = grid[0]
        assert abs(tile.width / tile.height - layout.TILE_ASPECT) < 0.05 or tile.height < 20, tile
        for place in grid:
            assert 0 <= place.x and place.x + place.width <= width, (count, place)
            assert 0 <= place.y and place.y + place.height <= height, (count, place)
        for a, b in itertools.combinations(grid, 2):
            assert a.x + a.width <= b.x or b.x + b.width <= a.x or a.y + a.height <= b.y or b.y + b.height <= a.y, (
                count,
                a,
                b,
            )
        # As large as fit: the tiles cover a good part of the room (for 16:9 tiles in rows).
        covered = count * tile.width * tile.height / (width * height)
        assert covered > 0.3, (count, tile, covered)


def test_one_camera_takes_the_whole_room_and_more_share_it():
    room = (1888, 936)
    (alone,) = layout.tile_grid(room, 1)
    assert alone.height == room[1] or alone.width == room[0]
    four = layout.tile_grid(room, 4)
    assert len({(t.x, t.y) for t in four}) == 4 and four[0].width < alone.width
    assert layout.tile_grid(room, 0) == []
