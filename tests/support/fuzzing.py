"""Messages for fuzzing a decoder: arbitrary bytes, and valid messages with bytes flipped, cut,
inserted or parts added."""

from __future__ import annotations

import random

import numpy as np

from pubsub_demo import wire


def _good_message(rng: random.Random) -> list[bytes]:
    dtype = rng.choice(list(wire.DTYPES.values()))
    shape = tuple(rng.randint(0, 5) for _ in range(rng.randint(0, 3)))
    return [bytes(memoryview(part)) for part in wire.encode(np.zeros(shape, dtype), seq=rng.randint(0, 99))]


def _mutate(rng: random.Random, parts: list[bytes]) -> list[bytes]:
    parts = [bytearray(part) for part in parts]
    for _ in range(rng.randint(1, 4)):
        part = rng.choice(parts)
        action = rng.randint(0, 3)
        if action == 0 and part:
            part[rng.randrange(len(part))] = rng.randrange(256)
        elif action == 1 and part:
            del part[rng.randrange(len(part)) :]
        elif action == 2:
            part[rng.randint(0, len(part)) : rng.randint(0, len(part))] = rng.randbytes(rng.randint(1, 16))
        elif len(parts) < 4:
            parts.append(bytearray(rng.randbytes(rng.randint(0, 48))))
    return [bytes(part) for part in parts]


def fuzz_corpus(count: int, seed: int = 1) -> list[list[bytes]]:
    """Arbitrary messages, and valid ones with bytes flipped, cut, inserted or parts added."""
    rng = random.Random(seed)
    corpus = []
    for n in range(count):
        if n % 3 == 0:
            corpus.append([rng.randbytes(rng.randint(0, 80)) for _ in range(rng.randint(1, 3))])
        else:
            corpus.append(_mutate(rng, _good_message(rng)))
    return corpus
