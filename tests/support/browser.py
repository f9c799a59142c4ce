"""A real browser for the tests: Debian's chromium, headless, driven through the DevTools protocol
(over a WebSocket: websocket-client), as a student's browser would open the web gateway's page.

Chromium is never downloaded: the tests use the one `apt-get install chromium` put there, and a
test that needs it fails (not skips) where it is missing. Nothing here waits without a deadline.
`shown_frame` reads the number of the frame a page shows from its pixels.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import websocket

from pubsub_demo.video.test_card import card_number

TIMEOUT = 20.0  # seconds, for a loaded 2-core machine
# What chromium needs to run headless as root, and to stay off the network but for the page.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--no-default-browser-check",
    "--no-pings",
    "--remote-debugging-port=0",
]


def chromium() -> str:
    """Debian's chromium; the test fails if it is not installed (CI installs it: .ci/run)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: apt-get install chromium chromium-driver (as .ci/run does)")
    return path


class Browser:
    """One headless chromium with one page, its window `width` x `height`; `close` ends it."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 720) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._ids = itertools.count(1)
        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            self.socket = websocket.create_connection(self._page(port), timeout=TIMEOUT, suppress_origin=True)
            self.call("Page.enable")
            self.call("Runtime.enable")
        except BaseException:
            self.process.kill()
            raise

    def _devtools_port(self, file: Path) -> int:
        """The port chromium chose for the DevTools protocol: it writes it to a file of its profile."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"chromium ended at once, exit code {self.process.returncode}")
            lines = file.read_text().split("\n") if file.exists() else []
            if lines and lines[0].isdigit():
                return int(lines[0])
            time.sleep(0.05)  # polling for the file, with a deadline
        raise AssertionError(f"chromium did not start within {TIMEOUT} s")

    @staticmethod
    def _page(port: int) -> str:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT) as answer:
                pages = [target for target in json.load(answer) if target["type"] == "page"]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise AssertionError("chromium has no page")

    def call(self, method: str, **params: Any) -> dict:
        """A DevTools command and its result (the events that come meanwhile are dropped)."""
        number = next(self._ids)
        self.socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == number:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (a promise's, once it settles)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = TIMEOUT) -> Any:
        """Poll a JavaScript expression until it is truthy (an error, while the page loads, is
        falsy); its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(f"(() => {{ try {{ return ({expression}); }} catch (error) {{ return null; }} }})()")
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"{expression} still {value!r} after {timeout} s; page: {self.text()[:500]!r}")
            time.sleep(0.1)  # polling the page, with a deadline

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def size(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Show the page as a screen of `width` x `height` CSS pixels (a phone's, with `mobile`)."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)

    def screenshot(self) -> bytes:
        """The page as it looks, PNG."""
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def close(self) -> None:
        try:
            self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(TIMEOUT)


def shown_frame(browser: Browser) -> int | None:
    """The test pattern's number of the frame on the page's canvas, read from its pixels."""
    data = browser.evaluate("document.getElementById('frame').toDataURL('image/png')")
    picture = cv2.imdecode(np.frombuffer(base64.b64decode(data.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
    return card_number(picture)
