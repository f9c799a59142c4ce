"""The classroom, across machines: a teacher's host and students' hosts, each a Linux network
namespace with a network stack of its own, joined by a bridge (see netns.py).

These tests need root and iproute2. Without them they are skipped on a developer's machine,
but they fail in CI (where CI=true), which runs as root and installs iproute2.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.classroom import classroom
from support.namespaces import Network
from support.paths import NUMBERS, ROOT, VIDEO
from support.scripts import TIMEOUT
from support.video import FRAME_LINE

# On one worker, one after the other: one network of namespaces for all of them (see pyproject.toml).
pytestmark = pytest.mark.xdist_group("classroom")

SLOW_LINK = "2mbit"  # the teacher's link in the slow-link test: a fifth of what the server sends
SLOW_WINDOW = 4.0  # seconds the slow-link test watches the frames; its first second is not counted
DIAGNOSIS_TIME = 5.0  # seconds: the clients aim at 3; the rest is room for a loaded 2-core machine


@pytest.fixture(scope="module")
def network():
    with classroom("teacher", "student1", "student2", "student3", "student4", "away") as network:
        network.unplug(network.hosts["away"])  # a machine of the test whose link is down
        yield network


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Path:
    """Two classes' key folders: keys/ for this class, other/ for another."""
    folder = tmp_path_factory.mktemp("keys")
    from pubsub_demo import keys as making

    making.generate(folder / "class", 2)
    making.generate(folder / "other", 1)
    making.generate(folder / "class3", 3)  # for the demo's three clients
    unlisted = folder / "unlisted"  # our server's key, but a key pair the server does not know
    unlisted.mkdir()
    for name in ("client.key", "client.key_secret"):
        shutil.copy(folder / "other" / "client1" / name, unlisted / name)
    shutil.copy(folder / "class" / "client1" / "server.key", unlisted / "server.key")
    return folder


def on(network: Network, name: str) -> list[str]:
    return network.hosts[name].command()


def teacher_server(run, network: Network, *args: str):
    """The numbers server on the teacher's host, bound to all its addresses; its port."""
    server = run(
        NUMBERS / "server.py", "--bind", "tcp://*:*", "--interval", "0.2", *args, prefix=on(network, "teacher")
    )
    port = server.expect(r"Publishing on tcp://\S+:(\d+)")[1]
    return server, port


def diagnosed(client, pattern: str) -> float:
    """Wait for the client's diagnosis; how long it took from the client's start."""
    started = time.monotonic()
    client.expect(pattern, stream="stderr", timeout=DIAGNOSIS_TIME)
    return time.monotonic() - started


def test_a_student_receives_from_the_teachers_machine(run, network):
    server, port = teacher_server(run, network, "--messages", "100")
    teacher = network.hosts["teacher"].address
    students = [
        run(NUMBERS / "client3.py", "--connect", f"tcp://{teacher}:{port}", "--messages", "3", prefix=on(network, name))
        for name in ("student1", "student2")
    ]
    for student in students:
        assert student.wait() == 0
        assert len(student.stdout) == 18
    assert server.interrupt() == 0


@pytest.mark.parametrize(
    "case",
    ["no server", "no --share", "unknown host", "unreachable", "no keys", "another class's keys", "pickle server"],
)
def test_each_cause_gets_its_own_diagnosis(run, network, keys, case):
    teacher, away = network.hosts["teacher"].address, network.hosts["away"].address
    student_args: list[str] = []
    if case == "no server":
        address, expected = f"tcp://{teacher}:5687", r"nothing listens at tcp://\S+ \(connection refused, or no route"
    elif case == "no --share":  # the teacher's server runs, but lets in only its own computer
        local = run(NUMBERS / "server.py", "--bind", "tcp://127.0.0.1:*", prefix=on(network, "teacher"))
        port = local.expect(r"Publishing on tcp://127\.0\.0\.1:(\d+);")[1]
        address, expected = f"tcp://{teacher}:{port}", r"nothing listens at \S+ .*is that server started with --share\?"
    elif case == "unknown host":
        address, expected = (
            "tcp://no-such-host.invalid:5687",
            r"the host name in tcp://no-such-host.invalid:5687 does not resolve",
        )
    elif case == "unreachable":
        address, expected = (
            f"tcp://{away}:5687",
            rf"nothing listens at tcp://{away}:5687 \(connection refused, or no route",
        )
    else:
        server_args = {
            "no keys": ["--curve", str(keys / "class" / "server")],
            "another class's keys": ["--curve", str(keys / "class" / "server")],
            "pickle server": ["--pickle"],
        }[case]
        _, port = teacher_server(run, network, *server_args)
        address = f"tcp://{teacher}:{port}"
        expected = {
            "no keys": r"requires CURVE keys: start with --curve",
            "another class's keys": r"the CURVE handshake with \S+ failed: our key is not on the server's list, "
            r"or the server is not the one our server.key names \(ask the teacher for this class's key folder\)$",
            "pickle server": r"receiving messages it cannot read from \S+: received a pickle",
        }[case]
        if case == "another class's keys":
            student_args = ["--curve", str(keys / "other" / "client1")]
        if case == "pickle server":
            student_args = ["--silence", "1"]
    client = run(NUMBERS / "client1.py", "--connect", address, *student_args, prefix=on(network, "student1"))
    client.expect(rf"connecting to {address}", stream="stderr")
    took = diagnosed(client, expected)
    print(f"{case}: said in {took:.1f} s")
    assert client.process.poll() is None  # it goes on waiting, and would connect once things are right
    assert client.interrupt() == 0
    assert not any("Traceback" in line for line in client.stderr)


