"""The tests' fixtures and hooks: scripts started and stopped for each test, sockets, desktops,
a browser. The helpers the tests import live in tests/support/.

Nothing here waits without a time limit: every wait names its timeout, and a script still
running at the end of a test is stopped.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zmq

from support.scripts import AS_SYSTEM, TIMEOUT, Script


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Where the project's code is shown another system (tests/emulation), what that system lacks
    is not asserted: `only_on(systems)`, and `kernel_counts` (this kernel's byte counts, which a
    view of another system cannot read; those systems' own are parsed in tests/unit)."""
    if not AS_SYSTEM:
        return
    for item in items:
        only_on = item.get_closest_marker("only_on")
        if only_on and AS_SYSTEM not in only_on.args:
            item.add_marker(pytest.mark.skip(reason=f"not on {AS_SYSTEM}: {', '.join(only_on.args)} only"))
        if item.get_closest_marker("kernel_counts"):
            item.add_marker(pytest.mark.skip(reason=f"the code shown {AS_SYSTEM} cannot read this kernel's counts"))


@pytest.fixture
def log_file(tmp_path: Path) -> Path:
    return tmp_path / "errors_log.log"


@pytest.fixture
def run(log_file: Path) -> Iterator:
    """run(path, *args) starts a script (logging to the test's own log file, unless log=False;
    `prefix` runs it through another command, such as `ip netns exec HOST`); every script
    started is killed at the end of the test."""
    started: list[Script] = []

    def start(
        path: Path, *args: str, env: dict[str, str] | None = None, log: bool = True, prefix: list[str] | None = None
    ) -> Script:
        script = Script(path, *args, log_file=log_file if log else None, env=env, prefix=prefix)
        started.append(script)
        return script

    yield start
    for script in started:
        script.kill()


@pytest.fixture(scope="session")
def desktops() -> Iterator:
    """desktops(width, height): the DISPLAY of a virtual desktop of that size (Xvfb and openbox,
    see support/desktop.py), started the first time it is asked for and kept for the other tests. Without
    Xvfb or openbox the test is skipped, but it fails in CI (CI=true), which installs them."""
    from support.desktop import start_desktop  # python-xlib: only where a window is looked at

    started: dict[tuple[int, int], str] = {}
    processes = []

    def desktop(width: int, height: int) -> str:
        if (width, height) not in started:
            try:
                new_processes, started[width, height] = start_desktop(width, height)
            except FileNotFoundError as missing:
                if os.environ.get("CI"):
                    pytest.fail(f"{missing} is not installed: CI must install it (apt-get install xvfb openbox)")
                pytest.skip(f"{missing} is not installed (apt-get install xvfb openbox); CI runs these tests")
            processes.extend(new_processes)
        return started[width, height]

    yield desktop
    for process in reversed(processes):
        process.terminate()
        process.wait(TIMEOUT)


SCRIPT_WINDOWS = ("Server", "Client 1", "Client 2", "Wall")  # the windows the scripts open


@pytest.fixture
def screen_of(desktops) -> Iterator:
    """screen_of(width, height): a connection to that desktop, for looking at it (closed at the end)."""
    from support.desktop import Screen

    screens = []

    def connect(width: int, height: int) -> tuple[Screen, str]:
        name = desktops(width, height)
        screens.append(Screen(name))
        # The desktop is shared: the windows of the test before must be gone first, or a stale
        # "Client 1" could be taken for this test's (seen twice under load: its picture, not ours).
        deadline = time.monotonic() + TIMEOUT
        while left := [w.title for w in screens[-1].windows() if w.viewable and w.title in SCRIPT_WINDOWS]:
            assert time.monotonic() < deadline, f"windows of an earlier test still on the desktop: {left}"
            time.sleep(0.05)  # polling for them to go, with a deadline
        return screens[-1], name

    yield connect
    for screen in screens:
        screen.close()


@pytest.fixture
def context() -> Iterator[zmq.Context]:
    with zmq.Context() as ctx:
        ctx.linger = 0
        yield ctx


@pytest.fixture
def not_zeromq():
    """not_zeromq(answer) starts a NotZeroMQ server; all are closed at the end of the test."""
    from support.forgeries import NotZeroMQ

    started: list[NotZeroMQ] = []

    def start(answer: Callable[[socket.socket], None]) -> NotZeroMQ:
        started.append(NotZeroMQ(answer))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> Iterator:
    """One headless chromium for a worker's browser tests (support/browser.py), started the first time one
    asks for it: a chromium takes seconds to start. It fails the test where chromium is missing."""
    from support.browser import Browser  # websocket-client: only where a page is looked at

    started = Browser(tmp_path_factory.mktemp("chromium"))
    yield started
    started.close()


@pytest.fixture
def browser(chromium) -> Iterator:
    """The worker's chromium, its page left blank and its window 1280x720 after the test."""
    chromium.size(1280, 720)
    yield chromium
    chromium.open("about:blank")  # the page of a gateway that is gone would ask for it every second
