"""mypy finds no type error in the package and the scripts, on each system they run on.

What is checked, and how, is in pyproject.toml's [tool.mypy]. Each system is checked as mypy
reads the code's `sys.platform` branches for it (--platform), so that a call Windows or macOS
does not have is found here too, on Linux: `os.set_blocking` outside a branch that Windows skips.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from conftest import ROOT

PLATFORMS = ("linux", "darwin", "win32")
# Seconds for the three, checked side by side: without a cache (a fresh clone) each takes some
# 5 s of a core, with one under 1 s.
TIMEOUT = 120


def test_no_type_errors(cache: pytest.Cache) -> None:
    """No `error:` line from mypy for Linux, macOS or Windows."""
    # pytest's own cache folder (.pytest_cache), kept between runs: one cache a system, as mypy
    # checks everything again when the options (the platform) change.
    folder = cache.mkdir("mypy")
    deadline = time.monotonic() + TIMEOUT
    runs = {
        platform: subprocess.Popen(
            [sys.executable, "-m", "mypy", "--platform", platform, "--cache-dir", str(folder / platform)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for platform in PLATFORMS
    }
    try:
        outputs = {
            platform: run.communicate(timeout=max(0, deadline - time.monotonic())) for platform, run in runs.items()
        }
    finally:
        for run in runs.values():
            run.kill()  # those still running after a timeout; nothing for the others
            run.wait()
    errors = []
    for platform, (out, err) in outputs.items():
        found = [f"{platform}: {line}" for line in out.splitlines() if ": error:" in line]
        assert found or runs[platform].returncode == 0, f"mypy did not run for {platform}:\n{out}{err}"
        errors += found
    assert not errors, "\n".join(errors)
