"""process/pacing.py's `ticks`: a loop's numbers, one a tick."""

from pubsub_demo.process import pacing


def test_ticks_count_from_zero_and_stop_after_count():
    assert list(pacing.ticks(0, 3)) == [0, 1, 2]


def test_ticks_without_a_count_go_on():
    ticks = pacing.ticks(0)
    assert [next(ticks) for _ in range(5)] == [0, 1, 2, 3, 4]
