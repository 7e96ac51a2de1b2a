"""Two texts side by side with their differences marked, for the near-duplicate findings (发言材料雷同, 思想汇报雷同).

The comparison is by character (Chinese has no spaces to split words on). Every piece of text is HTML-escaped before
it is wrapped, so a text holding markup shows the markup as text and never runs it.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Past this many differing characters a side (after the common beginning and end), the character-level matcher
# (quadratic in the worst case) is not worth waiting for: the rest is shown unmarked.
MAX_CHARS = 5_000


def _mark(tag: str, text: str) -> str:
    return f'<{tag} class="diff-{tag}">{escape(text)}</{tag}>' if text else ""


def side_by_side(left: str, right: str) -> tuple[SafeString, SafeString]:
    """(left_html, right_html): the left text with what the right lacks in <del>, the right text with what the left
    lacks in <ins>; the common runs plain. Both escaped, safe to put in a template."""
    left, right = left or "", right or ""
    # The common beginning and end are found in linear time; the matcher sees only what lies between.
    start = 0
    limit = min(len(left), len(right))
    while start < limit and left[start] == right[start]:
        start += 1
    end = 0
    while end < limit - start and left[-1 - end] == right[-1 - end]:
        end += 1
    common_head, common_tail = left[:start], left[len(left) - end :]
    middle_l, middle_r = left[start : len(left) - end], right[start : len(right) - end]
    head_l, tail_l = middle_l[:MAX_CHARS], middle_l[MAX_CHARS:]
    head_r, tail_r = middle_r[:MAX_CHARS], middle_r[MAX_CHARS:]
    matcher = SequenceMatcher(None, head_l, head_r, autojunk=False)
    out_l: list[str] = [escape(common_head)]
    out_r: list[str] = [escape(common_head)]
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = head_l[i1:i2], head_r[j1:j2]
        if op == "equal":
            out_l.append(escape(a))
            out_r.append(escape(b))
        else:  # replace, delete, insert
            out_l.append(_mark("del", a))
            out_r.append(_mark("ins", b))
    out_l.extend((escape(tail_l), escape(common_tail)))
    out_r.extend((escape(tail_r), escape(common_tail)))
    return mark_safe("".join(out_l)), mark_safe("".join(out_r))  # every piece was escaped above


def similarity(left: str, right: str) -> float:
    """The share of characters the two texts have in common (difflib's ratio), 0 to 1."""
    return SequenceMatcher(None, (left or "")[:MAX_CHARS], (right or "")[:MAX_CHARS], autojunk=False).ratio()
