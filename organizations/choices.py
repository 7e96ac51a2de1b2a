from django.db import models


class OrgKind(models.TextChoices):
    COUNTY_COMMITTEE = "县委", "县委"
    COMMITTEE = "党委", "党委"
    WORKING_COMMITTEE = "党工委", "党工委"
    LEADING_GROUP = "党组", "党组"
    GENERAL_BRANCH = "党总支", "党总支"
    BRANCH = "党支部", "党支部"


class Domain(models.TextChoices):
    RURAL = "农村", "农村"
    COMMUNITY = "社区", "社区"
    ORGAN = "机关", "机关"
    INSTITUTION = "事业单位", "事业单位"
    STATE_ENTERPRISE = "国有企业", "国有企业"
    PRIVATE_ENTERPRISE = "非公企业", "非公企业"
    SOCIAL_ORGANIZATION = "社会组织", "社会组织"


class PostTitle(models.TextChoices):
    SECRETARY = "书记", "书记"
    DEPUTY_SECRETARY = "副书记", "副书记"
    ORGANIZATION_MEMBER = "组织委员", "组织委员"
    PROPAGANDA_MEMBER = "宣传委员", "宣传委员"
    DISCIPLINE_MEMBER = "纪检委员", "纪检委员"
    MEMBER = "委员", "委员"


# Committee terms (换届): village/community organizations and township committees serve five years,
# other organizations three unless the record sets its own term.
FIVE_YEAR_TERM_DOMAINS = frozenset({Domain.RURAL, Domain.COMMUNITY})
FIVE_YEAR_TERM_KINDS = frozenset({OrgKind.COMMITTEE})
DEFAULT_TERM_YEARS = 3
LONG_TERM_YEARS = 5
