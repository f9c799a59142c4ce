"""A wall's tiles, drawn on its picture: a camera's frame fitted into its tile, a label along the
tile's top, a dimmed tile; and how much smaller a JPEG frame can be decoded for its tile.

A tile's label goes at the top, so the test pattern's row of cells along the bottom of a frame
(test_card.draw_number) stays readable on the wall.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from pubsub_demo.video.layout import Place

FONT = cv2.FONT_HERSHEY_SIMPLEX
LABEL_HEIGHT = (6, 14)  # pixels: the height of a capital letter in a label, at least and at most
CAPITAL = cv2.getTextSize("H", FONT, 1.0, 1)[0][1]  # pixels: a capital letter's height at scale 1
REDUCTIONS = (8, 4, 2)  # what a JPEG decoder can shrink a frame by as it decodes it (IMREAD_REDUCED_*)


def fitted(image_size: tuple[int, int], tile: Place) -> Place:
    """Where a picture of `image_size` (width, height) goes in `tile`: as large as fits, aspect
    kept, in the middle."""
    scale = min(tile.width / image_size[0], tile.height / image_size[1])
    width = max(1, min(tile.width, round(image_size[0] * scale)))
    height = max(1, min(tile.height, round(image_size[1] * scale)))
    return Place(tile.x + (tile.width - width) // 2, tile.y + (tile.height - height) // 2, width, height)


def reduction(image_size: tuple[int, int], tile: Place) -> int:
    """The largest factor (8, 4, 2, else 1) a JPEG frame of `image_size` can be decoded smaller by
    and still be at least as large as it is shown in `tile` (so it is only ever shrunk)."""
    shown = fitted(image_size, tile)
    for factor in REDUCTIONS:
        if math.ceil(image_size[0] / factor) >= shown.width and math.ceil(image_size[1] / factor) >= shown.height:
            return factor
    return 1


def draw_picture(canvas: np.ndarray, tile: Place, image: np.ndarray) -> None:
    """Draw `image` (8-bit grey or BGR) into `tile` of `canvas`, fitted, on black."""
    place = fitted((image.shape[1], image.shape[0]), tile)
    canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width] = 0
    if place.size != image.shape[1::-1]:
        # Shrunk to less than half (a raw frame, which no decoder shrank): each pixel an average
        # (INTER_AREA); else, as after a JPEG decoder shrank it, a faster blend of the nearest 4.
        shrunk = place.width < image.shape[1] / 2
        image = cv2.resize(image, place.size, interpolation=cv2.INTER_AREA if shrunk else cv2.INTER_LINEAR)
    picture = image
    if picture.ndim == 2:
        picture = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
    canvas[place.y : place.y + place.height, place.x : place.x + place.width] = picture


def dim(canvas: np.ndarray, tile: Place) -> None:
    """Darken `tile` of `canvas` to a third: what it shows is old."""
    canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width] //= 3


def draw_label(canvas: np.ndarray, tile: Place, text: str) -> None:
    """Write `text` along the top of `tile`, white on a dark band, one line, at a size for the
    tile's height (LABEL_HEIGHT). What does not fit is left out: the last ", ..." pieces first
    (the name, first in a label, keeps its size), then the text is made smaller, then cut short."""
    margin = max(2, tile.width // 60)
    room = tile.width - 2 * margin
    capital = CAPITAL
    scale = min(LABEL_HEIGHT[1], max(LABEL_HEIGHT[0], tile.height // 10)) / capital
    while ", " in text and _width(text, scale) > room:
        text = text.rsplit(", ", 1)[0]
    if _width(text, scale) > room:
        scale = max(LABEL_HEIGHT[0] / capital, scale * room / _width(text, scale))
    while len(text) > 1 and _width(text, scale) > room:
        text = text[:-2] + "."
    band = round(2.2 * capital * scale)
    canvas[tile.y : tile.y + min(band, tile.height), tile.x : tile.x + tile.width] //= 3
    baseline = tile.y + round(1.6 * capital * scale)
    cv2.putText(canvas, text, (tile.x + margin, baseline), FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)


def _width(text: str, scale: float) -> int:
    return cv2.getTextSize(text, FONT, scale, 1)[0][0]
