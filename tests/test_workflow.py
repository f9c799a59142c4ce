"""The hosted CI's workflow (.github/workflows/ci.yml) cannot run here: actionlint checks it (its
syntax, expressions, matrix, runner labels and the actions' inputs), and these tests check that it
runs what docs/robustness.md says it does, on the systems and Pythons the README promises.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import ROOT
from support.scripts import TIMEOUT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
TEXT = WORKFLOW.read_text(encoding="utf-8")


def actionlint() -> str:
    """The actionlint of this environment (requirements-test.txt); skipped where it has none."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if found is None:
        if os.environ.get("CI") and sys.platform == "linux":
            pytest.fail("actionlint is not installed: CI installs requirements-test.txt, which brings it")
        pytest.skip("actionlint is not installed (pip install -r requirements-test.txt)")
    return found


def test_actionlint_finds_nothing_wrong_in_the_workflow():
    result = subprocess.run(
        [actionlint(), "-no-color", str(WORKFLOW)], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tests_run_on_the_three_systems_with_the_oldest_and_newest_python():
    assert "os: [ubuntu-latest, macos-latest, windows-latest]" in TEXT
    oldest = re.search(r"Python (3\.\d+) or newer", (ROOT / "README.md").read_text(encoding="utf-8"))[1]
    assert f'python: ["{oldest}", "3.13"]' in TEXT
    assert "platform: [linux, darwin, win32]" in TEXT  # mypy, as each system's Python reads the code


def test_linux_runs_every_test_and_the_others_name_only_test_files_that_exist():
    assert 'sudo -E "$(command -v python)" -m pytest\n' in TEXT  # no path: the whole suite, as root
    named = set(re.findall(r"tests/[\w/]+(?:\.py)?", TEXT))
    assert named and sorted(path for path in named if not (ROOT / path).exists()) == []
