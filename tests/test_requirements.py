"""The requirement floors are the versions CI tests: requirements-oldest.txt pins each requirement
to the oldest version its floor allows, and .ci/run runs the tests on those pins (see
docs/robustness.md). A floor raised without its pin, or the other way round, fails here;
pyproject.toml's dependencies are requirements.txt's.
"""

from __future__ import annotations

import ast
import re

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from support.paths import ROOT


def requirements(name: str) -> dict[str, Requirement]:
    """The requirements listed in the file `name` (no comments, no options such as `-r` or `-e`)."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    found = [Requirement(line) for line in lines if line and not line.startswith("-")]
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
    declared = {canonicalize_name(Requirement(line).name): Requirement(line) for line in dependencies}
    assert {name: str(r.specifier) for name, r in declared.items()} == {
        name: str(r.specifier) for name, r in requirements("requirements.txt").items()
    }


def test_ci_runs_the_tests_on_the_oldest_versions():
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv-oldest/bin/pip install -q -c requirements-oldest.txt -r requirements-test.txt\n" in run
    assert re.search(r"^(again_if_failed )?\.venv-oldest/bin/python -m pytest\b", run, re.M)