def test_the_command_the_teacher_is_shown_works_as_pasted(run, network, keys):
    server = run(
        NUMBERS / "server.py",
        "--share",
        "--bind",
        "tcp://127.0.0.1:*",
        "--interval",
        "0.2",
        "--curve",
        str(keys / "class" / "server"),
        prefix=on(network, "teacher"),
    )
    server.expect(r"Publishing on tcp://\S+; this computer's addresses: 10\.213\.47\.1;")
    command = server.expect(
        r"^students run: (python random_numbers_transmission/client1\.py --connect \S+ --curve \S+)$"
    )[1]
    assert "--connect tcp://10.213.47.1:" in command
    pasted = command.replace("clientN", "client2") + " --messages 2"  # student 2 got the folder client2
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # `python` is ours
    student = subprocess.run(
        [*on(network, "student2"), "bash", "-c", pasted],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert student.returncode == 0, student.stderr
    assert len(student.stdout.split()) == 6  # 2 arrays, 3 values of each
    server.expect(rf"^client2 \({network.hosts['student2'].address}\) joined \(1 connected\)$")
    server.expect(rf"^client2 \({network.hosts['student2'].address}\) left \(0 connected\)$")
    assert server.interrupt() == 0


def test_the_command_pasted_with_clientN_left_as_it_is_says_to_put_the_number(run, network, keys, tmp_path):
    server = run(
        NUMBERS / "server.py", "--share", "--curve", str(keys / "class" / "server"), prefix=on(network, "teacher")
    )
    command = server.expect(r"^students run: (python \S+ --connect \S+ --curve \S+)$")[1]
    assert command.endswith("/clientN")
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")  # `python` is ours
    student = subprocess.run(
        [*on(network, "student1"), "bash", "-c", f"{command} --log-file {tmp_path / 'student.log'}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert student.returncode == 1
    assert student.stderr.splitlines() == [
        f"client1.py: there is no key folder {keys / 'class'}/clientN: put your student number for N "
        f"(--curve {keys / 'class'}/client7 for student 7)"
    ]
    assert server.interrupt() == 0


def test_a_server_without_curve_says_once_that_a_student_uses_keys(run, network, keys, log_file):
    """The teacher forgot --curve; a student uses the key folder: one line for that student,
    and no joined/left lines, however often the student knocks."""
    server, port = teacher_server(run, network)
    student = network.hosts["student1"].address
    client = run(
        NUMBERS / "client1.py",
        "--connect",
        f"tcp://{network.hosts['teacher'].address}:{port}",
        "--curve",
        str(keys / "class" / "client1"),
        "--silence",
        "1",  # it connects again each second
        prefix=on(network, "student1"),
    )
    client.expect(r"does not use CURVE: start without --curve", stream="stderr")
    server.expect(
        rf"^server\.py: refused {student}: it uses CURVE keys, and this server does not "
        r"\(start it with --curve KEYDIR/server\)$",
        stream="stderr",
    )
    time.sleep(5)  # a measuring window: the student knocks again about once a second
    assert client.interrupt() == 0 and server.interrupt() == 0
    news = [line for line in server.stdout if not line.startswith(("sent #", "Publishing on", "students run"))]
    assert news == [] and len(server.stderr) == 1, (news, server.stderr)
    assert not any("?" in line for line in server.stdout + server.stderr if "sent #" not in line)
    log = log_file.read_text()
    assert re.search(r"refused 10\.213\.47\.\d: it uses CURVE keys.* and \d+ more like it", log), (
        log
    )  # it knocked again


def test_a_loopback_server_says_only_this_computer_can_connect(run):
    server = run(NUMBERS / "server.py", "--bind", "tcp://127.0.0.1:*", "--messages", "1")
    assert server.wait() == 0
    assert "only this computer can connect (--share lets the students' computers in)" in server.stdout[0]


def test_the_teacher_sees_students_join_and_leave_even_without_a_goodbye(run, network):
    server, port = teacher_server(run, network)
    idle, idle_port = teacher_server(run, network, "--interval", "3600")  # one array, then nothing for an hour
    teacher = network.hosts["teacher"].address
    students = {
        name: run(NUMBERS / "client3.py", "--connect", f"tcp://{teacher}:{port}", prefix=on(network, name))
        for name in ("student1", "student2")
    }
    addresses = {network.hosts[name].address for name in students}
    joined = {server.expect(r"^client (\S+) joined \((\d) connected\)$")[1] for _ in students}
    assert joined == addresses
    for student in students.values():
        student.expect(r"^\d")
    waiting = run(NUMBERS / "client3.py", "--connect", f"tcp://{teacher}:{idle_port}", prefix=on(network, "student4"))
    idle.expect(rf"^client {network.hosts['student4'].address} joined \(1 connected\)$")

    students["student1"].process.kill()  # SIGKILL: no goodbye from the program, but its system closes the connection
    server.expect(rf"^client {network.hosts['student1'].address} left \(1 connected\)$")

    # Laptops that leave the Wi-Fi: nothing reaches the teacher any more. One was receiving: what
    # the server sends goes unacknowledged. The other's server sends nothing: TCP's keepalive asks.
    for name in ("student2", "student4"):
        network.unplug(network.hosts[name])
    started = time.monotonic()
    for script in (students["student2"], waiting):
        script.process.kill()
    server.expect(rf"^client {network.hosts['student2'].address} left \(0 connected\)$", timeout=20)
    receiving = time.monotonic() - started
    idle.expect(rf"^client {network.hosts['student4'].address} left \(0 connected\)$", timeout=20)
    silent = time.monotonic() - started
    print(f"a student whose link went down was seen to leave after {receiving:.1f} s, one sent nothing {silent:.1f} s")
    assert receiving < 15 and silent < 15
    assert server.interrupt() == 0 and idle.interrupt() == 0


def test_the_teacher_sees_who_was_refused(run, network, keys):
    server, port = teacher_server(run, network, "--curve", str(keys / "class" / "server"))
    teacher = network.hosts["teacher"].address
    student = network.hosts["student1"].address
    unlisted = run(
        NUMBERS / "client1.py",
        "--connect",
        f"tcp://{teacher}:{port}",
        "--curve",
        str(keys / "unlisted"),
        prefix=on(network, "student1"),
    )
    server.expect(rf"refused {student}: key not authorized", stream="stderr")
    stranger = run(
        NUMBERS / "client1.py",
        "--connect",
        f"tcp://{teacher}:{port}",
        "--curve",
        str(keys / "other" / "client1"),
        prefix=on(network, "student3"),
    )
    server.expect(
        rf"refused {network.hosts['student3'].address}: its handshake failed "
        r"\(does it hold another server's key\?\)",
        stream="stderr",
    )
    keyless = run(NUMBERS / "client1.py", "--connect", f"tcp://{teacher}:{port}", prefix=on(network, "student1"))
    server.expect(rf"refused {network.hosts['student1'].address}: it has no CURVE keys", stream="stderr")
    member = run(
        NUMBERS / "client1.py",
        "--connect",
        f"tcp://{teacher}:{port}",
        "--curve",
        str(keys / "class" / "client1"),
        prefix=on(network, "student1"),
    )
    server.expect(rf"^client1 \({network.hosts['student1'].address}\) joined \(1 connected\)$")
    member.expect(r"^\d")
    for script in (unlisted, stranger, keyless, member, server):
        assert script.interrupt() == 0
    assert len(server.stderr) == len(set(server.stderr))  # each said once, though they knock again and again


def test_the_demo_on_the_projector_sends_the_students_jpeg(run, network, keys):
    """`demo.py video --share --curve keys`, as the README has it: the server sends JPEG (raw
    frames are more than Wi-Fi carries), the demo says whose its clients are, and a student with
    a key folder of the class receives."""
    teacher = network.hosts["teacher"].address
    demo = run(
        ROOT / "demo.py",
        "video",
        "--no-window",
        "--share",
        "--curve",
        str(keys / "class3"),
        "--width",
        "640",
        "--height",
        "360",
        "--fps",
        "10",
        log=False,
        prefix=on(network, "teacher"),
    )
    demo.expect(
        r"^demo\.py: client1 and client2 run here, for the projector; the students run the command", stream="stderr"
    )
    demo.expect(
        r"^server\s*\| Publishing on tcp://\S+:5688 at 10 frames/s, JPEG quality 80; "
        rf"this computer's addresses: {re.escape(teacher)};"  # a machine of its own: one address, the students'
    )
    command = demo.expect(
        rf"^server\s*\| students run: python (video_transmission/client1.py) --connect (tcp://{teacher}:5688) "
        rf"--curve {keys / 'class3'}/clientN$"
    )
    for client in ("client1", "client2"):
        demo.expect(rf"^{client}\s*\| Client \d: \d+\.\d frames/s")
    student = run(
        ROOT / command[1],
        "--connect",
        command[2],
        "--curve",
        str(keys / "class3" / "client3"),
        "--no-window",
        prefix=on(network, "student1"),
    )
    student.expect(r"^Client 1: [\d.]+ frames/s")  # a second that may have begun before the first frame
    received = student.expect(r"^Client 1: ([\d.]+) frames/s, ([\d.]+) MB/s")
    raw = 640 * 360 * 3 * float(received[1]) / 1e6
    print(f"the student receives {received[2]} MB/s; raw frames would be {raw:.1f} MB/s")
    assert float(received[1]) >= 5 and float(received[2]) < raw / 5  # JPEG, not raw frames
    assert student.interrupt() == 0 and demo.interrupt() == 0


@pytest.mark.parametrize(
    "args, says",
    [
        (["--share", "--raw"], r"^Publishing on tcp://\S+ at 10 frames/s; "),  # raw frames, asked for
        (["--share", "--jpeg", "50"], r"^Publishing on tcp://\S+ at 10 frames/s, JPEG quality 50; "),
        # Not shared: raw frames. No window: Ctrl+C alone stops it.
        ([], r"^Publishing on tcp://127\.0\.0\.1:5688 at 10 frames/s; only this computer .*; Ctrl\+C stops\.$"),
    ],
)
def test_what_a_shared_video_server_sends(run, network, args, says):
    server = run(
        VIDEO / "server.py", *args, "--no-window", "--fps", "10", "--frames", "1", prefix=on(network, "teacher")
    )
    server.expect(says)
    assert server.wait() == 0


def test_raw_and_jpeg_together_are_a_usage_error(run):
    server = run(VIDEO / "server.py", "--share", "--raw", "--jpeg", "80", "--no-window")
    assert server.wait() == 2
    assert server.stderr == ["server.py: error: --raw and --jpeg contradict each other: choose one (see --help)"]


def test_a_student_on_a_slow_link_gets_fresh_frames_not_a_queue_of_old_ones(run):
    """The video server keeps one frame for each client, the newest (ZMQ_CONFLATE), and the kernel
    keeps a few kB for a client on another computer: on a link too slow for its frames, a student
    gets fewer frames, each a fraction of a second old. A server that queued them instead (PUB's
    1000 messages and the kernel's megabytes) would show frames older and older."""
    network = Network()  # its own: the teacher's link is slowed down
    try:
        teacher, student = network.add("teacher"), network.add("student")
        slow_link = ["tc", "qdisc", "add", "dev", teacher.link, "root", "tbf", "rate", SLOW_LINK]
        subprocess.run(teacher.command(*slow_link, "burst", "32kbit", "latency", "50ms"), check=True, timeout=10)
        server = run(
            VIDEO / "server.py",
            "--bind",
            "tcp://*:*",
            "--no-window",
            "--width",
            "160",
            "--height",
            "90",
            prefix=teacher.command(),
        )  # 30 raw frames a second of 43 kB: 10 Mbit/s
        port = server.expect(r"Publishing on tcp://\S+:(\d+)")[1]
        client = run(
            VIDEO / "client1.py",
            "--connect",
            f"tcp://{teacher.address}:{port}",
            "--no-window",
            "--print-frames",
            prefix=student.command(),
        )
        client.expect(r"^frame \d+: ")
        started = time.monotonic()
        time.sleep(SLOW_WINDOW)  # a measuring window: the frames that made it over the slow link
        frames = [(FRAME_LINE.fullmatch(line), arrived) for line, arrived in zip(client.stdout, client.stdout_times)]
        latencies = [float(frame[5]) for frame, arrived in frames if frame and arrived > started + 1]
        for script in (client, server):
            assert script.interrupt() == 0
    finally:
        network.close()
    rate = len(latencies) / (SLOW_WINDOW - 1)
    print(f"over {SLOW_LINK}/s: {rate:.1f} frames/s, {min(latencies):.0f}-{max(latencies):.0f} ms old when shown")
    assert len(latencies) >= 3  # frames came over the link
    assert rate < 20  # fewer than the server sends (30 a second): it skips frames, rather than queue them
    assert max(latencies) < 1000  # and each one is fresh
