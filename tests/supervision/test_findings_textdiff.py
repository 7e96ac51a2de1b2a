"""supervision.textdiff: two texts side by side, differences marked by character, everything escaped."""

from __future__ import annotations

from supervision.textdiff import MAX_CHARS, side_by_side, similarity


def test_the_common_runs_are_plain_and_the_differences_marked():
    left, right = side_by_side("认真学习党章，查摆问题三条", "认真学习党章，查摆问题四条整改")
    assert left == '认真学习党章，查摆问题<del class="diff-del">三</del>条'
    assert right == '认真学习党章，查摆问题<ins class="diff-ins">四</ins>条<ins class="diff-ins">整改</ins>'


def test_identical_and_empty_texts():
    assert side_by_side("完全相同", "完全相同") == ("完全相同", "完全相同")
    assert side_by_side("", "新增") == ("", '<ins class="diff-ins">新增</ins>')
    assert side_by_side("删掉", None) == ('<del class="diff-del">删掉</del>', "")


def test_markup_is_escaped_never_run():
    left, right = side_by_side('<script>alert("x")</script>甲', '<script>alert("y")</script>甲')
    assert "<script>" not in left and "<script>" not in right
    assert left == '&lt;script&gt;alert(&quot;<del class="diff-del">x</del>&quot;)&lt;/script&gt;甲'
    assert right == '&lt;script&gt;alert(&quot;<ins class="diff-ins">y</ins>&quot;)&lt;/script&gt;甲'
    # A difference inside markup-like text is escaped too.
    left, right = side_by_side("a", "<img src=x onerror=alert(1)>")
    assert "<img" not in right and "&lt;img" in right


def test_a_long_common_beginning_and_end_cost_nothing():
    left, right = side_by_side("甲" * 100_000 + "三" + "乙" * 100_000, "甲" * 100_000 + "四" + "乙" * 100_000)
    assert left == "甲" * 100_000 + '<del class="diff-del">三</del>' + "乙" * 100_000
    assert right == "甲" * 100_000 + '<ins class="diff-ins">四</ins>' + "乙" * 100_000


def test_long_differences_are_compared_up_to_the_limit_and_shown_whole():
    left, right = side_by_side("起" + "甲乙" * MAX_CHARS + "<尾>", "始" + "丙丁" * MAX_CHARS + "末")
    assert left.startswith('<del class="diff-del">起') and left.endswith("&lt;尾&gt;")
    assert right.endswith("末") and "<尾>" not in left
    assert len(left.replace('<del class="diff-del">', "").replace("</del>", "")) == len(
        "起" + "甲乙" * MAX_CHARS + "&lt;尾&gt;"
    )


def test_similarity():
    assert similarity("一二三四", "一二三四") == 1.0
    assert similarity("一二三四", "一二三五") == 0.75
    assert similarity("", "") == 1.0
