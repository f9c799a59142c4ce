"""Text written on a picture: white on a dark band, at a size that can be read once the picture
is on the screen, broken into lines to fit (OpenCV's putText writes one line, as wide as it is).
"""

from __future__ import annotations

import cv2
import numpy as np

from pubsub_demo.video.test_card import CODE_ROWS

TEXT_HEIGHT = 14  # pixels on the screen: the height of a capital letter in text drawn on a window
FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_text(image: np.ndarray, text: str, screen_scale: float, *, middle: bool = False) -> slice | None:
    """Write `text` on `image` (in place), white on a dark band, so that it can be read once the
    image is shown at `screen_scale` times its size: along the bottom, or in the `middle`.
    Long text is broken into lines, and made smaller only if a single word is too wide.
    Returns the band's rows (None: no text, on so small a picture)."""
    height, width = image.shape[:2]
    margin = max(1, width // 40)
    room = width - 2 * margin
    if room < 8 or height < 8:
        return None  # no text can be read on so small a picture
    text = text.replace("…", "...")  # OpenCV's fonts have ASCII only
    (_, capital), _ = cv2.getTextSize("H", FONT, 1.0, 1)
    font_scale = TEXT_HEIGHT / screen_scale / capital
    widest_word = max(_text_width(word, font_scale) for word in text.split() or [""])
    if widest_word > room:
        font_scale *= room / widest_word
    thickness = max(1, round(1.5 * font_scale))
    lines = _wrap(text, font_scale, room)
    line_height = max(1, round(2 * capital * font_scale))
    block = line_height * len(lines)
    # At the bottom, the band stops short of the last rows, where the test pattern writes its
    # frame number (video.draw_number), which stays readable.
    top = (height - block) // 2 if middle else height - CODE_ROWS - margin - block
    band = slice(max(0, top - margin), max(0, min(height, top + block + margin)))
    image[band] //= 3  # a dark band: the text stands out on any picture
    for number, line in enumerate(lines):
        left = (width - _text_width(line, font_scale)) // 2 if middle else margin
        baseline = top + number * line_height + round(1.5 * capital * font_scale)
        cv2.putText(image, line, (left, baseline), FONT, font_scale, (255, 255, 255), thickness, cv2.LINE_AA)
    return band


def _text_width(text: str, font_scale: float) -> int:
    return cv2.getTextSize(text, FONT, font_scale, max(1, round(1.5 * font_scale)))[0][0]


def _wrap(text: str, font_scale: float, room: int) -> list[str]:
    """`text` in lines no wider than `room` pixels, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", font_scale) <= room:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines or [""]
