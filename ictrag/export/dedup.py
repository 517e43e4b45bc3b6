"""Exact and near-duplicate detection for corpus export: sha256 of normalised text, and
MinHash over word n-shingles with LSH banding (pure numpy, deterministic seeds).

    dedup = Deduplicator(threshold=0.8)
    for key, text in documents:           # in priority order: the first copy is kept
        verdict = dedup.add(key, text)     # None when new, else (reason, kept_key, similarity)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_PRIME = np.uint64((1 << 61) - 1)
_HASH_MASK = np.uint64(0xFFFFFFFF)


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: what 'the same text' means here."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_sha(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def shingles(text: str, n: int = 5) -> set[str]:
    """Word n-shingles of the normalised text; a text shorter than n words is one shingle.
    Han characters count as words of their own, so Chinese text shingles too."""
    words = []
    for token in _WORD.findall(normalise(text)):
        if any("\u3400" <= ch <= "\u9fff" for ch in token):
            words.extend(token)
        else:
            words.append(token)
    if not words:
        return set()
    if len(words) < n:
        return {" ".join(words)}
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _hash32(items: set[str]) -> np.ndarray:
    values = [
        int.from_bytes(hashlib.blake2b(item.encode("utf-8"), digest_size=4).digest(), "little")
        for item in sorted(items)
    ]
    return np.asarray(values, dtype=np.uint64)


class MinHasher:
    """num_perm universal hashes h(x) = (a*x + b) mod (2^61 - 1), a < 2^31, x < 2^32: the
    products stay below 2^63, so uint64 arithmetic never wraps."""

    def __init__(self, num_perm: int = 128, seed: int = 1, block: int = 4096) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.block = block
        self.a = rng.integers(1, 1 << 31, size=num_perm, dtype=np.uint64)
        self.b = rng.integers(0, 1 << 32, size=num_perm, dtype=np.uint64)

    def signature(self, items: set[str]) -> np.ndarray:
        signature = np.full(self.num_perm, _HASH_MASK, dtype=np.uint64)
        hashes = _hash32(items)
        for start in range(0, len(hashes), self.block):
            part = hashes[start : start + self.block]
            values = (self.a[:, None] * part[None, :] + self.b[:, None]) % _PRIME
            signature = np.minimum(signature, (values & _HASH_MASK).min(axis=1))
        return signature


def lsh_params(threshold: float, num_perm: int, recall: float = 0.98) -> tuple[int, int]:
    """(bands, rows): the longest bands (fewest false candidates) that still make a pair at
    exactly `threshold` a candidate with probability >= `recall` (S-curve 1-(1-s^r)^b).
    Candidates are verified against the threshold, so extra ones cost time, not accuracy."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


@dataclass
class Deduplicator:
    threshold: float = 0.8
    num_perm: int = 128
    shingle_size: int = 5
    seed: int = 1
    _exact: dict[str, str] = field(default_factory=dict)
    _signatures: dict[str, np.ndarray] = field(default_factory=dict)
    _buckets: list[dict[bytes, list[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("near-duplicate threshold must be in (0, 1]")
        self.hasher = MinHasher(self.num_perm, self.seed)
        self.bands, self.rows = lsh_params(self.threshold, self.num_perm)
        self._buckets = [{} for _ in range(self.bands)]

    def add(self, key: str, text: str) -> tuple[str, str, float] | None:
        """Register `key` unless it duplicates an earlier text: then return
        ("exact" | "near", the kept key, estimated Jaccard similarity)."""
        sha = text_sha(text)
        if sha in self._exact:
            return ("exact", self._exact[sha], 1.0)
        signature = self.hasher.signature(shingles(text, self.shingle_size))
        bands = [
            signature[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(self.bands)
        ]
        candidates: set[str] = set()
        for bucket, band in zip(self._buckets, bands, strict=True):
            candidates.update(bucket.get(band, ()))
        best: tuple[float, str] | None = None
        for other in sorted(candidates):
            similarity = float((self._signatures[other] == signature).mean())
            if similarity >= self.threshold and (best is None or similarity > best[0]):
                best = (similarity, other)
        if best is not None:
            return ("near", best[1], best[0])
        self._exact[sha] = key
        self._signatures[key] = signature
        for bucket, band in zip(self._buckets, bands, strict=True):
            bucket.setdefault(band, []).append(key)
        return None
