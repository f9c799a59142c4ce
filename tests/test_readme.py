"""The README's commands: the quick start, the demo and the benchmarks (CI runs the test command)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from support.paths import ROOT

README = (ROOT / "README.md").read_text()


def quick_start() -> tuple[str, str]:
    commands = re.findall(r"```sh\n(.+?)\n```", README)
    demo = next(command for command in commands if "demo.py" in command)
    tests = next(command for command in commands if "pytest" in command)
    return demo, tests


def test_quick_start_is_two_one_line_commands_in_their_own_environment():
    demo, tests = quick_start()
    demo_steps, test_steps = demo.split(" && "), tests.split(" && ")
    assert demo_steps[0] == test_steps[0] == "python3 -m venv .venv"
    assert demo_steps[1] == ".venv/bin/pip install -r requirements.txt"
    assert test_steps[1] == ".venv/bin/pip install -r requirements-test.txt"
    assert "-r requirements.txt" in (ROOT / "requirements-test.txt").read_text()  # CI's run installs both
    assert demo_steps[2] == ".venv/bin/python demo.py numbers"
    assert ".ci/run" in README and "-r requirements-test.txt" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_demo_runs(run, tmp_path: Path):
    demo, _ = quick_start()
    script, part = shlex.split(demo.split(" && ")[2])[1:]  # the Python of this test run stands for .venv's
    address = f"ipc://{tmp_path}/readme.sock"
    process = run(ROOT / script, part, "--address", address)
    process.expect(r"^server *\| sent #0")
    process.expect(r"^client3 *\| \d")
    assert process.interrupt() == 0


def test_demo_video_without_windows(run, tmp_path: Path):
    process = run(ROOT / "demo.py", "video", "--no-window", "--address", f"ipc://{tmp_path}/video.sock")
    for name in ("server", "client1", "client2"):
        process.expect(rf"^{name} *\| .*frames/s")
    assert process.interrupt() == 0
    assert not any("Traceback" in line for line in process.stdout + process.stderr)


def test_demo_wall_without_a_window(run, tmp_path: Path):
    address = f"ipc://{tmp_path}/wall.sock"
    process = run(ROOT / "demo.py", "wall", "--no-window", "--address", address, "--width", "160", "--height", "90")
    for name in ("ann", "bob", "cleo", "dan"):  # four cameras, each on the wall under its own name
        process.expect(rf"^wall *\| {name}: [\d.]+ frames/s")
        process.expect(rf"^{name} *\| {name}: [\d.]+ frames/s, [\d.]+ MB/s sent")
    assert process.interrupt() == 0
    assert not any("Traceback" in line for line in process.stdout + process.stderr)


@pytest.mark.xdist_group("heavy")  # keeps the cores busy: one such test at a time (see pyproject.toml)
def test_numbers_benchmark_runs_and_reports_ratios(run):
    bench = run(ROOT / "benchmarks" / "numbers_throughput.py", "--rounds", "1", "--seconds", "0.3", log=False)
    assert bench.wait(120) == 0
    assert re.search(r"our format / send_pyobj: +\d+\.\d\dx", "\n".join(bench.stdout))


@pytest.mark.xdist_group("heavy")  # keeps the cores busy: one such test at a time (see pyproject.toml)
def test_video_benchmark_runs_and_reports_every_figure(run):
    # The shortest runs that still print every figure: the slow clients take 2 frames a second
    # (1 s: two frames each), and a client stopped for half a second still has frames after it.
    bench = run(
        ROOT / "benchmarks" / "video_throughput.py",
        *("--rounds", "1", "--seconds", "0.5", "--slow-seconds", "1", "--stop-seconds", "0.5"),
        log=False,
    )
    assert bench.wait(180) == 0
    output = "\n".join(bench.stdout)
    for figure in (
        r"ours / ceiling: +\d",
        r"ours / send_pyobj: +\d",
        r"JPEG quality 80: \d+ kB",
        r"original way: showing a frame",
        r"our scripts: +showing a frame",
        r"stopped for 0.5 s",
    ):
        assert re.search(figure, output), figure


@pytest.mark.xdist_group("heavy")  # keeps the cores busy: one such test at a time (see pyproject.toml)
def test_wall_benchmark_runs_and_reports_every_figure(run):
    bench = run(
        ROOT / "benchmarks" / "wall_fanin.py",
        *("--cameras", "2", "--many", "3", "--seconds", "0.5", "--warm-up", "0.3", "--no-window"),
        log=False,
    )
    assert bench.wait(180) == 0, bench.stderr
    output = "\n".join(bench.stdout)
    for figure in (
        r"ours \(wall\.py\) *: per camera [\d.]+-[\d.]+ frames/s",
        r"a camera's own cost: [\d.]+ ms of CPU per frame .*drawing its pattern [\d.]+ ms, encoding it",
        r"the plain way \(one loop\): per camera",
        r"3 cameras at 2 frames/s",
        r"--only cam000: 3 connections; the 2 cameras left out send \d+ bytes/s",
    ):
        assert re.search(figure, output), (figure, output)
