"""BM25 sparse vectors with a tokenizer that knows ICT tokens.

An ICT token ("GE0/0/1", "10.0.0.0/24", "S1-MME", "2001:db8::1", "802.1X") is kept whole and
its alphanumeric parts are indexed beside it, so an exact query for the whole token scores
highest while a query for a part still matches. Document vectors carry BM25-saturated term
frequencies; the engine supplies IDF (Modifier.IDF on the `bm25` sparse vector).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from functools import lru_cache

K1 = 1.2
B = 0.75
AVG_LEN = 200.0
"""Expected tokens per chunk (words plus the parts of compound tokens); fixed, not learned."""
MAX_TOKEN_LEN = 64

# English stopwords, less the ones that mean something on a CLI: "no shutdown", "link up/down".
_STOPWORDS = """
    a about above after again against all am an and any are aren't as at be because been before
    being below between both but by can cannot could did do does doing during each e.g etc
    few for from further had has have having he her here hers herself him himself his how i i.e
    if in into is isn't it it's its itself let's me more most my myself nor not of on
    once only or other ought our ours ourselves out over own same shall she should so some such
    than that the their theirs them themselves then there these they this those through to too
    under until very was we were what when where which while who whom why will with would
    you your yours yourself yourselves
"""
STOPWORDS = frozenset(_STOPWORDS.split())

# Keywords that name the number after them: "VLAN 10" is also indexed as "vlan10".
_NUMBERED = """
    vlan vlans rfc as asn area port slot vrf vni vpn ieee release rel ts tr option figure fig
    table chapter section step class queue priority dscp level layer tunnel loopback
"""
NUMBERED = frozenset(_NUMBERED.split())

_SPLIT = re.compile(r"[^\w./:\-+@#]+")
_LEAD = ".:/-_@#+"
_TRAIL = ".:/-_@#"
_PARTS = re.compile(r"[\W_]+")
_ALPHA_NUM = re.compile(r"^([a-z]{2,})(\d+)$")
_VERSIONED = re.compile(r"^([a-z]{2,})v\d+$")
_NUMBERISH = re.compile(r"^\d")


def _stem(word: str) -> str:
    """Plural stripping only: enough to match "routers" with "router", nothing clever."""
    if len(word) <= 4 or not word.isalpha() or not word.isascii():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _expand(token: str) -> list[str]:
    """A lowercased candidate -> itself (stemmed if a plain word) plus its indexed parts."""
    if token.isalnum():
        out = [_stem(token)]
        parts = [token]
    else:
        out = [token]
        # "10.0.0.0/24" -> "10.0.0.0": the address without its prefix length.
        out.extend(seg for seg in token.split("/")[:-1] if not seg.isalnum() and len(seg) > 1)
        # single letters ("e.g" -> "e", "g") carry no meaning; single digits do ("0/0/1")
        parts = [part for part in _PARTS.split(token) if part and (len(part) > 1 or part.isdigit())]
        out.extend(parts)
    for part in parts:
        if versioned := _VERSIONED.match(part):
            out.append(versioned.group(1))  # "ospfv3" -> "ospf", "ipv6" -> "ip"
        elif alpha_num := _ALPHA_NUM.match(part):
            out.append(alpha_num.group(1))  # "eth0" -> "eth", "ge0" -> "ge"
    return out


def _candidates(text: str) -> list[str]:
    words = []
    for raw in _SPLIT.split(text.lower()):
        word = raw.lstrip(_LEAD).rstrip(_TRAIL)
        if word and len(word) <= MAX_TOKEN_LEN and any(ch.isalnum() for ch in word):
            words.append(word)
    return words


def tokenize(text: str) -> list[str]:
    """Lowercased tokens: whole ICT tokens, their parts, "keyword+number" joins; no stopwords."""
    words = _candidates(text)
    tokens: list[str] = []
    for i, word in enumerate(words):
        if word in NUMBERED and i + 1 < len(words) and _NUMBERISH.match(words[i + 1]):
            tokens.append(word + words[i + 1])  # "rfc 2328" -> "rfc2328", "as 65001" -> "as65001"
        if word not in STOPWORDS:
            tokens.extend(_expand(word))
    return [token for token in tokens if token not in STOPWORDS]


@lru_cache(maxsize=1 << 18)
def token_index(token: str) -> int:
    """A stable 32-bit id for a token (same across processes and machines)."""
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "little")


def _counts(text: str) -> Counter[int]:
    # Counting by index rather than token folds the rare hash collision into one dimension.
    return Counter(token_index(token) for token in tokenize(text))


def sparse_vector(text: str) -> tuple[list[int], list[float]]:
    """Document side: BM25 term-frequency saturation with a fixed average length."""
    counts = _counts(text)
    length = sum(counts.values())
    norm = K1 * (1.0 - B + B * length / AVG_LEN)
    indices = sorted(counts)
    values = [counts[i] * (K1 + 1.0) / (counts[i] + norm) for i in indices]
    return indices, values


def sparse_query(text: str) -> tuple[list[int], list[float]]:
    """Query side: weight 1 per unique token; IDF comes from the engine."""
    indices = sorted(_counts(text))
    return indices, [1.0] * len(indices)


def sparse_vectors(texts: list[str]) -> list[tuple[list[int], list[float]]]:
    return [sparse_vector(text) for text in texts]
