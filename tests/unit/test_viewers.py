"""Who watches the web gateway, in-process (web/viewers.py): joins and leaves with the count, and
the one too many refused once."""

from __future__ import annotations

from pubsub_demo.web.viewers import Viewers


class Clock:
    now = 50.0

    def __call__(self) -> float:
        return self.now


def test_viewers_join_and_leave_with_the_count_and_the_one_too_many_is_refused_once():
    informed, said, logged = [], [], []
    viewers = Viewers(2, clock=Clock(), inform=informed.append, say=said.append, log=logged.append)
    first = viewers.join("10.0.0.2:4000", "/stream.mjpg")
    second = viewers.join("10.0.0.3:4001", "/events")
    assert viewers.join("10.0.0.4:4002", "/stream.mjpg") is None
    assert viewers.join("10.0.0.4:4003", "/stream.mjpg") is None
    assert informed == [
        "viewer 10.0.0.2:4000 joined (/stream.mjpg; 1 watching)",
        "viewer 10.0.0.3:4001 joined (/events; 2 watching)",
    ]
    assert said == ["refused 10.0.0.4:4002: 2 viewers watch already, the most this gateway serves"]
    assert len(logged) == 2  # each time in the log
    assert first is not None and second is not None
    viewers.leave(first, "dropped: it took nothing for 10 s")
    viewers.leave(first)  # once only
    assert informed[-1] == "viewer 10.0.0.2:4000 left, dropped: it took nothing for 10 s (1 watching)"
    assert len(informed) == 3
