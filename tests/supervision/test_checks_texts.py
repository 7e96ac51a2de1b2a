"""Near-identical texts worked out by hand: speeches within one meeting, thought reports within one branch.

supervision.similarity compares texts by the Jaccard index of their character 4-grams (punctuation and spaces
dropped). The texts here are runs of distinct characters (CJK code points 4E00 + i), so every 4-gram of a text is
distinct and the index is a matter of counting:
    a text of n distinct characters has n − 3 shingles; a copy that keeps the first m characters and replaces the
    rest with new ones shares the m − 3 shingles inside the kept part: J = (m − 3) / (2(n − 3) − (m − 3)).
    n = 93, m = 83:   80 / (180 − 80) = 0.80   (at the default threshold: found)
    n = 182, m = 161: 158 / (358 − 158) = 0.79 (below it: not found; found once the threshold is 0.79)
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from meetings.models import Attendance, Meeting
from meetings.services import speech_save
from members.models import ThoughtReport
from members.services import member_create
from supervision.checks.texts import duplicate_report, duplicate_speech
from supervision.similarity import similarity
from tests.factories import PersonFactory, id_number_for

SHANGHAI = timezone.get_default_timezone()
TODAY = dt.date(2026, 12, 1)


def run(start: int, length: int) -> str:
    return "".join(chr(0x4E00 + start + i) for i in range(length))


def punctuated(text: str) -> str:
    """The same text with punctuation and line breaks put in: the same shingles."""
    return "，\n".join(text[i : i + 10] for i in range(0, len(text), 10)) + "。"


BASE_80 = run(0, 93)
COPY_80 = BASE_80[:83] + run(1000, 10)
OTHER = run(2000, 93)
BASE_79 = run(3000, 182)
COPY_79 = BASE_79[:161] + run(4000, 21)


def test_the_texts_are_as_worked_out():
    assert similarity(BASE_80, COPY_80) == 0.8
    assert similarity(BASE_79, COPY_79) == 0.79
    assert similarity(BASE_79, punctuated(BASE_79)) == 1.0
    assert similarity(BASE_80, OTHER) == 0.0


def member(name, branch, n):
    return member_create(
        actor=None,
        name=name,
        id_number=id_number_for(n),
        branch=branch,
        category="正式党员",
        joined_on=dt.date(2010, 7, 1),
    )


def life_meeting(branch, day):
    return Meeting.objects.create(
        branch=branch,
        kind="组织生活会",
        held_at=dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI),
        held_on=day,
        topic="2026年度组织生活会",
        has_attendance=True,
    )


def spoke(meeting, who, text):
    Attendance.objects.create(meeting=meeting, member=who, status="出席")
    return speech_save(actor=None, meeting=meeting, member=who, text=text)


def test_speeches_alike_within_one_meeting(county, settings):
    a1, a2 = county.village_a1, county.village_a2
    zhang, li, wang = member("张三", a1, 1), member("李四", a1, 2), member("王五", a1, 3)
    zhao = member("赵六", a2, 4)
    m = life_meeting(a1, dt.date(2026, 6, 28))
    s_zhang = spoke(m, zhang, BASE_80)
    s_li = spoke(m, li, COPY_80)
    spoke(m, wang, OTHER)
    spoke(life_meeting(a2, dt.date(2026, 6, 28)), zhao, BASE_80)  # the same text at another meeting: not compared
    faults = list(duplicate_speech(TODAY))
    assert [f.key for f in faults] == [f"duplicate_speech:{s_zhang.pk}:{s_li.pk}"]
    fault = faults[0]
    assert (fault.organization_id, fault.check_kind) == (a1.pk, "duplicate_speech")
    assert fault.description == (
        "东街村党支部于2026-06-28召开的组织生活会（主题：2026年度组织生活会）上，张三与李四的发言材料高度雷同"
        "（相似度 80%），疑似照抄照搬、应付了事。"
    )
    assert fault.evidence == {
        "summary": "东街村党支部2026-06-28 组织生活会：张三与李四的发言材料相似度 80%",
        "rows": [
            ["支部", "东街村党支部"],
            ["会议", "2026-06-28 组织生活会（主题：2026年度组织生活会）"],
            ["党员", "张三、李四"],
            ["相似度", "80%"],
        ],
        "pair": {
            "left": {"title": "张三的发言材料（2026-06-28 组织生活会）", "text": BASE_80},
            "right": {"title": "李四的发言材料（2026-06-28 组织生活会）", "text": COPY_80},
            "similarity": 0.8,
        },
        "refs": [
            {"type": "meeting", "id": m.pk, "label": "东街村党支部 2026-06-28 组织生活会"},
            {"type": "member", "id": zhang.pk, "label": "张三"},
            {"type": "member", "id": li.pk, "label": "李四"},
        ],
    }
    settings.SUPERVISION_SIMILARITY_THRESHOLD = 0.85
    assert list(duplicate_speech(TODAY)) == []


def report(branch, n, text, day=dt.date(2026, 3, 1), person=None, title=""):
    return ThoughtReport.objects.create(
        person=person or PersonFactory(name=f"积极分子{n}", id_number=id_number_for(n)),
        branch=branch,
        submitted_on=day,
        title=title,
        text=text,
    )


def test_thought_reports_alike_within_one_branch(county, settings):
    a1, b1 = county.village_a1, county.village_b1
    r1 = report(a1, 11, BASE_79, title="第一季度思想汇报")
    r2 = report(a1, 12, COPY_79, dt.date(2026, 3, 5))  # 0.79 against r1 and r3
    r3 = report(a1, 13, punctuated(BASE_79), dt.date(2026, 3, 9))  # r1 with punctuation: 1.0
    report(b1, 14, BASE_79)  # another branch: not compared
    faults = list(duplicate_report(TODAY))
    assert [f.key for f in faults] == [f"duplicate_report:{r1.pk}:{r3.pk}"]
    fault = faults[0]
    assert (fault.organization_id, fault.check_kind) == (a1.pk, "duplicate_report")
    assert fault.description == (
        "东街村党支部：积极分子11于2026-03-01提交的思想汇报《第一季度思想汇报》与积极分子13于2026-03-09提交的思想汇报"
        "高度雷同（相似度 100%），疑似抄袭或重复提交。"
    )
    assert fault.evidence == {
        "summary": "东街村党支部：积极分子11与积极分子13的思想汇报相似度 100%",
        "rows": [
            ["支部", "东街村党支部"],
            ["思想汇报一", "积极分子11，2026-03-01，第一季度思想汇报"],
            ["思想汇报二", "积极分子13，2026-03-09，无标题"],
            ["相似度", "100%"],
        ],
        "pair": {
            "left": {"title": "积极分子11的思想汇报（2026-03-01）", "text": BASE_79},
            "right": {"title": "积极分子13的思想汇报（2026-03-09）", "text": punctuated(BASE_79)},
            "similarity": 1.0,
        },
        "refs": [
            {"type": "thoughtreport", "id": r1.pk, "label": "积极分子11 2026-03-01"},
            {"type": "thoughtreport", "id": r3.pk, "label": "积极分子13 2026-03-09"},
            {"type": "organization", "id": a1.pk, "label": "东街村党支部"},
        ],
    }
    settings.SUPERVISION_SIMILARITY_THRESHOLD = 0.79
    assert [f.key for f in duplicate_report(TODAY)] == [
        f"duplicate_report:{r1.pk}:{r2.pk}",
        f"duplicate_report:{r1.pk}:{r3.pk}",
        f"duplicate_report:{r2.pk}:{r3.pk}",
    ]


def test_one_person_handing_in_the_same_report_twice(county):
    a1 = county.village_a1
    first = report(a1, 21, BASE_80)
    again = report(a1, 0, BASE_80, dt.date(2026, 6, 1), person=first.person)
    [fault] = duplicate_report(TODAY)
    assert fault.key == f"duplicate_report:{first.pk}:{again.pk}"
    assert fault.description == (
        "东街村党支部：积极分子21于2026-03-01和2026-06-01提交的两份思想汇报高度雷同（相似度 100%），疑似抄袭或重复提交。"
    )
