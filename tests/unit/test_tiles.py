"""A JPEG frame decoded at the size its tile shows: half, a quarter or an eighth, checked as a whole one."""

from __future__ import annotations

import cv2
import numpy as np

from pubsub_demo import wire
from pubsub_demo.video.layout import Place
from pubsub_demo.video.test_card import NamedTestCard, camera_code, card_number, split_code
from pubsub_demo.wall import tiles


def test_a_tile_decodes_as_small_as_it_shows_and_never_smaller():
    tile = Place(0, 0, 310, 174)
    assert tiles.reduction((640, 360), tile) == 2  # 320x180, then shrunk to 310x174
    assert tiles.reduction((640, 360), Place(0, 0, 80, 45)) == 8
    assert tiles.reduction((640, 360), Place(0, 0, 640, 360)) == 1
    assert tiles.reduction((1280, 720), Place(0, 0, 300, 300)) == 4  # shown 300x169: 320x180 is enough


def test_a_tile_keeps_the_camera_s_code_readable_under_its_label():
    pattern = NamedTestCard("ann", 640, 360, fps=15)
    for _ in range(7):
        picture = pattern.read()
    canvas = np.zeros((400, 700, 3), np.uint8)
    tile = Place(5, 5, 310, 174)
    jpeg = wire.encode(picture, 6, jpeg_quality=80)
    small = wire.decode(jpeg, reduce=tiles.reduction((640, 360), tile)).array
    tiles.draw_picture(canvas, tile, small)
    tiles.draw_label(canvas, tile, "ann, 15.0 frames/s, 12 ms old")
    shown = canvas[tile.y : tile.y + tile.height, tile.x : tile.x + tile.width]
    code = card_number(cv2.resize(shown, (640, 360)))
    assert code == camera_code("ann", 6) and split_code(code)[1] == 6
    assert (shown[:25].max(axis=2) > 200).any()  # the label's white text along the top
    tiles.dim(canvas, tile)
    assert card_number(cv2.resize(canvas[5:179, 5:315], (640, 360))) is None  # a dimmed tile shows no code


def test_a_label_too_long_for_its_tile_is_cut_short_inside_it():
    canvas = np.zeros((100, 200, 3), np.uint8)
    tiles.draw_label(canvas, Place(10, 10, 60, 34), "a-very-long-camera-name, 15.0 frames/s, 12 ms old")
    assert canvas[:, 71:].max() == 0 and canvas[:, :10].max() == 0  # nothing drawn beside the tile
