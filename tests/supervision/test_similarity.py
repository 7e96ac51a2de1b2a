"""The near-duplicate engine (supervision/similarity.py): exact similarity by hand, and the scan finding what it
must (and nothing across groups) among unrelated texts."""

from __future__ import annotations

import random

import pytest

from bench.near_duplicates import copied, party_text
from supervision import similarity as sim


def test_shingles_are_four_character_grams_of_the_normalized_text():
    assert sim.shingles("学习 贯彻，精神！") == {"学习贯彻", "习贯彻精", "贯彻精神"}
    assert sim.shingles("党建") == {"党建"}  # shorter than k: the whole text is one shingle
    assert sim.shingles(" ，。 ") == set()


def test_similarity_by_hand():
    # "ABCDEF" → ABCD BCDE CDEF; "ABCDEG" → ABCD BCDE CDEG: 2 shared of 4 distinct → 0.5
    assert sim.similarity("甲乙丙丁戊己", "甲乙丙丁戊庚") == pytest.approx(2 / 4)
    assert sim.similarity("同一段文字内容", "同一段文字内容") == 1.0
    assert sim.similarity("同一段文字内容", "完全不相干的话") == 0.0
    assert sim.similarity("", "任何内容") == 0.0
    # whitespace and punctuation are not text: a reformatted copy is the same text
    assert sim.similarity("认真学习，贯彻落实。", "认真学习 贯彻落实") == 1.0


def _corpus(n, seed=7):
    rng = random.Random(seed)
    return [party_text(rng) for _ in range(n)], rng


def test_finds_planted_copies_among_unrelated_texts():
    texts, rng = _corpus(600)
    items = [(i, 0, t) for i, t in enumerate(texts)]
    planted = {}
    for n, source in enumerate((3, 50, 222, 404)):
        key = 1000 + n
        items.append((key, 0, copied(rng, texts[source])))
        planted[(source, key)] = sim.similarity(texts[source], items[-1][2])
    pairs = sim.near_duplicate_pairs(items, same_group=False)
    found = {(p.a, p.b): p.similarity for p in pairs}
    expected = {k for k, s in planted.items() if s >= 0.8}
    assert expected and expected <= set(found)
    for key in expected:
        assert found[key] == pytest.approx(planted[key])  # exact, not the estimate
    assert all(p.similarity >= 0.8 for p in pairs)
    # nothing unrelated: every pair found involves a planted copy
    assert all(p.b >= 1000 for p in pairs)


def test_groups_keep_pairs_apart_unless_asked():
    text = party_text(random.Random(1))
    items = [("a", "支部甲", text), ("b", "支部乙", text), ("c", "支部甲", text + "。")]
    assert [(p.a, p.b) for p in sim.near_duplicate_pairs(items)] == [("a", "c")]
    assert [(p.a, p.b) for p in sim.near_duplicate_pairs(items, same_group=False)] == [
        ("a", "b"),
        ("a", "c"),
        ("b", "c"),
    ]


def test_threshold_boundary_is_inclusive():
    # 10 shingles shared out of 10 vs 12 distinct (two extra at the end of b's text... built by hand):
    a = "一二三四五六七八九十百千万"  # 13 chars → 10 shingles
    b = a + "亿兆"  # 15 chars → 12 shingles, 10 of them a's
    assert sim.similarity(a, b) == pytest.approx(10 / 12)
    items = [(1, 0, a), (2, 0, b)]
    assert [p.similarity for p in sim.near_duplicate_pairs(items, threshold=10 / 12)] == [pytest.approx(10 / 12)]
    assert sim.near_duplicate_pairs(items, threshold=10 / 12 + 1e-9) == []


def test_empty_short_and_single_texts():
    assert sim.near_duplicate_pairs([]) == []
    assert sim.near_duplicate_pairs([(1, 0, "只有一段")]) == []
    assert sim.near_duplicate_pairs([(1, 0, ""), (2, 0, ""), (3, 0, "   ")]) == []  # empty texts never pair
    assert [(p.a, p.b) for p in sim.near_duplicate_pairs([(1, 0, "党建"), (2, 0, "党建"), (3, 0, "团建")])] == [(1, 2)]


def test_deterministic():
    texts, rng = _corpus(300, seed=11)
    items = [(i, i % 3, t) for i, t in enumerate(texts)] + [(900 + i, i % 3, copied(rng, texts[i])) for i in range(9)]
    first = sim.near_duplicate_pairs(items)
    assert first == sim.near_duplicate_pairs(list(reversed(items)))
    assert len(first) >= 8
    assert (sim.signatures(texts[:5]) == sim.signatures(texts[:5])).all()


def test_a_group_of_template_copies_stays_bounded_and_complete():
    rng = random.Random(5)
    template = party_text(rng)
    texts = [copied(rng, template) for _ in range(200)]
    pairs = sim.near_duplicate_pairs([(i, 0, t) for i, t in enumerate(texts)])
    truth = {
        (i, j)
        for i in range(200)
        for j in range(i + 1, 200)
        if sim.jaccard(sim.shingles(texts[i]), sim.shingles(texts[j])) >= 0.8
    }
    found = {(p.a, p.b) for p in pairs}
    assert found <= truth
    assert len(found) >= 0.95 * len(truth)
