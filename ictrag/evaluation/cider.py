"""CIDEr-D (Vedantam et al. 2015, the variant of the COCO caption evaluation server), in
plain Python, plus the word / CJK-character tokenizer shared with ROUGE-L.

Definition, for a candidate c_i with references S_i (i over the evaluated corpus of N items):

- n-grams n = 1..4 of the tokens (`tokens`), counted;
- document frequency df(g) = number of items i whose reference set S_i contains g;
- tf-idf vector g_n(x)[g] = count_x(g) * (log N - log max(1, df(g)));
- per n: sim_n = sum_g min(g_n(c)[g], g_n(s)[g]) * g_n(s)[g] / (|g_n(c)| |g_n(s)|)
  (0 when either norm is 0), times exp(-(l_c - l_s)^2 / (2 sigma^2)), sigma = 6, where l is
  the number of bigrams of the text (what the reference implementation counts; = tokens - 1);
- CIDEr-D_i = 10 * mean_n(sum_{s in S_i} sim_n(c_i, s)) / |S_i|;  the corpus score is the mean.

This is exactly `pycocoevalcap.cider.cider_scorer` (checked against it on the same tokens).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

# Han ideographs and Japanese kana are one token per character: these scripts are not
# written with spaces, and a per-character split is what BLEU's zh tokenizer does too.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")

SIGMA = 6.0
MAX_N = 4


def tokens(text: str) -> list[str]:
    """Casefolded tokens: each CJK character alone; elsewhere runs of letters and digits
    (punctuation and `_` split and are dropped). On ASCII text this equals rouge-score's
    default tokenizer (lowercase, non-alphanumerics are separators)."""
    return _TOKEN.findall(text.casefold())


def cjk_share(texts: Sequence[str]) -> tuple[float, float]:
    """(share of CJK characters among CJK + other letters, share of kana among CJK)."""
    cjk = kana = other = 0
    for text in texts:
        for char in text:
            if "\u3040" <= char <= "\u30ff":
                kana += 1
                cjk += 1
            elif re.match(rf"[{_CJK}]", char):
                cjk += 1
            elif char.isalpha():
                other += 1
    total = cjk + other
    return (cjk / total if total else 0.0, kana / cjk if cjk else 0.0)


def _ngrams(words: list[str]) -> Counter:
    counts: Counter = Counter()
    for n in range(1, MAX_N + 1):
        for start in range(len(words) - n + 1):
            counts[tuple(words[start : start + n])] += 1
    return counts


def _vector(counts: Counter, df: Counter, log_n: float):
    vec: list[dict[tuple, float]] = [{} for _ in range(MAX_N)]
    norm = [0.0] * MAX_N
    bigrams = 0
    for gram, tf in counts.items():
        n = len(gram) - 1
        weight = float(tf) * (log_n - math.log(max(1.0, df[gram])))
        vec[n][gram] = weight
        norm[n] += weight * weight
        if n == 1:
            bigrams += tf
    return vec, [math.sqrt(value) for value in norm], bigrams


def _similarity(cand, ref) -> list[float]:
    (vec_c, norm_c, len_c), (vec_r, norm_r, len_r) = cand, ref
    penalty = math.exp(-((len_c - len_r) ** 2) / (2 * SIGMA**2))
    values = []
    for n in range(MAX_N):
        value = sum(
            min(weight, vec_r[n].get(gram, 0.0)) * vec_r[n].get(gram, 0.0)
            for gram, weight in vec_c[n].items()
        )
        if norm_c[n] and norm_r[n]:
            value /= norm_c[n] * norm_r[n]
        values.append(value * penalty)
    return values


def cider_d(candidates: Sequence[str], references: Sequence[Sequence[str]]) -> list[float]:
    """Per-item CIDEr-D scores (the corpus score is their mean). Document frequencies come
    from all `references` given, so score a subset by slicing this list, not by calling
    again on the subset."""
    if len(candidates) != len(references):
        raise ValueError("cider_d: one reference list per candidate")
    cand_counts = [_ngrams(tokens(text)) for text in candidates]
    ref_counts = [[_ngrams(tokens(text)) for text in refs] for refs in references]
    df: Counter = Counter()
    for refs in ref_counts:
        df.update({gram for counts in refs for gram in counts})
    log_n = math.log(float(len(references))) if references else 0.0
    scores = []
    for cand, refs in zip(cand_counts, ref_counts, strict=True):
        if not refs:
            scores.append(0.0)
            continue
        cand_vec = _vector(cand, df, log_n)
        total = [0.0] * MAX_N
        for ref in refs:
            for n, value in enumerate(_similarity(cand_vec, _vector(ref, df, log_n))):
                total[n] += value
        scores.append(10.0 * (sum(total) / MAX_N) / len(refs))
    return scores
