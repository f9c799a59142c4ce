"""The tests laid out like the code: a unit-test file for each module of the package it tests
(tests/unit/test_<module>.py; test_<room>_<module>.py where two rooms have a module of that name),
and helpers shared through tests/support/ only: no test imports conftest.py or another test module."""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import ROOT

TESTS = ROOT / "tests"
PACKAGE = ROOT / "pubsub_demo"


def unit_test_names() -> set[str]:
    """The names a unit-test file may have: one for each module of the package."""
    modules = [path.relative_to(PACKAGE).with_suffix("") for path in PACKAGE.rglob("*.py")]
    by_name: dict[str, list[Path]] = {}
    for module in modules:
        if module.name != "__init__":
            by_name.setdefault(module.name, []).append(module)
    names = set()
    for name, found in by_name.items():
        if len(found) == 1:
            names.add(f"test_{name}.py")
        else:  # wall/monitoring.py beside server/monitoring.py: test_wall_monitoring.py
            names.update(f"test_{'_'.join(module.parts)}.py" for module in found)
    return names


def imported(path: Path) -> set[str]:
    """The top-level names of the modules `path` imports (relative imports as ".")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else node.module.split(".")[0])
    return names


def test_every_unit_test_file_names_a_module_of_the_package():
    files = {path.name for path in (TESTS / "unit").glob("test_*.py")}
    assert files - unit_test_names() == set()


def test_no_test_imports_conftest_or_another_test_module():
    wrong = {
        path.relative_to(TESTS).as_posix(): sorted(bad)
        for path in TESTS.rglob("*.py")
        if (bad := {name for name in imported(path) if name in ("conftest", "unit", ".") or name.startswith("test_")})
    }
    assert wrong == {}


def test_the_check_sees_an_import_from_conftest_or_from_a_test_module(tmp_path):
    (tmp_path / "test_one.py").write_text("from conftest import ROOT\nimport test_two\nfrom . import test_three\n")
    assert imported(tmp_path / "test_one.py") == {"conftest", "test_two", "."}
