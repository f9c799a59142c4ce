"""The wall's grid of tiles on its own: every tile on the screen, none overlapping, as large as fit."""

from __future__ import annotations

from pubsub_demo.video import layout
from pubsub_demo.video.screen import Area

import itertools

import pytest

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
