"""Near-duplicate texts (copied speeches, copied thought reports) at scale: character shingles, MinHash signatures,
LSH banding, and an exact check of every candidate.

- A text is normalized (NFKC; whitespace, punctuation and symbols dropped: "学习，贯彻" and "学习贯彻" are the same
  text) and cut into overlapping character 4-grams (shingles). Similarity is the Jaccard index of two texts' shingle
  sets, computed exactly (`similarity`). Four characters: Chinese words are one to four characters, so 3-grams are
  shared by unrelated texts through common words, while 5-grams make one edited character cost five shingles.
- Signatures: one-permutation MinHash (Li, Owen & Zhang 2012) with rotation densification (Shrivastava & Li 2014):
  each shingle's 64-bit hash picks one of K bins and the minimum per bin is kept, so a text costs one pass over its
  shingles rather than K (K independent hash functions were ~K times slower: the 1M-text benchmark would not fit its
  two minutes on two cores). The hash is a fixed polynomial of the code points mixed by splitmix64, never Python's
  salted `hash()`, so signatures are the same in every process and on every night.
- LSH: K = BANDS × ROWS values; two texts are candidates when all ROWS values of some band agree (and, with
  `same_group`, they share a group: the group is folded into the band key). The chance that a pair of similarity s
  becomes a candidate is 1 − (1 − s^ROWS)^BANDS: 0.986 at 0.8, 0.99999 at 0.9, 2e-5 at 0.15. Party-work writing
  shares its stock phrases (unrelated texts of the benchmark corpus average 0.08, up to 0.2), so rows are many: with
  6 rows a million such texts made ~10M candidate pairs, with 7 about 2M, screened in a few seconds.
- Candidates are screened by their signatures (share of equal values, vectorized) and then checked exactly; only
  pairs at or above the threshold are returned. Nothing is held per pair of texts; signatures are N × K 32-bit
  values (1M texts: 504 MB).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np

SHINGLE = 4
BANDS, ROWS = 18, 7
K = BANDS * ROWS
CHUNK = 20_000  # texts hashed together
LARGE_BUCKET = 2_000  # a band bucket larger than this is paired against its first member only (see _bucket_pairs)
SCREEN_MARGIN = 0.15  # signature estimates more than this below the threshold are not checked exactly (3.8σ at K=126)

_DROP = re.compile(r"[\W_]+")
_EMPTY = np.uint32(0xFFFFFFFF)
_M = np.uint64(0x100000001B3)


@dataclass(frozen=True)
class Pair:
    a: Hashable
    b: Hashable
    similarity: float


def normalize(text: str) -> str:
    # Punctuation first: full-width "，。" are what makes Chinese text not NFKC-normal, and the quick check on the
    # rest saves NFKC's cost (five times the rest of the signature) on almost every text.
    t = _DROP.sub("", text or "")
    if not unicodedata.is_normalized("NFKC", t):
        t = _DROP.sub("", unicodedata.normalize("NFKC", t))
    return t


def shingles(text: str, k: int = SHINGLE) -> set[str]:
    """The character k-grams of the normalized text (a text shorter than k is one shingle; an empty one none)."""
    t = normalize(text)
    if not t:
        return set()
    if len(t) < k:
        return {t}
    return {t[i : i + k] for i in range(len(t) - k + 1)}


def jaccard(a: set, b: set) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' shingle sets, exact; 0.0 when either is empty."""
    return jaccard(shingles(a), shingles(b))


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the 64 output bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def signatures(texts: list[str]) -> np.ndarray:
    """(len(texts), K) uint32 one-permutation MinHash signatures; an empty text's row is all EMPTY."""
    out = np.empty((len(texts), K), dtype=np.uint32)
    for start in range(0, len(texts), CHUNK):
        out[start : start + CHUNK] = _chunk_signatures(texts[start : start + CHUNK])
    return out


