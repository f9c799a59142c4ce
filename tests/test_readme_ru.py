"""README.ru.md is README.md in Russian: the same commands, transcripts, sections and tables.

The prose is translated; everything a reader copies or compares (fenced blocks, `code` spans)
must be the same in both files, so a command changed in one file only fails here.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from support.paths import ROOT

ENGLISH, RUSSIAN = ROOT / "README.md", ROOT / "README.ru.md"

# A fence may be indented (a block inside a list item); it closes at the same indentation.
FENCED = re.compile(r"^( *)```(\S*)\n(.*?)^\1```$", re.MULTILINE | re.DOTALL)


def fenced_blocks(text: str) -> list[tuple[str, str, str]]:
    """Each fenced block as (its language tag, its text, the `## ` section it is in)."""
    blocks = []
    for match in FENCED.finditer(text):
        headings = re.findall(r"^## .*$", text[: match.start()], re.MULTILINE)
        blocks.append((match.group(2), match.group(3), headings[-1] if headings else "(top)"))
    return blocks


def prose(text: str) -> str:
    """The text without its fenced blocks."""
    return FENCED.sub("", text)


def describe(block: tuple[str, str, str], readme: Path) -> str:
    language, body, section = block
    return f"{readme.name}, section {section!r}: ```{language}\n{body}```"


def test_every_fenced_block_is_the_same_in_both_readmes():
    english, russian = (
        fenced_blocks(ENGLISH.read_text(encoding="utf-8")),
        fenced_blocks(RUSSIAN.read_text(encoding="utf-8")),
    )
    for number, (ours, theirs) in enumerate(zip(english, russian), start=1):
        assert ours[:2] == theirs[:2], (
            f"fenced block #{number} differs: copy it from one README to the other, byte for byte\n"
            f"--- {describe(ours, ENGLISH)}\n--- {describe(theirs, RUSSIAN)}"
        )
    longer, shorter = (english, russian) if len(english) > len(russian) else (russian, english)
    extra = [describe(block, ENGLISH if longer is english else RUSSIAN) for block in longer[len(shorter) :]]
    assert not extra, "fenced blocks in one README only (copy them to the other):\n" + "\n".join(extra)


def test_code_spans_are_the_same_in_both_readmes():
    def spans(readme: Path) -> Counter[str]:
        # A span may be wrapped over two lines; Markdown shows the line break as a space.
        found = re.findall(r"`([^`]+)`", prose(readme.read_text(encoding="utf-8")))
        return Counter(" ".join(span.split()) for span in found)

    english, russian = spans(ENGLISH), spans(RUSSIAN)
    assert english == russian, (
        f"`code` spans in README.md only: {sorted((english - russian).elements())}; "
        f"in README.ru.md only: {sorted((russian - english).elements())}"
    )


@pytest.mark.parametrize("readme, other", [(ENGLISH, RUSSIAN), (RUSSIAN, ENGLISH)], ids=["en", "ru"])
def test_each_readme_links_to_the_other_near_the_top(readme: Path, other: Path):
    top = readme.read_text(encoding="utf-8").splitlines()[:5]
    assert any(f"]({other.name})" in line for line in top), (
        f"{readme.name} has no link to {other.name} in its first 5 lines"
    )


def test_same_sections_and_table_rows():
    def outline(readme: Path) -> list[tuple[int, int]]:
        """For each `## ` section, in order: its number and the table rows in it."""
        sections = re.split(r"^## ", prose(readme.read_text(encoding="utf-8")), flags=re.MULTILINE)[1:]
        return [
            (number, len(re.findall(r"^\|", section, re.MULTILINE))) for number, section in enumerate(sections, start=1)
        ]

    english, russian = outline(ENGLISH), outline(RUSSIAN)
    assert len(english) == len(russian), f"README.md has {len(english)} sections, README.ru.md {len(russian)}"
    assert english == russian, f"table rows per section (number, rows): README.md {english}, README.ru.md {russian}"


def test_russian_readme_links_resolve():
    targets = re.findall(r"\]\(([^)#]+)\)", prose(RUSSIAN.read_text(encoding="utf-8")))
    local = [target for target in targets if "://" not in target]
    assert local, "README.ru.md links to no file"
    assert [target for target in local if not (ROOT / target).exists()] == []
