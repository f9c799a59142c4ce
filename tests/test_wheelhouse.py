"""How the students get the project: the teacher fills a folder once (python -m pubsub_demo.wheelhouse),
and each student installs from it with no internet, from a copy (a USB stick, a shared drive) or
served from the teacher's computer.

The teacher's command downloads wheels for Linux, macOS and Windows (some 410 MB a Python
version): too much for every test run. The tests fill the folder for this computer only
(--this-computer: the same command, one platform; pip takes the files from its index or cache,
some 100 MB, a few seconds), then install from it as a student does, in a new environment with
`--no-index` and no pip configuration, and run a client. Each install takes some 20 s.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from support.classroom import classroom
from support.paths import ROOT
from support.scripts import TIMEOUT

# With the tests that keep the cores busy, one after another (see pyproject.toml): pip installs,
# and one wheelhouse for all.
pytestmark = pytest.mark.xdist_group("heavy")

INSTALL_TIME = 300  # seconds: a new environment and 100 MB of wheels, on a loaded 2-core machine
# The Python a student types `python3` for: this one's, outside the tests' environment.
PYTHON = getattr(sys, "_base_executable", sys.executable)


def offline() -> dict[str, str]:
    """The environment of a student's computer: no pip configuration (no index, no other wheels)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_") and key != "PYTHONPATH"}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """The teacher's folder, for computers like this one."""
    assert "\n.venv/bin/python -m pubsub_demo.wheelhouse wheels\n" in (ROOT / "README.md").read_text()
    folder = tmp_path_factory.mktemp("teacher") / "wheels"
    made = subprocess.run(
        [sys.executable, "-m", "pubsub_demo.wheelhouse", str(folder), "--this-computer"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIME,
    )
    assert made.returncode == 0, made.stderr
    print(made.stdout)
    *_, elsewhere, windows = made.stdout.splitlines()
    assert elsewhere.endswith(
        "python3 -m venv .venv && .venv/bin/pip install --no-index --find-links wheels -r requirements.txt"
    )
    windows_install = r".venv\Scripts\pip install --no-index --find-links wheels -r requirements.txt"
    assert windows == f"on Windows: py -m venv .venv, then {windows_install}"
    names = [path.name for path in folder.iterdir()]
    for package in ("numpy", "pyzmq", "opencv_python", "psutil", "screeninfo", "setuptools", "wheel"):
        assert any(name.startswith(f"{package}-") and name.endswith(".whl") for name in names), (package, names)
    return folder


def unpack(wheelhouse: Path, where: Path) -> Path:
    """The project as a student gets it: pubsub-demo.zip unpacked; its folder."""
    with zipfile.ZipFile(wheelhouse / "pubsub-demo.zip") as archive:
        members = archive.namelist()
        archive.extractall(where)
    assert not any("keys" in Path(member).parts or ".venv" in Path(member).parts for member in members)
    return where / "pubsub-demo"


def test_the_project_zip_holds_what_a_student_needs_and_no_keys(wheelhouse, tmp_path):
    project = unpack(wheelhouse, tmp_path)
    scripts = sorted(path.name for path in ROOT.glob("*.py"))  # demo.py, relay.py, web.py and their bootstrap
    for needed in ("requirements.txt", "pyproject.toml", *scripts, "pubsub_demo/process/lifetime.py"):
        assert (project / needed).is_file(), needed
    assert sorted(path.name for path in (project / "random_numbers_transmission").glob("*.py")) == [
        "bootstrap.py",
        "client1.py",
        "client2.py",
        "client3.py",
        "server.py",
    ]


def test_a_student_installs_from_the_folder_without_the_internet_and_runs_a_client(wheelhouse, tmp_path):
    project = unpack(wheelhouse, tmp_path)
    shutil.copytree(wheelhouse, project / "wheels")  # the folder came with the project (a USB stick)
    install = "python3 -m venv .venv && .venv/bin/pip install --no-index --find-links wheels -r requirements.txt"
    assert f"\n{install}\n" in (ROOT / "README.md").read_text()  # the README's line for the students
    done = subprocess.run(
        ["bash", "-c", install.replace("python3", PYTHON, 1)],
        cwd=project,
        env=offline(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIME,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    python = project / ".venv" / "bin" / "python"
    address = f"ipc://{tmp_path}/numbers.sock"
    server = subprocess.Popen(
        [python, "random_numbers_transmission/server.py", "--bind", address, "--interval", "0.1"],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        client = subprocess.run(
            [python, "random_numbers_transmission/client3.py", "--connect", address, "--messages", "2"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(TIMEOUT)
    assert client.returncode == 0, client.stderr
    assert len(client.stdout.split()) == 12  # 2 arrays of 6 numbers
    assert server.returncode == 0, server.stderr.read()  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def network():
    with classroom("teacher", "student") as network:
        yield network


def test_students_install_from_the_teachers_computer_and_receive(run, network, wheelhouse, tmp_path):
    teacher, student = network.hosts["teacher"], network.hosts["student"]
    served = run(  # the teacher's command, as the README has it
        Path("-m"),
        "http.server",
        "8000",
        "--directory",
        str(wheelhouse),
        log=False,
        prefix=teacher.command(),
        env=dict(os.environ, PYTHONUNBUFFERED="1"),  # its lines at once, in a pipe too
    )
    served.expect(r"^Serving HTTP on .* port 8000")
    classroom = (ROOT / "docs" / "classroom.md").read_text()
    served_from = "http://10.213.47.1:8000/"  # the page's teacher is the tests' teacher
    install = f"--no-index --find-links {served_from} --trusted-host 10.213.47.1 -r requirements.txt"
    assert teacher.address == "10.213.47.1" and "python -m http.server 8000 --directory wheels" in classroom
    assert f".venv/bin/pip install {install}" in classroom
    server = run(
        ROOT / "random_numbers_transmission" / "server.py", "--share", "--interval", "0.2", prefix=teacher.command()
    )
    command = server.expect(r"^students run: python (\S+) --connect (\S+)$")
    # The student: the zip from the teacher's address (as a browser would fetch it), then the
    # README's install line with the served folder, and the command the server printed.
    fetch = f"import urllib.request; urllib.request.urlretrieve('{served_from}pubsub-demo.zip', 'pubsub-demo.zip')"
    steps = " && ".join(
        [
            f'{PYTHON} -c "{fetch}"',
            f"{PYTHON} -m zipfile -e pubsub-demo.zip .",
            "cd pubsub-demo",
            f"{PYTHON} -m venv .venv",
            f".venv/bin/pip install {install}",
            f".venv/bin/python {command[1]} --connect {command[2]} --messages 2",
        ]
    )
    done = subprocess.run(
        [*student.command("bash", "-c", steps)],
        cwd=tmp_path,
        env=offline(),
        capture_output=True,
        text=True,
        timeout=INSTALL_TIME,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    values = [float(line) for line in done.stdout.splitlines()[-6:]]  # after pip's lines: 2 arrays, 3 values each
    assert len(values) == 6 and all(0 <= value <= 10000 for value in values)
    server.expect(rf"^client {student.address} joined")
    assert server.interrupt() == 0
    assert served.interrupt() == 0
