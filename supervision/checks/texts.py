"""Near-identical texts: members' speech materials within one meeting (发言材料雷同) and thought reports within one
branch (思想汇报雷同). The comparison itself is supervision.similarity's (shingles, MinHash/LSH); a check only says
which texts are compared with which (the group) and describes the pairs found."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from meetings.models import Speech
from members.models import ThoughtReport

from ..choices import CheckKind
from ..services.findings import Fault
from .common import evidence, meeting_label, percent_text, similarity_threshold


def _pairs(items: list[tuple[int, int, str]]) -> list[tuple[int, int, float]]:
    """(smaller key, larger key, similarity) of the near-duplicate pairs within each group, in key order."""
    from ..similarity import near_duplicate_pairs

    found = near_duplicate_pairs(items, threshold=similarity_threshold(), same_group=True)
    pairs = {}
    for pair in found:
        a, b = sorted((pair.a, pair.b))
        if a != b:
            pairs[(a, b)] = max(pairs.get((a, b), 0.0), float(pair.similarity))
    return sorted((a, b, s) for (a, b), s in pairs.items())


def duplicate_speech(today: dt.date) -> Iterator[Fault]:
    """Two members' speech materials at the same meeting at least as similar as the threshold."""
    items = [(pk, meeting_id, text) for pk, meeting_id, text in Speech.objects.values_list("id", "meeting_id", "text")]
    pairs = _pairs(items)
    if not pairs:
        return
    ids = {pk for a, b, _ in pairs for pk in (a, b)}
    speeches = {s.pk: s for s in Speech.objects.filter(pk__in=ids).select_related("meeting__branch", "member__person")}
    for a, b, similarity in pairs:
        left, right = speeches[a], speeches[b]
        meeting = left.meeting
        label = meeting_label(meeting.held_on, meeting.kind)
        names = (left.member.person.name, right.member.person.name)
        share = percent_text(similarity)
        summary = f"{meeting.branch.name}{label}：{names[0]}与{names[1]}的发言材料相似度 {share}"
        yield Fault(
            organization_id=meeting.branch_id,
            check_kind=CheckKind.DUPLICATE_SPEECH,
            key=f"{CheckKind.DUPLICATE_SPEECH}:{a}:{b}",
            description=(
                f"{meeting.branch.name}于{meeting.held_on.isoformat()}召开的{meeting.kind}（主题：{meeting.topic}）上，"
                f"{names[0]}与{names[1]}的发言材料高度雷同（相似度 {share}），疑似照抄照搬、应付了事。"
            ),
            evidence=evidence(
                summary,
                [
                    ("支部", meeting.branch.name),
                    ("会议", f"{label}（主题：{meeting.topic}）"),
                    ("党员", f"{names[0]}、{names[1]}"),
                    ("相似度", share),
                ],
                pair={
                    "left": {"title": f"{names[0]}的发言材料（{label}）", "text": left.text},
                    "right": {"title": f"{names[1]}的发言材料（{label}）", "text": right.text},
                    "similarity": round(similarity, 4),
                },
                refs=[
                    ("meeting", meeting.pk, f"{meeting.branch.name} {label}"),
                    ("member", left.member_id, names[0]),
                    ("member", right.member_id, names[1]),
                ],
            ),
        )


def _report_label(report: ThoughtReport) -> str:
    title = f"《{report.title}》" if report.title else ""
    return f"{report.person.name}于{report.submitted_on.isoformat()}提交的思想汇报{title}"


def duplicate_report(today: dt.date) -> Iterator[Fault]:
    """Two thought reports of one branch at least as similar as the threshold (two people's, or one person's
    report handed in again)."""
    items = list(ThoughtReport.objects.values_list("id", "branch_id", "text"))
    pairs = _pairs(items)
    if not pairs:
        return
    ids = {pk for a, b, _ in pairs for pk in (a, b)}
    reports = {r.pk: r for r in ThoughtReport.objects.filter(pk__in=ids).select_related("branch", "person")}
    for a, b, similarity in pairs:
        left, right = reports[a], reports[b]
        branch = left.branch
        share = percent_text(similarity)
        if left.person_id == right.person_id:
            who = f"{left.person.name}于{left.submitted_on.isoformat()}和{right.submitted_on.isoformat()}提交的两份思想汇报"
        else:
            who = f"{_report_label(left)}与{_report_label(right)}"
        yield Fault(
            organization_id=branch.pk,
            check_kind=CheckKind.DUPLICATE_REPORT,
            key=f"{CheckKind.DUPLICATE_REPORT}:{a}:{b}",
            description=f"{branch.name}：{who}高度雷同（相似度 {share}），疑似抄袭或重复提交。",
            evidence=evidence(
                f"{branch.name}：{left.person.name}与{right.person.name}的思想汇报相似度 {share}",
                [
                    ("支部", branch.name),
                    ("思想汇报一", f"{left.person.name}，{left.submitted_on.isoformat()}，{left.title or '无标题'}"),
                    ("思想汇报二", f"{right.person.name}，{right.submitted_on.isoformat()}，{right.title or '无标题'}"),
                    ("相似度", share),
                ],
                pair={
                    "left": {
                        "title": f"{left.person.name}的思想汇报（{left.submitted_on.isoformat()}）",
                        "text": left.text,
                    },
                    "right": {
                        "title": f"{right.person.name}的思想汇报（{right.submitted_on.isoformat()}）",
                        "text": right.text,
                    },
                    "similarity": round(similarity, 4),
                },
                refs=[
                    ("thoughtreport", left.pk, f"{left.person.name} {left.submitted_on.isoformat()}"),
                    ("thoughtreport", right.pk, f"{right.person.name} {right.submitted_on.isoformat()}"),
                    ("organization", branch.pk, branch.name),
                ],
            ),
        )
