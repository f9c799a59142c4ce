"""The teacher's wheel folder holds what each system needs, whichever system fills it.

screeninfo needs pyobjc-framework-Cocoa and Cython on macOS only (`sys_platform == "darwin"`
markers). pip downloading for another system's platform tags still judges such markers by the
computer it runs on: run on a Mac, it fetched them for Linux and Windows too (and failed: they
have macOS wheels only); run on Linux or Windows, it left them out of the macOS wheels. The tool
gives pip the target's markers (wheelhouse.marker_environment).

The tests run the tool's own download, with pip resolving as it does for the teacher, from a
folder of small stand-in wheels: screeninfo with its real requirements, and one wheel for each of
its dependencies. The computer pip runs on is this one, or made to look like a Mac or a Windows
PC to pip's markers (a sitecustomize module that changes what pip's marker environment says).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pip._vendor.packaging.markers import Marker, default_environment

from pubsub_demo import wheelhouse

SCREENINFO = importlib.metadata.requires("screeninfo") or []
# What pip's markers read on each system, as its CPython says it (sys.platform, platform.system(),
# os.name, and platform.machine() on a computer of the kind the tests pretend to be).
LOOKS_LIKE = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64"},
    "macos": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix", "platform_machine": "arm64"},
    "windows": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"},
}
ALL_TARGETS = [target for targets in wheelhouse.SYSTEMS.values() for target in targets]


def test_screeninfo_still_needs_pyobjc_on_macos_only():
    # What these tests stand on: if screeninfo drops its markers, the tests below test nothing.
    assert any("pyobjc-framework-Cocoa" in line and 'sys_platform == "darwin"' in line for line in SCREENINFO)


@pytest.mark.parametrize("target", ALL_TARGETS, ids=lambda target: target.platforms[0])
def test_each_targets_markers_leave_nothing_to_the_computer_that_downloads(target):
    environment = wheelhouse.marker_environment(target, "3.10")
    assert set(environment) == set(default_environment())  # every marker variable pip knows is the target's
    assert environment["python_version"] == "3.10" and environment["platform_machine"] == target.machine
    for name in ("sys_platform", "platform_system", "os_name"):
        assert environment[name] == LOOKS_LIKE[target.system][name], name
    needed = sorted(
        line.split(";")[0].strip() for line in SCREENINFO if Marker(line.split(";")[1]).evaluate(environment)
    )
    assert needed == (["Cython", "pyobjc-framework-Cocoa"] if target.system == "macos" else [])


# Darwin's version (platform.release()) on each macOS from the oldest the README asks for: 21.x is macOS 12.
MACS = {12: "21.6.0", 13: "22.6.0", 14: "23.6.0", 15: "24.6.0"}


def macos_of(target: wheelhouse.Target) -> int:
    """The oldest macOS whose wheels the target takes: 12 for macosx_12_0_arm64."""
    return int(target.platforms[0].split("_")[1])


def asked_for(environment: dict[str, str]) -> list[str]:
    """requirements.txt's lines that apply on a computer of these marker values."""
    lines = wheelhouse.requirements()
    return [line for line in lines if ";" not in line or Marker(line.split(";", 1)[1]).evaluate(environment)]


def test_each_macos_target_says_its_macos_to_the_markers():
    for target in wheelhouse.SYSTEMS["macos"]:
        assert target.release.split(".")[0] == str(macos_of(target) + 9), target  # Darwin 21: macOS 12


@pytest.mark.parametrize("machine", ["arm64", "x86_64"])
@pytest.mark.parametrize("macos", MACS)
def test_every_mac_from_macos_12_on_finds_what_it_asks_for_in_the_folder(macos, machine):
    # A student's Mac takes, from the folder, the wheels of a target of its processor and of its
    # macOS or an older one, if that target was downloaded for the same lines of requirements.txt
    # (OpenCV 4.10 on macOS 12, 5.0 later: see requirements.txt).
    mac = wheelhouse.SYSTEMS["macos"][0]
    student = dict(wheelhouse.marker_environment(mac, "3.11"), platform_machine=machine, platform_release=MACS[macos])
    fits = [
        target
        for target in wheelhouse.SYSTEMS["macos"]
        if target.machine == machine
        and macos_of(target) <= macos
        and asked_for(wheelhouse.marker_environment(target, "3.11")) == asked_for(student)
    ]
    assert fits, asked_for(student)


def stand_in_wheel(folder: Path, name: str, requires: list[str]) -> None:
    """A wheel of `name` 1.0, for any system, that needs `requires`: all pip reads of it."""
    distribution = f"{name.replace('-', '_')}-1.0"
    metadata = "".join(f"Requires-Dist: {line}\n" for line in requires)
    with zipfile.ZipFile(folder / f"{distribution}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(
            f"{distribution}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{metadata}"
        )
        wheel.writestr(
            f"{distribution}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{distribution}.dist-info/RECORD", "")


@pytest.fixture
def index(tmp_path, monkeypatch) -> Path:
    """pip's only source from now on: a folder of stand-ins for screeninfo and its dependencies."""
    folder = tmp_path / "index"
    folder.mkdir()
    stand_in_wheel(folder, "screeninfo", SCREENINFO)
    for name in ("Cython", "pyobjc-framework-Cocoa", "dataclasses"):
        stand_in_wheel(folder, name, [])
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no index, no cap, no other wheels
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    return folder


def pretend_to_run_on(system: str, tmp_path: Path, monkeypatch) -> None:
    """Make pip's markers, in the processes started from now on, read `system`'s values."""
    folder = tmp_path / f"looks-like-{system}"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(
        "from pip._vendor.packaging import markers\n"
        f"there = dict(markers.default_environment(), **{LOOKS_LIKE[system]!r})\n"
        "markers.default_environment = lambda: dict(there)\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(folder))
    seen = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pip._vendor.packaging.markers import Marker; print(Marker('os_name == \"nt\"').evaluate())",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert seen.stdout.strip() == str(system == "windows"), seen.stderr  # the pretence holds


@pytest.mark.parametrize("running_on", ["this computer", "macos", "windows"])
def test_the_folder_holds_what_each_system_needs_whatever_system_fills_it(index, tmp_path, monkeypatch, running_on):
    if running_on != "this computer":
        pretend_to_run_on(running_on, tmp_path, monkeypatch)
    for target in ALL_TARGETS:
        folder = tmp_path / target.platforms[0]
        wheelhouse.download(folder, ["screeninfo"], target, "3.11")
        got = sorted(path.name.split("-")[0].lower() for path in folder.iterdir())
        mac_only = ["cython", "pyobjc_framework_cocoa"] if target.system == "macos" else []
        assert got == sorted(["screeninfo", *mac_only]), (target, running_on)
