"""web.py, the gateway to browsers: its page in a real headless chromium (frames that move, their
age, the numbers in three columns, a phone's screen, the words when the server stops and the
recovery), and its HTTP port as a classroom's hostile network would try it, with raw sockets."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from support.browser import Browser, shown_frame
from support.classroom import classroom
from support.numbers import sent_arrays, start_server
from support.paths import ROOT, VIDEO
from support.scripts import TIMEOUT
from support.video import start_video_server

WEB = ROOT / "web.py"
# The tests with a browser run one after the other on one worker (see pyproject.toml): one chromium
# for them all, and the other workers keep their share of the cores.
BROWSER = pytest.mark.xdist_group("browser")
DOCS = ROOT / "docs"


def start_gateway(run, upstream: str, *args: str):
    """web.py between `upstream` and a port the system picks; the script and its page's address."""
    gateway = run(WEB, "--connect", upstream, "--http", "127.0.0.1:0", *args)
    return gateway, gateway.expect(r"^Serving (http://\S+/) to browsers")[1]


def get(url: str, timeout: float = TIMEOUT) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def status(page: str) -> dict:
    return json.loads(get(page + "status.json")[1])


def newest_frame(page: str) -> bytes:
    """/frame.jpg, once there is one (503 until the first frame came)."""
    deadline = time.monotonic() + TIMEOUT
    while (answer := get(page + "frame.jpg"))[0] != 200:
        assert time.monotonic() < deadline, (answer, status(page))
        time.sleep(0.1)  # polling, with a deadline
    return answer[1]


def save_screenshot(browser: Browser, name: str) -> None:
    """With SAVE_SCREENSHOT=1, the page as the test sees it, for docs/ (as test_windows.py does)."""
    if os.environ.get("SAVE_SCREENSHOT"):
        (DOCS / name).write_bytes(browser.screenshot())


@BROWSER
def test_the_page_shows_the_frames_as_they_come_and_how_old_they_are(run, browser):
    _, address = start_video_server(run, "--jpeg", "80")
    gateway, page = start_gateway(run, address)
    browser.open(page)
    browser.wait_for("window.shown.frames > 0", timeout=5)  # the 5 s
    first = shown_frame(browser)
    browser.wait_for(f"window.shown.frame > {first} + 5")
    second = shown_frame(browser)
    assert first is not None and second is not None and second > first, (first, second)
    ages = [browser.wait_for("window.shown.age !== null && window.shown.age + 1") - 1 for _ in range(5)]
    assert min(ages) < 500, ages
    assert re.search(r"[\d.]+ frames/s · age \d+ ms · frame \d+ · 640x360", browser.text())
    gateway.expect(r"^viewer 127\.0\.0\.1:\d+ joined \(/stream\.mjpg; 1 watching\)$")
    browser.wait_for(f"window.shown.frames > {browser.evaluate('window.shown.frames')} + 30")  # a second's rate
    save_screenshot(browser, "web-video.png")


@BROWSER
def test_the_numbers_page_shows_what_each_client_prints_in_its_column(run, browser):
    server, address = start_server(run, "--interval", "0.2")
    gateway, page = start_gateway(run, address)
    browser.open(page)
    browser.wait_for("document.querySelectorAll('#all li').length >= 4")
    columns = browser.evaluate(
        "Object.fromEntries(['even', 'odd', 'all'].map((id) => [id, [...document.querySelectorAll(`#${id} li`)]"
        ".map((li) => [Number(li.dataset.seq), li.textContent.split('\\n').slice(1).map(Number)])]))"
    )
    save_screenshot(browser, "web-numbers.png")
    arrays = sent_arrays(server)  # what the server printed, by number
    seqs = [seq for seq, _ in columns["all"]]
    assert seqs == sorted(seqs, reverse=True), "newest first"
    for seq, values in columns["all"]:
        assert values == arrays[seq]
    for seq, values in columns["even"]:
        assert values == arrays[seq][0::2]
    for seq, values in columns["odd"]:
        assert values == arrays[seq][1::2]


