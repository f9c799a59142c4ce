"""What docs/architecture.md says of the project's files holds."""

from __future__ import annotations

import ast
import re

from support.paths import NUMBERS, ROOT, VIDEO

ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_every_module_of_the_package_has_its_row_in_the_architecture_table():
    rows = [line for line in ARCHITECTURE.splitlines() if line.startswith("| `")]
    listed = {name for row in rows for name in re.findall(r"`([\w.]+)`", row.split("|")[1])}
    package = ROOT / "pubsub_demo"
    modules = {  # a subpackage's modules as `room.module`
        ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("*.py")
        if path.stem != "__init__"
    }
    assert modules - listed == set(), "modules without a row"
    assert listed - modules == set(), "rows for modules that are not there"


LESSONS = [
    path
    for path in [*NUMBERS.glob("*.py"), *VIDEO.glob("*.py"), ROOT / "relay.py", ROOT / "web.py"]
    if path.name != "bootstrap.py"  # each script's first line imports it: no lesson
]


def test_the_lessons_are_as_short_as_the_architecture_says():
    most = int(re.search(r"at most (\d+) lines each", ARCHITECTURE)[1])
    assert most == 50
    lengths = {
        path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines()) for path in LESSONS
    }
    assert max(lengths.values()) <= most, lengths


def test_no_line_of_a_lesson_is_over_100_characters():
    long = [
        f"{path.relative_to(ROOT).as_posix()}:{number}: {len(line)}"
        for path in LESSONS
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if len(line) > 100
    ]
    assert long == []


def test_the_demo_s_functions_are_at_most_40_lines():
    tree = ast.parse((ROOT / "demo.py").read_text(encoding="utf-8"))
    lengths = {
        node.name: node.end_lineno - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.end_lineno is not None
    }
    assert lengths and max(lengths.values()) <= 40, lengths


def test_every_link_to_a_file_in_the_readmes_and_the_docs_resolves():
    pages = [ROOT / "README.md", ROOT / "README.ru.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")]
    broken = []
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            path = target.split("#", 1)[0]
            if path and "://" not in path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []
