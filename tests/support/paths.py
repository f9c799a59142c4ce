"""Where the project's parts are: its root, and the two parts' folders of scripts."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = ROOT / "random_numbers_transmission"
VIDEO = ROOT / "video_transmission"