def _chunk_signatures(texts: list[str]) -> np.ndarray:
    norm = [normalize(t) for t in texts]
    lengths = np.fromiter((len(t) for t in norm), dtype=np.int64, count=len(norm))
    n = len(norm)
    sig = np.full(n * K, _EMPTY, dtype=np.uint32)
    cp = np.frombuffer("".join(norm).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    hashes, owners = [], []
    if cp.size >= SHINGLE:
        # The shingle starting at every position of the concatenated texts, from contiguous slices; those that run
        # over the end of their text are dropped.
        h = np.zeros(cp.size - SHINGLE + 1, dtype=np.uint64)
        for j in range(SHINGLE):
            h = h * _M + cp[j : cp.size - SHINGLE + 1 + j]
        ends = np.cumsum(lengths)
        valid = np.ones(h.size, dtype=bool)
        over = (ends[:, None] - np.arange(1, SHINGLE)[None, :]).ravel()
        valid[over[(over >= 0) & (over < h.size)]] = False
        positions = np.flatnonzero(valid)
        hashes.append(h[positions])
        owners.append(np.searchsorted(ends, positions, side="right"))
    short = np.flatnonzero((lengths > 0) & (lengths < SHINGLE))
    if short.size:  # a text shorter than a shingle is one shingle of its own length
        h = np.zeros(short.size, dtype=np.uint64)
        for i, t in zip(range(short.size), (norm[k] for k in short)):
            for ch in t:
                h[i] = h[i] * _M + np.uint64(ord(ch))
        hashes.append(h + lengths[short].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        owners.append(short)
    if hashes:
        h = _mix64(np.concatenate(hashes))
        owner = np.concatenate(owners)
        bins = ((h >> np.uint64(32)) * np.uint64(K)) >> np.uint64(32)
        np.minimum.at(sig, owner * K + bins.astype(np.int64), (h & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    sig = sig.reshape(n, K)
    _densify(sig, lengths > 0)
    return sig


def _densify(sig: np.ndarray, nonempty: np.ndarray) -> None:
    """Fill each empty bin from the nearest filled bin to its right (circularly), offset by the distance: two texts
    with the same shingles fill the same way."""
    empty = (sig == _EMPTY) & nonempty[:, None]
    if not empty.any():
        return
    source = sig.copy()
    for d in range(1, K):
        shifted = np.roll(source, -d, axis=1)
        take = empty & (shifted != _EMPTY)
        if take.any():
            sig[take] = (shifted[take].astype(np.uint64) + np.uint64(d * 0x9E3779B1) & np.uint64(0xFFFFFFFF)).astype(
                np.uint32
            )
            empty &= ~take
        if not empty.any():
            break


def _band_keys(sig: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """(BANDS, N) uint64 keys; equal keys = equal band (and equal group)."""
    keys = np.empty((BANDS, sig.shape[0]), dtype=np.uint64)
    for b in range(BANDS):
        key = np.full(sig.shape[0], b + 1, dtype=np.uint64)
        for value in sig[:, b * ROWS : (b + 1) * ROWS].T:
            key = _mix64(key * _M + value.astype(np.uint64))
        if groups is not None:
            key = _mix64(key ^ groups)
        keys[b] = key
    return keys


def _bucket_pairs(order: np.ndarray, keys_sorted: np.ndarray) -> np.ndarray:
    """Index pairs (i < j) of texts sharing a key, as int64 codes i * 2^32 + j."""
    boundaries = np.flatnonzero(np.diff(keys_sorted)) + 1
    starts = np.concatenate(([0], boundaries))
    sizes = np.diff(np.concatenate((starts, [keys_sorted.size])))
    codes = []
    twos = starts[sizes == 2]
    if twos.size:
        a, b = order[twos], order[twos + 1]
        codes.append(np.minimum(a, b) * 2**32 + np.maximum(a, b))
    for s, size in zip(starts[sizes > 2], sizes[sizes > 2]):
        members = np.sort(order[s : s + size])
        if size > LARGE_BUCKET:
            # Thousands of texts agreeing on a whole band are copies of one another: pairing each with the first
            # bounds the work; the other bands and the exact check still see their pairs with each other.
            codes.append(members[0] * 2**32 + members[1:])
            continue
        i, j = np.triu_indices(size, k=1)
        codes.append(members[i] * 2**32 + members[j])
    return np.concatenate(codes) if codes else np.empty(0, dtype=np.int64)


def candidate_pairs(sig: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """(M, 2) index pairs that agree on at least one band, each once."""
    nonempty = sig[:, 0] != _EMPTY
    index = np.flatnonzero(nonempty)
    if index.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    keys = _band_keys(sig[index], None if groups is None else groups[index])
    codes = []
    for band in keys:
        order = np.argsort(band, kind="stable")
        codes.append(_bucket_pairs(order, band[order]))
    unique = np.unique(np.concatenate(codes))
    a, b = unique // 2**32, unique % 2**32
    return np.stack((index[a], index[b]), axis=1)


def _group_codes(groups: list) -> np.ndarray:
    codes: dict = {}
    return np.array([codes.setdefault(g, len(codes)) for g in groups], dtype=np.uint64)


def near_duplicate_pairs(
    items: Iterable[tuple[Hashable, Hashable, str]], *, threshold: float = 0.8, same_group: bool = True
) -> list[Pair]:
    """Every pair of texts with similarity ≥ threshold (within one group when `same_group`). `items` are
    (key, group, text); the result is sorted by (a, b) with a < b where keys are orderable, deterministic."""
    items = list(items)
    if len(items) < 2:
        return []
    keys = [k for k, _, _ in items]
    texts = [t or "" for _, _, t in items]
    sig = signatures(texts)
    groups = _group_codes([g for _, g, _ in items]) if same_group else None
    pairs = candidate_pairs(sig, groups)
    if pairs.size:
        estimate = np.empty(len(pairs))
        for s in range(0, len(pairs), 1_000_000):
            part = pairs[s : s + 1_000_000]
            estimate[s : s + 1_000_000] = (sig[part[:, 0]] == sig[part[:, 1]]).mean(axis=1)
        pairs = pairs[estimate >= threshold - SCREEN_MARGIN]
    cache: dict[int, set[str]] = {}

    def shingles_of(i: int) -> set[str]:
        if i not in cache:
            cache[i] = shingles(texts[i])
        return cache[i]

    found = []
    for i, j in pairs.tolist():
        s = jaccard(shingles_of(i), shingles_of(j))
        if s >= threshold:
            a, b = keys[i], keys[j]
            try:
                if b < a:
                    a, b = b, a
            except TypeError:
                pass
            found.append(Pair(a, b, s))
    try:
        found.sort(key=lambda p: (p.a, p.b))
    except TypeError:
        found.sort(key=lambda p: (str(p.a), str(p.b)))
    return found


def recall_at(s: float) -> float:
    """The chance that a pair of similarity s becomes a candidate: 1 − (1 − s^ROWS)^BANDS."""
    return 1 - (1 - s**ROWS) ** BANDS
