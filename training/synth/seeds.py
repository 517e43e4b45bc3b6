"""Per-item seeds that never overlap between runs.

`random.Random(seed + index)` made item i of run 1 the item i+1 of run 0. Hashing
(run seed, index) gives every item its own 64-bit seed, unrelated across runs and indices.
"""

from __future__ import annotations

import hashlib
import random


def item_seed(seed: int, index: int | str, salt: str = "") -> int:
    digest = hashlib.sha256(f"{salt}{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def item_rng(seed: int, index: int | str, salt: str = "") -> random.Random:
    return random.Random(item_seed(seed, index, salt))
