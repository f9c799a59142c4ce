"""Fill a folder, once, with all that the students' computers need to install the project with no
internet: the requirements' wheels for Linux, macOS and Windows, the tools that install the
project in place (setuptools, wheel), and the project itself as a zip (pubsub-demo.zip).

Run, where the internet is fast (some 410 MB for one Python version and the three systems):

    python -m pubsub_demo.wheelhouse wheels [--python 3.10 3.12 ...] [--system linux macos windows]

Then each student, in the project's folder, with the folder `wheels` in it:

    python3 -m venv .venv && .venv/bin/pip install --no-index --find-links wheels -r requirements.txt

(Windows: py -m venv .venv, then .venv\\Scripts\\pip install --no-index --find-links wheels -r requirements.txt)
or, with the folder served from the teacher's computer (python -m http.server 8000 --directory wheels),
with the project from http://TEACHER:8000/pubsub-demo.zip (TEACHER: the teacher's address):

    python3 -m venv .venv
    .venv/bin/pip install --no-index --find-links http://TEACHER:8000/ --trusted-host TEACHER -r requirements.txt

(pip takes plain http:// only from a host it is told to trust.)

Wheels are made for one Python version each (3.11, 3.12...): give every version the students
have. The zip holds the scripts, the package and the docs, never keys: give student N only
keys/clientN.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pubsub_demo.process import console, lifetime
from pubsub_demo.process.logs import Fatal

ROOT = Path(__file__).resolve().parent.parent
PROJECT_ZIP = "pubsub-demo.zip"


@dataclass(frozen=True)
class Target:
    """One kind of student computer: its system, its processor (as platform.machine() names it
    there), the platform tags pip downloads for (pip takes the newest wheel that fits any) and the
    system's release where requirements.txt's markers read it (platform.release(): on a Mac,
    Darwin's version, 21.x on macOS 12)."""

    system: str
    machine: str
    platforms: tuple[str, ...]
    release: str = ""


# Per system, the kinds of computer. macOS: 12 (2021) and later, as requirements.txt's OpenCV lines
# part them: OpenCV 4.10 on macOS 12 (and on Intel 13), 5.0 from 13 on Apple chips and from 14 on
# Intel ones. A later macOS installs what was fetched for the latest of these it is.
SYSTEMS = {
    "linux": [Target("linux", "x86_64", ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"))],
    "macos": [
        Target("macos", "arm64", ("macosx_12_0_arm64",), "21.6.0"),
        Target("macos", "x86_64", ("macosx_12_0_x86_64",), "21.6.0"),
        Target("macos", "arm64", ("macosx_13_0_arm64",), "22.6.0"),
        Target("macos", "x86_64", ("macosx_14_0_x86_64",), "23.6.0"),
    ],
    "windows": [Target("windows", "AMD64", ("win_amd64",))],
}
# What installs the project in place (requirements.txt's `-e .`, see pyproject.toml), offline too.
BUILD_TOOLS = ["setuptools>=64", "wheel"]
# The values of a requirement's environment markers on each system (PEP 508): sys_platform,
# platform_system, os_name.
MARKER_SYSTEMS = {
    "linux": ("linux", "Linux", "posix"),
    "macos": ("darwin", "Darwin", "posix"),
    "windows": ("win32", "Windows", "nt"),
}
# `pip download --platform` takes the target's wheels, but decides which dependencies apply with
# the markers of the computer it runs on: on a Mac, screeninfo's `pyobjc-framework-Cocoa;
# sys_platform == "darwin"` would be fetched for Linux and Windows too (and fail: it has only
# macOS wheels), and on Linux or Windows it would be missing from the macOS wheels. pip has no
# option for another computer's markers, so the tool runs pip with the target's values in
# place of this computer's (pip's own packaging.markers.default_environment, which every marker
# pip evaluates reads), and lets pip resolve as usual.
PIP_WITH_MARKERS = """\
import json, sys
from pip._vendor.packaging import markers
from pip._internal.cli.main import main
target = json.loads(sys.argv[1])
markers.default_environment = lambda: dict(target)
sys.exit(main(sys.argv[2:]))
"""

# What a student needs of the project: no keys, no environment, no wheels, no logs.
PROJECT_FILES = [
    "README.md",
    "README.ru.md",
    "requirements.txt",
    "pyproject.toml",
    "bootstrap.py",
    "demo.py",
    "relay.py",
    "web.py",
    "pubsub_demo",
    "random_numbers_transmission",
    "video_transmission",
    "docs",
]


def requirements(path: Path = ROOT / "requirements.txt") -> list[str]:
    """The requirements in `path`, without comments and without the project's own `-e .`
    (which pip cannot download: the students install it from the project's folder)."""
    found = []
    for line in path.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement and not requirement.startswith("-"):
            found.append(requirement)
    return found


def marker_environment(target: Target, python: str) -> dict[str, str]:
    """The values of the environment markers (PEP 508) on a computer of `target` with CPython
    `python` ("3.11"), whatever computer asks: what pip must judge a dependency's marker by.
    The patch level is not known: X.Y.0; the system's release is the target's (empty if none)."""
    sys_platform, platform_system, os_name = MARKER_SYSTEMS[target.system]
    return {
        "implementation_name": "cpython",
        "implementation_version": f"{python}.0",
        "os_name": os_name,
        "platform_machine": target.machine,
        "platform_release": target.release,
        "platform_system": platform_system,
        "platform_version": "",
        "python_full_version": f"{python}.0",
        "platform_python_implementation": "CPython",
        "python_version": python,
        "sys_platform": sys_platform,
    }


def download(folder: Path, wanted: list[str], target: Target | None = None, python: str | None = None) -> None:
    """Download into `folder` the wheels of the requirements `wanted` and of what they depend on,
    for a computer of `target` with CPython `python` ("3.11"); for this computer with None."""
    options = ["download", "--only-binary=:all:", "--dest", str(folder)]
    if target is None or python is None:
        command = [sys.executable, "-m", "pip", *options]
    else:
        command = [sys.executable, "-c", PIP_WITH_MARKERS, json.dumps(marker_environment(target, python)), *options]
        command += [option for platform in target.platforms for option in ("--platform", platform)]
        command += ["--python-version", python, "--implementation", "cp"]
    result = subprocess.run([*command, *wanted], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        said = [line for line in result.stderr.splitlines() if line.startswith("ERROR")] or ["(pip said nothing)"]
        where = f"{target.platforms[0]}, Python {python}" if target else "this computer"
        raise Fatal(f"pip could not download the wheels for {where}: {said[-1]}")


def pack_project(folder: Path, root: Path = ROOT) -> Path:
    """Write the project's files (PROJECT_FILES of `root`) into `folder`/pubsub-demo.zip, in a
    folder pubsub-demo; the zip's path."""
    target = folder / PROJECT_ZIP
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in PROJECT_FILES:
            path = root / name
            for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
                if file.is_file() and "__pycache__" not in file.parts:
                    archive.write(file, Path("pubsub-demo") / file.relative_to(root))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m pubsub_demo.wheelhouse",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, help="the folder to fill (made if missing), e.g. wheels")
    parser.add_argument(
        "--python",
        nargs="+",
        default=[f"{sys.version_info.major}.{sys.version_info.minor}"],
        metavar="X.Y",
        help="the students' Python versions (default: this one's, %(default)s)",
    )
    parser.add_argument(
        "--system", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="the students' systems (default: all)"
    )
    parser.add_argument(
        "--this-computer",
        action="store_true",
        help="only for computers like this one (its system and Python): a room of the same computers",
    )
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    if args.this_computer:
        console.inform("downloading the wheels for this computer...")
        download(args.folder, [*requirements(), *BUILD_TOOLS])
    for python in [] if args.this_computer else args.python:
        for system in args.system:
            for target in SYSTEMS[system]:
                console.inform(f"downloading the wheels for {system} ({target.platforms[0]}), Python {python}...")
                download(args.folder, [*requirements(), *BUILD_TOOLS], target, python)
    pack_project(args.folder)
    files = [path for path in args.folder.iterdir() if path.is_file()]
    size = sum(path.stat().st_size for path in files)
    console.inform(
        f"{args.folder}: {len(files)} files, {size / 1e6:.0f} MB. Give it to the students with the project "
        f"(it holds {PROJECT_ZIP}); each installs, in the project's folder with {args.folder.name} in it: "
        f"python3 -m venv .venv && .venv/bin/pip install --no-index --find-links {args.folder.name} -r requirements.txt"
    )
    console.inform(  # a Windows command has no `&&` (Windows PowerShell 5 knows none)
        f"on Windows: py -m venv .venv, then .venv\\Scripts\\pip install --no-index --find-links {args.folder.name} "
        "-r requirements.txt"
    )


if __name__ == "__main__":
    lifetime.run(main)
