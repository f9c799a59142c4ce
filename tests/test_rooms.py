"""The package's rooms: imports point down only, and a built wheel holds every room."""

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pubsub_demo"

# Lowest first: a module may import from its own room and from rooms ranked lower, never higher
# nor beside (docs/architecture.md draws the same order).
RANKS = {
    "system": 0,
    "process": 1,
    "jpeg": 1,
    "wire": 2,
    "net": 3,
    "server": 4,
    "client": 4,
    "video": 6,
    "wall": 7,
    "web": 7,
    "relaying": 7,
    "cli": 8,
    "keys": 9,
    "wheelhouse": 9,
}


def room_of(module: str) -> str:
    """pubsub_demo.net.curve -> net; pubsub_demo.wire -> wire."""
    return module.split(".")[1]


def imports_of(path: Path, package: Path) -> set[str]:
    """The pubsub_demo modules `path` imports, as absolute names."""
    here = "pubsub_demo." + ".".join(path.relative_to(package).with_suffix("").parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            names = [f"{base}.{alias.name}" if base == "pubsub_demo" else base for alias in node.names]
            found.update(name for name in names if name.startswith("pubsub_demo."))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("pubsub_demo."))
    return found


def imports_up(package: Path) -> list[str]:
    """Each import in `package` of a room ranked as high as the importer's, or higher."""
    wrong = []
    for path in sorted(package.rglob("*.py")):
        mine = room_of("pubsub_demo." + ".".join(path.relative_to(package).with_suffix("").parts))
        if mine == "__init__":
            continue
        for imported in sorted(imports_of(path, package)):
            theirs = room_of(imported)
            if theirs != mine and RANKS[theirs] >= RANKS[mine]:
                wrong.append(f"{path.relative_to(package).as_posix()} ({mine}) imports {imported} ({theirs})")
    return wrong


def test_every_room_has_its_rank():
    rooms = {path.stem for path in PACKAGE.glob("*.py")} | {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    assert rooms - {"__init__"} == set(RANKS)


def test_imports_point_down_only():
    assert imports_up(PACKAGE) == []


def test_the_check_sees_an_import_that_points_up_or_sideways(tmp_path):
    room = tmp_path / "pubsub_demo" / "process"
    room.mkdir(parents=True)
    (room / "bad.py").write_text("from pubsub_demo.server import monitoring\nfrom ..system import files\n")
    (tmp_path / "pubsub_demo" / "client").mkdir()
    (tmp_path / "pubsub_demo" / "client" / "side.py").write_text("from .. import wire\nfrom ..server import limits\n")
    assert imports_up(tmp_path / "pubsub_demo") == [
        "client/side.py (client) imports pubsub_demo.server (server)",
        "process/bad.py (process) imports pubsub_demo.server (server)",
    ]


@pytest.mark.xdist_group("heavy")
def test_a_built_wheel_holds_every_room_and_the_page(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("*.whl")
    held = set(zipfile.ZipFile(wheel).namelist())
    sources = {path.relative_to(ROOT).as_posix() for path in PACKAGE.rglob("*.py")}
    assert sources - held == set()
    assert "pubsub_demo/web/page.html" in held