@BROWSER
def test_on_a_phone_held_upright_the_picture_fits_with_nothing_to_scroll_sideways(run, browser):
    _, address = start_video_server(run, "--width", "1280", "--height", "720", "--jpeg", "80", "--fps", "15")
    _, page = start_gateway(run, address)
    browser.size(390, 844, mobile=True)  # the fixture puts it back
    browser.open(page)
    browser.wait_for("window.shown.frames > 20")  # a second's rate and more, for the line
    layout = browser.evaluate(
        "(() => { const r = document.getElementById('frame').getBoundingClientRect();"
        " return {scroll: document.documentElement.scrollWidth, inner: innerWidth, left: r.left, right: r.right,"
        " top: r.top, bottom: r.bottom, height: innerHeight}; })()"
    )
    assert layout["scroll"] <= layout["inner"] == 390, layout
    assert 0 <= layout["left"] and layout["right"] <= 390 and layout["bottom"] <= layout["height"], layout
    save_screenshot(browser, "web-phone.png")


@BROWSER
def test_the_page_says_why_nothing_comes_and_recovers_by_itself(run, browser):
    server, address = start_video_server(run, "--width", "320", "--height", "180", "--jpeg", "80")
    _, page = start_gateway(run, address)
    browser.open(page)
    browser.wait_for("window.shown.frames > 0")
    assert server.interrupt() == 0
    # The video client's words: no data for 3 s, then nothing listens there (the gateway retries).
    browser.wait_for(
        "/no data from tcp:|nothing listens at tcp:/.test(document.getElementById('news').textContent)", timeout=10
    )
    port = address.rsplit(":", 1)[1]
    start_video_server(run, "--width", "320", "--height", "180", "--jpeg", "80", "--bind", f"tcp://127.0.0.1:{port}")
    before = browser.evaluate("window.shown.frames")
    browser.wait_for(f"window.shown.frames > {before} + 5")
    browser.wait_for("document.getElementById('news').textContent === ''", timeout=5)


# --- the HTTP port, as a classroom's network may try it: raw sockets, as an attacker writes them


def ask(page: str, raw: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send `raw` to the gateway and read its answer until it closes the connection."""
    host, port = re.match(r"http://([\d.]+):(\d+)/", page).groups()
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_hostile_requests_are_refused_each_said_once_with_the_address(run, log_file):
    _, address = start_video_server(run, "--width", "320", "--height", "180", "--jpeg", "80")
    gateway, page = start_gateway(run, address)
    cases = [  # one of each kind: what is sent, the status line expected, what the terminal says
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", b"405", r"the method 'POST'"),
        (b"GET /../../etc/passwd HTTP/1.1\r\n\r\n", b"404", r"the path '/../../etc/passwd'"),
        (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", b"400", r"a request line over 4 KiB"),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n", b"431", r"a header over 4 KiB"),
        (b"GET / HTTP/1.1\r\n" + b"X-Many: 1234567890\r\n" * 600 + b"\r\n", b"431", r"headers over 8 KiB"),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", b"400", r"not an HTTP request"),
    ]
    for raw, code, words in cases:
        for _ in range(2):  # twice: said once
            answer = ask(page, raw)
            assert answer.startswith(b"HTTP/1.1 " + code), (raw[:40], answer[:80])
        gateway.expect(
            rf"^web\.py: refused 127\.0\.0\.1:\d+: {re.escape(words)}.* \({code.decode()}\)$", stream="stderr"
        )
    # More of a kind said already: refused as well, and not said again (but logged).
    assert b"Allow: GET, HEAD" in ask(page, b"DELETE /status.json HTTP/1.1\r\n\r\n")
    for path in (b"/web.py", b"/pubsub_demo/web/page.html", b"/errors_log.log", b"//etc/passwd", b"/%2e%2e/web.py"):
        assert ask(page, b"GET " + path + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
    assert ask(page, b"HEAD / HTTP/1.1\r\n\r\n").endswith(b"\r\n\r\n")  # HEAD: the head only
    stderr = "\n".join(gateway.stderr)
    for _, _, words in cases:
        assert len(re.findall(re.escape(words), stderr)) == 1, words
    assert not any("DELETE" in line or "web.py'" in line for line in gateway.stderr)
    log = log_file.read_text()
    assert re.search(r"GATEWAY WARNING: refused 127\.0\.0\.1:\d+: the method 'POST'", log)
    assert re.search(r"GATEWAY WARNING: refused 127\.0\.0\.1:\d+: the method 'DELETE'", log)


def test_a_connection_that_never_finishes_its_request_is_dropped_within_seconds(run):
    _, address = start_video_server(run, "--width", "320", "--height", "180", "--jpeg", "80")
    gateway, page = start_gateway(run, address)
    host, port = re.match(r"http://([\d.]+):(\d+)/", page).groups()
    slow = [socket.create_connection((host, int(port)), timeout=TIMEOUT) for _ in range(3)]
    started = time.monotonic()
    for connection in slow:
        connection.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")  # and never the rest
    for connection in slow:
        assert connection.recv(100) == b""  # closed by the gateway
        connection.close()
    assert time.monotonic() - started < 8  # REQUEST_TIMEOUT is 5 s
    gateway.expect(r"^web\.py: refused 127\.0\.0\.1:\d+: no whole request within 5 s: dropped$", stream="stderr")
    assert sum("no whole request" in line for line in gateway.stderr) == 1
    assert get(page + "status.json")[0] == 200  # and the others are still served


def test_at_most_max_viewers_watch_the_next_gets_503(run):
    _, address = start_video_server(run, "--width", "320", "--height", "180", "--jpeg", "80")
    gateway, page = start_gateway(run, address, "--max-viewers", "2")
    host, port = re.match(r"http://([\d.]+):(\d+)/", page).groups()
    viewers = []
    for count in (1, 2):
        viewer = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        viewer.sendall(b"GET /stream.mjpg HTTP/1.1\r\n\r\n")
        assert viewer.recv(12) == b"HTTP/1.1 200"
        viewers.append(viewer)
        gateway.expect(rf"^viewer 127\.0\.0\.1:\d+ joined \(/stream\.mjpg; {count} watching\)$")
    answer = ask(page, b"GET /events HTTP/1.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 503") and b"Retry-After" in answer
    gateway.expect(r"^web\.py: refused 127\.0\.0\.1:\d+: 2 viewers watch already", stream="stderr")
    viewers.pop().close()
    gateway.expect(r"^viewer 127\.0\.0\.1:\d+ left \(1 watching\)$")
    assert status(page)["watching"] == 1
    assert newest_frame(page)[:2] == b"\xff\xd8"  # short answers are no viewers: still served
    # The second place is free again: /events, which at a video server tells each frame's number and time.
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as events:
        events.sendall(b"GET /events HTTP/1.1\r\n\r\n")
        stream = events.makefile("rb")
        assert stream.readline().startswith(b"HTTP/1.1 200")
        data = next(line for line in iter(stream.readline, b"") if line.startswith(b"data: "))
        event = json.loads(data[len(b"data: ") :])
        assert event["frame"] >= 0 and abs(time.time() - event["sent"]) < 5, event
    for viewer in viewers:
        viewer.close()


def read_parts(viewer: socket.socket, seconds: float) -> list[tuple[int, bytes]]:
    """The frames an MJPEG viewer reads for `seconds`: (number, JPEG bytes) each."""
    stream = viewer.makefile("rb")
    assert stream.readline().startswith(b"HTTP/1.1 200")
    while stream.readline() not in (b"\r\n", b""):  # the answer's head
        pass
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        head = {}
        while (line := stream.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            head[name.strip().lower()] = value.strip()
        if "content-length" in head:
            frames.append((int(head["x-frame"]), stream.read(int(head["content-length"]) + 2)[:-2]))
    return frames


@pytest.mark.xdist_group("timing")  # frames per viewer: what the cores give the gateway
def test_30_viewers_each_get_the_newest_frames_and_a_stalled_one_costs_them_nothing(run):
    server, address = start_video_server(run, "--width", "320", "--height", "180", "--jpeg", "80", "--fps", "20")
    gateway, page = start_gateway(run, address)
    host, port = re.match(r"http://([\d.]+):(\d+)/", page).groups()
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: it fills at once
    stalled.connect((host, int(port)))
    stalled.sendall(b"GET /stream.mjpg HTTP/1.1\r\n\r\n")  # and never reads
    gateway.expect(r"^viewer 127\.0\.0\.1:\d+ joined \(/stream\.mjpg; 1 watching\)$")
    viewers = [socket.create_connection((host, int(port)), timeout=TIMEOUT) for _ in range(30)]
    for viewer in viewers:
        viewer.sendall(b"GET /stream.mjpg HTTP/1.1\r\n\r\n")
    gateway.expect(r"^viewer 127\.0\.0\.1:\d+ joined \(/stream\.mjpg; 31 watching\)$")
    results: dict[int, list[tuple[int, bytes]]] = {}
    readers = [
        threading.Thread(target=lambda k=k, v=v: results.__setitem__(k, read_parts(v, 3.0)))
        for k, v in enumerate(viewers)
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(TIMEOUT)
    for viewer in viewers:
        viewer.close()
    jpeg_of: dict[int, bytes] = {}
    for frames in results.values():
        numbers = [number for number, _ in frames]
        assert len(frames) >= 20, numbers  # 3 s of 20 frames/s: at least a third of them, on a busy machine
        assert numbers == sorted(set(numbers)), "in order, none twice"
        for number, jpeg in frames:  # one encoding for all: the same bytes to every viewer
            assert jpeg_of.setdefault(number, jpeg) == jpeg
    assert len(results) == 30
    # The stalled viewer has been holding one frame all along; after 10 s of it, it is dropped.
    gateway.expect(r"^viewer 127\.0\.0\.1:\d+ left, dropped: it took nothing for 10 s \(\d+ watching\)$")
    stalled.close()


@pytest.mark.xdist_group("timing")  # how old frames are: what the cores give the gateway
def test_a_slow_viewer_gets_the_newest_frames_never_a_queue(run):
    """A viewer that takes 3 frames a second of 30 (a phone on a busy Wi-Fi): it skips frames and
    what it gets stays new; a queue of every frame would be seconds behind within seconds."""
    _, address = start_video_server(run, "--width", "1280", "--height", "720", "--jpeg", "80")
    _, page = start_gateway(run, address)
    host, port = re.match(r"http://([\d.]+):(\d+)/", page).groups()
    with socket.socket() as viewer:
        viewer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)  # before connect: its window
        viewer.settimeout(TIMEOUT)
        viewer.connect((host, int(port)))
        viewer.sendall(b"GET /stream.mjpg HTTP/1.1\r\n\r\n")
        stream = viewer.makefile("rb")
        while stream.readline() not in (b"\r\n", b""):  # the answer's head
            pass
        got = []  # (frame number, seconds since the server sent it)
        started = time.monotonic()
        while time.monotonic() - started < 5:
            head = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                head[name.strip().lower()] = value.strip()
            stream.read(int(head["content-length"]) + 2)
            got.append((int(head["x-frame"]), time.time() - float(head["x-sent"])))
            time.sleep(1 / 3)  # a slow viewer: 3 frames a second
    late = [age for _, age in got if age > 2]
    numbers = [number for number, _ in got]
    assert len(got) >= 8 and late == [], got  # a queue: 0.3 s later each frame, 4.5 s behind at the end
    assert numbers[-1] - numbers[0] > 3 * len(numbers), numbers  # it skipped frames: 30 a second were sent


def test_share_lets_a_students_browser_in_at_the_address_printed(run, tmp_path):
    with classroom("teacher", "student") as network:
        teacher = network.hosts["teacher"]
        server = run(VIDEO / "server.py", "--bind", "tcp://127.0.0.1:*", "--no-window", "--jpeg", "80",
                     "--width", "320", "--height", "180", prefix=teacher.command())  # fmt: skip
        address = server.expect(r"Publishing on (\S+) ")[1]
        gateway = run(WEB, "--connect", address, "--http", "127.0.0.1:0", "--share", prefix=teacher.command())
        gateway.expect(rf"^Serving http://\S+/ to browsers, from {re.escape(address)}; this computer's addresses: ")
        page = gateway.expect(rf"^students open: (http://{re.escape(teacher.address)}:\d+/)$")[1]
        gateway.expect(r"^[█▀▄ ]{20,}$")  # the QR code, drawn in the terminal
        fetch = tmp_path / "fetch.py"  # a student's browser, in short: the status, then a frame
        fetch.write_text(
            "import sys, urllib.request as u\n"
            "print(u.urlopen(sys.argv[1] + 'status.json', timeout=10).read().decode())\n"
            "print(u.urlopen(sys.argv[1] + 'frame.jpg', timeout=10).read()[:2].hex())\n"
            "print(u.urlopen(sys.argv[1] + 'stream.mjpg', timeout=10).read(200).split(b'\\r\\n')[0].decode())\n"
        )
        student = run(fetch, page, log=False, prefix=network.hosts["student"].command())
        assert student.wait() == 0, student.stderr
        state = json.loads(student.stdout[0])
        assert state["share"] == page and state["qr"].startswith("data:image/svg+xml")
        assert student.stdout[1] == "ffd8"  # a JPEG image
        assert student.stdout[2] == "--frame"  # and the stream, whose viewer the gateway names by its address
        student_address = re.escape(network.hosts["student"].address)
        gateway.expect(rf"^viewer {student_address}:\d+ joined \(/stream\.mjpg; 1 watching\)$")
        gateway.expect(rf"^viewer {student_address}:\d+ left \(0 watching\)$")


def test_curve_keys_as_a_clients(run, tmp_path):
    from pubsub_demo import keys

    keys.generate(tmp_path / "keys", 1)
    _, address = start_video_server(
        run, "--width", "320", "--height", "180", "--jpeg", "80", "--curve", str(tmp_path / "keys" / "server")
    )
    with_keys, page = start_gateway(run, address, "--curve", str(tmp_path / "keys" / "client1"))
    without, bare_page = start_gateway(run, address)
    assert newest_frame(page)[:2] == b"\xff\xd8"
    without.expect(r"the server at \S+ requires CURVE keys: start with --curve KEYDIR", stream="stderr")
    deadline = time.monotonic() + TIMEOUT
    while "requires CURVE keys" not in (state := status(bare_page))["news"] and time.monotonic() < deadline:
        time.sleep(0.1)  # the page's news is the gateway's, from another thread: polled, with a deadline
    assert "requires CURVE keys" in state["news"] and state["kind"] is None
    code, body = get(bare_page + "frame.jpg")
    assert code == 503 and b"requires CURVE keys" in body


def test_demo_web_starts_a_server_and_the_gateway_and_opens_the_page(run, tmp_path):
    opened = tmp_path / "opened"
    browser = tmp_path / "browser"  # stands for the default browser: writes down what it was asked to open
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    demo = run(ROOT / "demo.py", "web", "--no-window", "--address", f"ipc://{tmp_path}/web.sock",
               "--width", "320", "--height", "180", env={**os.environ, "BROWSER": str(browser)})  # fmt: skip
    page = demo.expect(r"^web +\| Serving (http://127\.0\.0\.1:\d+/) to browsers")[1]
    deadline = time.monotonic() + TIMEOUT
    while not (opened.exists() and opened.read_text().strip()):
        assert time.monotonic() < deadline, "the page was not opened"
        time.sleep(0.1)  # polling for the browser's file, with a deadline
    assert opened.read_text().strip() == page
    while status(page)["kind"] != "video":
        assert time.monotonic() < deadline, status(page)
        time.sleep(0.1)
    assert demo.interrupt() == 0


@pytest.mark.xdist_group("heavy")  # keeps the cores busy: one such test at a time (see pyproject.toml)
def test_the_web_benchmark_runs_and_reports_both_ways(run):
    """Its smoke run, the slow link's scene only (it needs root, as CI has: else it says why not)."""
    bench = run(ROOT / "benchmarks" / "web_viewers.py", "--smoke", "--scenes", "2", log=False)
    assert bench.wait(120) == 0, bench.stderr
    output = "\n".join(bench.stdout)
    if "scene 2 left out: " in output:
        assert not os.environ.get("CI"), output
        return
    for figure in (
        r"ours \(web\.py\): per viewer [\d.]+-[\d.]+ frames/s .* the gateway [\d.]+ of a core, \d+ threads",
        r"ours \(web\.py\), the slow viewer: [\d.]+ frames/s, age at the median \d+ ms, worst \d+ ms",
        r"the usual way: per viewer [\d.]+-[\d.]+ frames/s",
        r"the usual way, the slow viewer: [\d.]+ frames/s",
    ):
        assert re.search(figure, output), (figure, output)


def test_a_port_in_use_or_a_bad_http_address_is_one_line_and_an_exit_code(run, log_file):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        busy = run(WEB, "--http", f"127.0.0.1:{port}")
        assert busy.wait() == 1
    assert busy.stderr == [
        f"web.py: cannot listen on http://127.0.0.1:{port}/: Address already in use: is another web.py running "
        "there? --http HOST:PORT takes another port"
    ]
    assert "GATEWAY ERROR: Exception of type OSError" in log_file.read_text()
    bad = run(WEB, "--http", "localhost")
    assert bad.wait() == 2
    assert bad.stderr == [
        "web.py: error: argument --http: localhost is not HOST:PORT (such as 127.0.0.1:8080) (see --help)"
    ]
