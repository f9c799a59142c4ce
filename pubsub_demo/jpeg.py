"""What a JPEG says of itself before it is decoded: its size, from its start-of-frame marker
(the wire format checks it against the message's header first: a JPEG's own header could ask for
gigabytes); and the flags that make OpenCV decode it at a reduced size.
"""

from __future__ import annotations

import struct

import numpy as np

# cv2.imdecode's flags (grey, colour) for each size: IMREAD_GRAYSCALE, IMREAD_COLOR, IMREAD_REDUCED_*_2/4/8.
READ_FLAGS = {1: (0, 1), 2: (16, 17), 4: (32, 33), 8: (64, 65)}
# JPEG start-of-frame markers: 0xC0-0xCF but for DHT (C4), JPG (C8) and DAC (CC).
SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def size(jpeg: np.ndarray) -> tuple[int, int] | None:
    """(height, width) from a JPEG's start-of-frame marker, or None if there is none."""
    data = jpeg.tobytes()
    if data[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 9 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker in SOF_MARKERS:
            height, width = struct.unpack_from(">HH", data, position + 5)
            return height, width
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return None
