"""The sheets the importer knows, in dependency order, and the export kinds. Each capability adds its own here."""

from __future__ import annotations


def sheet_importers():
    from assessments.xlsx import ScoreSheet
    from funding.xlsx import FundingSheet
    from meetings.xlsx import MeetingSheet
    from members.xlsx import MemberSheet
    from organizations.xlsx import OrganizationSheet, PostSheet

    return [OrganizationSheet(), PostSheet(), MemberSheet(), MeetingSheet(), FundingSheet(), ScoreSheet()]


def export_kinds() -> dict:
    """{kind: function(actor, *, year, unmasked, queryset=None) -> ExportTable}"""
    from assessments.xlsx import penalties_export, rankings_export
    from funding.xlsx import funding_export
    from meetings.xlsx import compliance_export
    from members.xlsx import members_export
    from organizations.xlsx import organizations_export, posts_export

    return {
        "organizations": organizations_export,
        "posts": posts_export,
        "members": members_export,
        "compliance": compliance_export,
        "funding": funding_export,
        "rankings": rankings_export,
        "penalties": penalties_export,
    }


# The kinds with ID or phone numbers that an unmasked export shows in full; the others have nothing to unmask (the
# penalties export's 身份证号 stays masked: personnel departments match people by name and post).
UNMASKABLE_KINDS = ("members", "posts")

# The kinds that are one year's figures: their export needs --year (the command) or a year (the export centre).
YEAR_KINDS = ("compliance", "funding", "rankings", "penalties")

# How each kind reads on the pages (the export centre's choices, its jobs).
EXPORT_LABELS = {
    "organizations": "党组织",
    "posts": "职务任职",
    "members": "党员",
    "compliance": "三会一课达标情况",
    "funding": "经费收支",
    "rankings": "考核排名",
    "penalties": "三个一律处理",
}
