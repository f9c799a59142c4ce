"""A terminal without the project's environment: each script says in one line what to do.

A lesson needs three or four terminals, and a new one does not have `.venv` active: its
`python3` has none of the requirements, and the scripts in the parts' folders cannot even
import the package (it is installed in `.venv`, in place). Each script then says what to do
(activate `.venv`, or install), in one line, and exits with code 1: no traceback. The commands
are those of the system it runs on: Windows' there (`.venv\\Scripts\\activate`, `py -m venv`),
Linux's and macOS's elsewhere. The tests check Windows' by running the script with its code shown
Windows' standard library (tests/emulation).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import NUMBERS, ROOT, VIDEO
from support.scripts import TIMEOUT

SCRIPTS = [
    NUMBERS / "server.py",
    NUMBERS / "client1.py",
    NUMBERS / "client2.py",
    NUMBERS / "client3.py",
    VIDEO / "server.py",
    VIDEO / "client1.py",
    VIDEO / "client2.py",
    VIDEO / "camera.py",
    VIDEO / "wall.py",
    ROOT / "relay.py",
    ROOT / "web.py",
    ROOT / "demo.py",
]


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> Path:
    """The Python of a new environment with nothing installed: what a fresh terminal's python3 is."""
    folder = tmp_path_factory.mktemp("bare") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=60)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    found = subprocess.run([str(python), "-c", "import numpy"], capture_output=True, timeout=TIMEOUT)
    assert found.returncode != 0, "the bare environment has numpy: it would test nothing"
    return python


SYSTEMS = ["this system", "windows"]  # the script run as it is, or as on Windows (tests/emulation)
AS_ON_WINDOWS = {"PYTHONPATH": str(ROOT / "tests" / "emulation"), "PUBSUB_DEMO_AS": "win32"}


def run_with(
    python: Path, script: Path | str, *args: str, system: str = "this system", **environment: str
) -> subprocess.CompletedProcess[str]:
    """Run `script` (a path, or "-m" and a module in `args`) with `python`, from the project's folder,
    as on `system` ("windows": the script's code shown Windows' standard library, AS_ON_WINDOWS)."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PUBSUB_DEMO_AS")}
    env.update(environment)
    if system == "windows":  # the emulation's folder first on the path, then any asked for
        paths = [AS_ON_WINDOWS["PYTHONPATH"], *([env["PYTHONPATH"]] if "PYTHONPATH" in env else [])]
        env.update(AS_ON_WINDOWS, PYTHONPATH=os.pathsep.join(paths))
    return subprocess.run(
        [str(python), str(script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=TIMEOUT,
    )


def assert_says_what_to_do(result: subprocess.CompletedProcess[str], system: str = "this system") -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1, f"not one line: {lines}"
    assert "Traceback" not in result.stderr and result.stdout == ""
    # Windows' commands, for cmd and PowerShell alike (no `&&`: PowerShell 5 has none), where the script
    # runs as on Windows, or on Windows itself (the hosted CI's runner: .github/workflows/ci.yml).
    if system == "windows" or sys.platform == "win32":
        assert ".venv\\Scripts\\activate" in lines[0] and "py -m venv .venv" in lines[0], lines[0]
        assert ".venv\\Scripts\\pip install -r requirements.txt" in lines[0], lines[0]
        assert ".venv/bin" not in lines[0] and "&&" not in lines[0], lines[0]
    else:
        assert ". .venv/bin/activate" in lines[0], lines[0]
        assert "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt" in lines[0], lines[0]
        assert "Scripts" not in lines[0], lines[0]


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_each_script_says_what_to_do_in_a_terminal_without_the_environment(bare_python, script, system):
    result = run_with(bare_python, script, *(["video"] if script.name == "demo.py" else []), system=system)
    assert_says_what_to_do(result, system)
    assert result.stderr.startswith(f"{script.name}: "), "the line does not say which script it is"
    print(f"{script.relative_to(ROOT)}: {result.stderr.strip()}")


@pytest.mark.parametrize("system", SYSTEMS)
def test_the_key_tool_says_what_to_do_in_a_terminal_without_the_environment(bare_python, tmp_path, system):
    # Run from the project's folder, it finds the package, but not zmq.
    result = run_with(bare_python, "-m", "pubsub_demo.keys", "generate", str(tmp_path / "keys"), system=system)
    assert_says_what_to_do(result, system)
    assert result.stderr.startswith("keys.py: ") and not (tmp_path / "keys").exists()


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_script_that_finds_the_package_but_not_numpy_names_what_is_missing(bare_python, system):
    # A Python that finds the package (from the project's folder) but none of the requirements.
    result = run_with(bare_python, NUMBERS / "client1.py", system=system, PYTHONPATH=str(ROOT))
    assert_says_what_to_do(result, system)
    assert result.stderr.startswith("client1.py: numpy, pyzmq, opencv-python, psutil, screeninfo are not installed")


def test_the_environments_python_runs_the_scripts():
    # The check costs nothing where the requirements are there: --help works as before.
    result = run_with(Path(sys.executable), NUMBERS / "client1.py", "--help")
    assert result.returncode == 0 and "--connect" in result.stdout


def test_the_parts_folders_hold_the_same_bootstrap():
    """Each script's first line, `from bootstrap import lifetime`, finds the bootstrap.py beside it
    (sys.path[0]): one file, in both parts' folders, whose behaviour is lifetime's."""
    folders = [NUMBERS / "bootstrap.py", VIDEO / "bootstrap.py"]
    assert folders[0].read_text() == folders[1].read_text()
    for script in SCRIPTS:
        first = next(line for line in script.read_text().splitlines() if line.startswith(("from ", "import ")))
        if first == "from __future__ import annotations":  # demo.py's, then its bootstrap
            first = [line for line in script.read_text().splitlines() if line.startswith("from ")][1]
        assert first.startswith("from bootstrap import lifetime"), script
