"""The requirement floors are the versions CI tests: requirements-oldest.txt pins each requirement
to the oldest version its floor allows, and .ci/run runs the tests on those pins (see
docs/robustness.md). A floor raised without its pin, or the other way round, fails here;
pyproject.toml's dependencies are requirements.txt's. On macOS, OpenCV comes from lines of its own
(requirements.txt says why): each Mac, each other system, gets one of them.
"""

from __future__ import annotations

import ast
import re

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from pip._vendor.packaging.markers import Marker as PipMarker

from support.paths import ROOT

# The computer of CI's oldest-versions run (.ci/run): Linux x86-64, CPython 3.11.
CI = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64"}
CI |= {"platform_release": "6.1.0-18-amd64", "python_version": "3.11", "python_full_version": "3.11.7"}


def listed(name: str) -> list[Requirement]:
    """Every requirement listed in the file `name` (no comments, no options such as `-r` or `-e`)."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def requirements(name: str) -> dict[str, Requirement]:
    """The requirements listed in the file `name` that apply on CI's computer, by name."""
    found = [requirement for requirement in listed(name) if not requirement.marker or requirement.marker.evaluate(CI)]
    return {canonicalize_name(requirement.name): requirement for requirement in found}


def floor(requirement: Requirement) -> Version:
    """The version a requirement's `>=` allows at the least."""
    (lowest,) = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
    return lowest


def test_every_requirement_has_a_floor_and_a_pin_in_the_floors_release():
    floors = requirements("requirements.txt") | requirements("requirements-test.txt")
    pins = {
        name: Version(str(pin.specifier).removeprefix("=="))
        for name, pin in requirements("requirements-oldest.txt").items()
    }
    assert sorted(pins) == sorted(floors), "requirements-oldest.txt pins other packages than the requirements"
    for name, requirement in floors.items():
        lowest, pin = floor(requirement), pins[name]
        # The pin is the floor, or the first release of it with a wheel (opencv-python 5.0: 5.0.0.93).
        assert pin >= lowest and pin.release[: len(lowest.release)] == lowest.release, (name, str(lowest), str(pin))


def test_the_projects_dependencies_are_requirements_txt():
    dependencies = ast.literal_eval(
        re.search(r"^dependencies = (\[.*\])$", (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)[1]
    )
    assert [str(Requirement(line)) for line in dependencies] == [str(r) for r in listed("requirements.txt")]


def test_ci_runs_the_tests_on_the_oldest_versions():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv-oldest/bin/pip install -q -c requirements-oldest.txt -r requirements-test.txt\n" in run
    assert re.search(r"^(again_if_failed )?\.venv-oldest/bin/python -m pytest\b", run, re.M)


# Darwin's version (platform.release(), the marker platform_release) on each macOS: 21.x is macOS 12.
MACS = {"12": "21.6.0", "13": "22.6.0", "14": "23.6.0", "15": "24.6.0"}
# The Macs that OpenCV 5.0.0.93's wheels leave out (they need macOS 13 on Apple chips, 14 on Intel
# ones; 5.1's need 15): they get 4.10.0.84 (its wheels: macOS 11 on Apple chips, 12 on Intel ones).
WITHOUT_OPENCV_5 = [("12", "arm64"), ("12", "x86_64"), ("13", "x86_64")]


def opencv_for(sys_platform: str, release: str, machine: str) -> list[str]:
    """The OpenCV versions requirements.txt asks for on such a computer, as packaging and this pip
    read its markers: one, if all is well."""
    environment = dict(CI, sys_platform=sys_platform, platform_release=release, platform_machine=machine)
    lines = [r for r in listed("requirements.txt") if canonicalize_name(r.name) == "opencv-python"]
    found = [str(r.specifier) for r in lines if r.marker is None or r.marker.evaluate(environment)]
    as_pip_reads = [
        str(r.specifier) for r in lines if r.marker is None or PipMarker(str(r.marker)).evaluate(environment)
    ]
    assert found == as_pip_reads
    return found


@pytest.mark.parametrize("machine", ["arm64", "x86_64"])
@pytest.mark.parametrize("macos", MACS)
def test_each_mac_gets_an_opencv_with_wheels_for_it(macos, machine):
    wanted = "==4.10.0.84" if (macos, machine) in WITHOUT_OPENCV_5 else "<5.1,>=5.0"
    assert opencv_for("darwin", MACS[macos], machine) == [wanted]


@pytest.mark.parametrize(
    ("sys_platform", "release", "machine"),
    [("linux", "6.1.0-18-amd64", "x86_64"), ("linux", "5.15.153.1-microsoft-standard-WSL2", "x86_64")]
    + [("linux", "6.1.0-rpi7-rpi-v8", "aarch64"), ("win32", "10", "AMD64"), ("win32", "11", "ARM64")],
)
def test_other_systems_get_opencv_5(sys_platform, release, machine):
    assert opencv_for(sys_platform, release, machine) == [">=5.0"]


def test_no_marker_compares_platform_release_as_a_version():
    # Linux's release (6.1.0-18-amd64) is no version: pip 24.1 to 25.3 (packaging 22 to 25) stop
    # with InvalidVersion at `platform_release < "22"`, on Linux, though the line is for macOS.
    # `in` and `not in` compare text, in every pip.
    for requirement in listed("requirements.txt") + listed("requirements-test.txt"):
        comparison = r"platform_release\s*[<>=!~]|[<>=!~]=?\s*platform_release"
        assert not re.search(comparison, str(requirement.marker or "")), str(requirement)
