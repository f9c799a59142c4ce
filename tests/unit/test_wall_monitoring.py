"""The wall's watch, event by event, in-process: a connection gone before the watch reads of it."""

from __future__ import annotations

import socket

import zmq

from pubsub_demo.net import zmtp
from pubsub_demo.net.refusals import NO_KEYS, UNNAMED_WAIT, Refusals
from pubsub_demo.wall.monitoring import _Watch
from pubsub_demo.wall.roster import Roster


def test_a_camera_without_keys_refused_before_the_watch_read_its_connection_is_still_said_refused():
    """With CURVE, libzmq refuses a camera without keys at once: its connection may be closed
    before the watch's thread reads that it was accepted, which must not stop the watch from
    saying it was refused."""
    now, said = [0.0], []
    refusals = Refusals(clock=lambda: now[0], say=said.append, log=lambda _: None)
    watch = _Watch(None, Roster(max_cameras=4), refusals, None)  # type: ignore[arg-type]  # no monitor: fed by hand
    gone = socket.socket()
    fd = gone.fileno()
    gone.close()  # libzmq closed it before the watch looked
    watch.event(zmq.EVENT_ACCEPTED, fd)
    watch.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, zmtp.MECHANISM_MISMATCH)
    watch.event(zmq.EVENT_DISCONNECTED, fd)
    assert len(watch.held) == 0  # nothing held for it
    refusals.tick()
    now[0] += UNNAMED_WAIT
    refusals.tick()
    assert said == [f"refused a client: {NO_KEYS}"]
