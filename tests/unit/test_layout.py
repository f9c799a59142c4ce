"""layout.window_place on its own: windows side by side fit any screen, for any video size and
any number of windows."""

from __future__ import annotations

from pubsub_demo.video import layout
from pubsub_demo.video.layout import window_place
from pubsub_demo.video.screen import Area
from pubsub_demo.wire import MAX_SIDE

from hypothesis import given, settings
from hypothesis import strategies as st


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
