"""The demo county 青山县: its organization tree and four years of posts, generated deterministically and imported
through the same path as an uploaded workbook (rows_import), plus one demo login per role.

Everything comes from one random.Random with a fixed seed and from fixed dates (DEMO_TODAY), never from the clock or
from set ordering, so a second run produces the very same rows and the importer finds nothing to change.

Cases worth finding in the demo (the assessment rules look for them):
- a 书记 handover on 31 December 2024: 石门镇 branch CHANGE_ON_NEW_YEARS_EVE gets a new secretary that day, so they,
  not their predecessor, are the responsible secretary for 2024;
- a secretary who moved from one village to another (柳河乡, MOVER_FROM → MOVER_TO on 1 September 2023);
- overdue committee elections: some villages not re-elected in the 2026 round, organ and "两新" branches past their
  three-year term.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction

from accounts.choices import Role
from core.idnumber import make_id_number
from core.xlsx.importer import ImportReport, rows_import
from core.xlsx.reader import RawSheet

from .choices import Domain, OrgKind, PostTitle
from .xlsx import ORG_COLUMNS, POST_COLUMNS

# The one demo password (printed by `manage.py demo_logins`); it passes the configured validators (≥ 12 characters).
DEMO_PASSWORD = "Dangjian@2026"
DEMO_SEED = 20260630
DEMO_TODAY = dt.date(2026, 6, 30)  # the demo's fixed "today": nothing in it starts later
HISTORY_FROM = dt.date(2022, 1, 1)  # posts are complete from here on

COUNTY_CODE = "QS"
DEMO_TOWNSHIP = "QS02"  # 石门镇: the township admin's and the branch secretary's home
DEMO_BRANCH = "QS02001"
CHANGE_ON_NEW_YEARS_EVE = "QS02002"
NEW_YEARS_EVE = dt.date(2024, 12, 31)
MOVER_FROM, MOVER_TO = "QS03004", "QS03009"
MOVED_ON = dt.date(2023, 9, 1)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    org_code: str
    full_name: str  # "" = the name of whoever holds `post_title` at the organization


# One login per role.
DEMO_ACCOUNTS = (
    DemoAccount("admin", Role.COUNTY_ADMIN, COUNTY_CODE, "县委组织部管理员"),
    DemoAccount("zhen_admin", Role.TOWNSHIP_ADMIN, DEMO_TOWNSHIP, ""),
    DemoAccount("shuji", Role.BRANCH_SECRETARY, DEMO_BRANCH, ""),
    DemoAccount("lingdao", Role.LEADER, COUNTY_CODE, ""),
    DemoAccount("kaohe", Role.INSPECTOR, COUNTY_CODE, "县委考核组"),
)
# Whose name a demo login carries when its full_name is blank: the township's 组织委员, the branch's and county's 书记.
_ACCOUNT_NAME_POST = {
    "zhen_admin": PostTitle.ORGANIZATION_MEMBER,
    "shuji": PostTitle.SECRETARY,
    "lingdao": PostTitle.SECRETARY,
}

VILLAGE_GROUP = "村（社区）党组织"
TOWNSHIP_GROUP = "乡镇党委"
DEPARTMENT_GROUP = "县直部门党组织"
INSTITUTION_GROUP = "事业单位党组织"
TWO_NEW_GROUP = "“两新”组织"

# Fictional county region codes (4107xx); most people were born in the county itself.
REGIONS = ("410799",) * 8 + ("410798", "410797")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔向汤"
MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信杰涛昌成康"
    "星光天达安岩中茂进林有坚和博诚先敬振会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦奇翰朗宏鸣朋斌栋维启"
    "克伦翔旭鹏泽晨建家树德行泰盛雄钧冠腾"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱霞香月媛艳瑞佳嘉琼勤珍贞莉桂"
    "璐娅琦晶妍茜秋珊莎锦青倩婷婉娴瑾颖露瑶怡雁蓓仪荷丹蓉君琴蕊薇菁梦岚馨韵艺卿澜纯悦昭冰爽茗羽希欣滢筠晓欢枫芸菲"
)

# (name, 镇/乡, founded) — the county's 18 townships; 城关镇 also has communities.
TOWNSHIPS = (
    ("城关镇", dt.date(1949, 10, 15)),
    ("石门镇", dt.date(1950, 3, 1)),
    ("柳河乡", dt.date(1984, 6, 1)),
    ("青龙镇", dt.date(1950, 5, 10)),
    ("白马镇", dt.date(1951, 2, 20)),
    ("桃园乡", dt.date(1984, 6, 1)),
    ("河口镇", dt.date(1950, 8, 1)),
    ("龙泉镇", dt.date(1952, 4, 12)),
    ("黄土岭乡", dt.date(1984, 7, 1)),
    ("双河镇", dt.date(1953, 9, 1)),
    ("杨庄乡", dt.date(1984, 6, 15)),
    ("清水镇", dt.date(1950, 11, 5)),
    ("马坊镇", dt.date(1956, 1, 10)),
    ("松林乡", dt.date(1984, 8, 1)),
    ("高桥镇", dt.date(1955, 3, 18)),
    ("新集镇", dt.date(1958, 10, 1)),
    ("丰乐乡", dt.date(1984, 9, 1)),
    ("大王庄乡", dt.date(1984, 6, 20)),
)
CHENGGUAN_COMMUNITIES = ("东关社区", "西关社区", "南关社区", "北关社区")
STREETS = (
    ("城东街道", ("文化路社区", "建设路社区", "人民路社区", "解放路社区", "新华社区")),
    ("城西街道", ("青山路社区", "滨河社区", "西苑社区", "站前社区", "工业路社区")),
)
VILLAGE_SURNAME_PARTS = "王李张刘陈杨赵周吴孙马朱胡郭何高罗宋冯韩曹邓彭袁秦董薛苗岳魏"
VILLAGE_SUFFIXES = ("庄", "营", "寨", "店", "集", "屯", "家湾", "家岭", "家坪", "家沟", "楼", "湾")
VILLAGE_NATURE = (
    "东坡 西河 南岗 北沟 柳树 杏花 桃园 梨园 枣林 石桥 石岭 青龙 白塔 黄土 红旗 新庄 前进 团结 永安 太平 五里 三里 "
    "双井 大河 小河 龙湾 凤凰 金山 银河 松树 槐树 榆林 竹园 柿园 马鞍 狮子 牛头 月亮湾 龙王庙 关帝庙 十里铺 八里岗"
).split()

# County departments under 县直机关工委: True = a government department led by a 党组, False = a 机关党支部.
DEPARTMENTS = (
    ("县委办公室", False),
    ("县人大常委会机关", False),
    ("县政府办公室", True),
    ("县政协机关", False),
    ("县纪委监委机关", False),
    ("县委组织部", False),
    ("县委宣传部", False),
    ("县委统战部", False),
    ("县委政法委", False),
    ("县委机构编制委员会办公室", False),
    ("县发展和改革委员会", True),
    ("县教育局", True),
    ("县科学技术和工业信息化局", True),
    ("县公安局", True),
    ("县民政局", True),
    ("县司法局", True),
    ("县财政局", True),
    ("县人力资源和社会保障局", True),
    ("县自然资源局", True),
    ("县住房和城乡建设局", True),
    ("县交通运输局", True),
    ("县水利局", True),
    ("县农业农村局", True),
    ("县商务局", True),
    ("县文化广电和旅游局", True),
    ("县卫生健康委员会", True),
    ("县退役军人事务局", True),
    ("县应急管理局", True),
    ("县审计局", True),
    ("县市场监督管理局", True),
    ("县统计局", True),
    ("县医疗保障局", True),
    ("县林业局", True),
    ("县信访局", True),
    ("县城市管理局", True),
    ("县行政审批服务局", True),
    ("县总工会", False),
    ("共青团青山县委", False),
    ("县妇女联合会", False),
    ("县供销合作社", True),
)
# Schools and hospitals under 教育工委: (unit, kind, branches below).
INSTITUTIONS = (
    ("青山县第一高级中学", OrgKind.COMMITTEE, ("高一年级", "高二年级", "高三年级")),
    ("青山县第二高级中学", OrgKind.GENERAL_BRANCH, ("教师第一", "教师第二")),
    ("青山县职业教育中心", OrgKind.GENERAL_BRANCH, ("机电专业部", "农学专业部")),
    ("青山县实验中学", OrgKind.BRANCH, ()),
    ("青山县城关第一初级中学", OrgKind.BRANCH, ()),
    ("青山县城关第二初级中学", OrgKind.BRANCH, ()),
    ("青山县实验小学", OrgKind.BRANCH, ()),
    ("青山县第二实验小学", OrgKind.BRANCH, ()),
    ("城关镇中心小学", OrgKind.BRANCH, ()),
    ("青山县特殊教育学校", OrgKind.BRANCH, ()),
    ("石门镇第一初级中学", OrgKind.BRANCH, ()),
    ("柳河乡初级中学", OrgKind.BRANCH, ()),
    ("青龙镇中心学校", OrgKind.BRANCH, ()),
    ("白马镇中心学校", OrgKind.BRANCH, ()),
    ("河口镇中心学校", OrgKind.BRANCH, ()),
    ("青山县人民医院", OrgKind.COMMITTEE, ("内科", "外科", "行政后勤")),
    ("青山县中医院", OrgKind.GENERAL_BRANCH, ("临床", "医技")),
    ("青山县第二人民医院", OrgKind.BRANCH, ()),
    ("青山县妇幼保健院", OrgKind.BRANCH, ()),
    ("青山县疾病预防控制中心", OrgKind.BRANCH, ()),
)
PRIVATE_ENTERPRISES = (
    "青山县宏达建材有限公司",
    "青山县绿源农业科技有限公司",
    "青山县金穗面业有限公司",
    "青山县华丰纺织有限公司",
    "青山县恒通物流有限公司",
    "青山县鑫源机械制造有限公司",
    "青山县天成食品有限公司",
    "青山县鸿运汽车运输有限公司",
    "青山县新世纪商贸有限公司",
    "青山县长青电子科技有限公司",
    "青山县振兴包装材料有限公司",
    "青山县康源医药连锁有限公司",
    "青山县东方建筑工程有限公司",
    "青山县明珠大酒店有限公司",
    "青山县青山湖旅游开发有限公司",
    "青山县顺达快递有限公司",
    "青山县福源养殖有限公司",
    "青山县丰收农机专业合作社",
    "青山县瑞丰果蔬专业合作社",
    "青山县永昌铸造有限公司",
)
SOCIAL_ORGANIZATIONS = (
    "青山县律师协会",
    "青山县个体劳动者协会",
    "青山县民办教育协会",
    "青山县慈善总会",
    "青山县义工联合会",
    "青山县阳光社会工作服务中心",
    "青山县民营企业家商会",
    "青山县蓝天救援队",
    "青山县家政服务行业协会",
)
INDUSTRIAL_PARK = ("青山县产业集聚区非公企业联合党总支", ("第一联合", "第二联合", "第三联合"))


@dataclass
class OrgSpec:
    code: str
    name: str
    parent_code: str | None
    kind: str
    domain: str = ""
    group: str = ""
    has_committee: bool = False
    has_party_groups: bool = False
    founded_on: dt.date | None = None
    last_election_on: dt.date | None = None
    term_years: int | None = None

    def row(self) -> list:
        return [
            self.code,
            self.name,
            self.parent_code,
            self.kind,
            self.domain or None,
            self.group or None,
            "是" if self.has_committee else "否",
            "是" if self.has_party_groups else "否",
            self.founded_on,
            self.last_election_on,
            self.term_years,
        ]


@dataclass(frozen=True)
class PersonSpec:
    name: str
    id_number: str


@dataclass
class PostSpec:
    org_code: str
    person: PersonSpec
    title: str
    start_on: dt.date
    end_on: dt.date | None = None

    def row(self) -> list:
        return [self.org_code, self.person.name, self.person.id_number, self.title, self.start_on, self.end_on]


@dataclass
class DemoCounty:
    organizations: list[OrgSpec] = field(default_factory=list)
    posts: list[PostSpec] = field(default_factory=list)

    def sheets(self) -> dict[str, RawSheet]:
        """The 组织 and 职务 sheets as the importer reads them from a workbook (row 1 the header)."""
        org_rows = [(1, [c.header for c in ORG_COLUMNS])]
        org_rows += [(n, o.row()) for n, o in enumerate(self.organizations, start=2)]
        post_rows = [(1, [c.header for c in POST_COLUMNS])]
        post_rows += [(n, p.row()) for n, p in enumerate(self.posts, start=2)]
        return {"组织": RawSheet("组织", org_rows), "职务": RawSheet("职务", post_rows)}

    def holder(self, org_code: str, title: str) -> PersonSpec | None:
        """Who holds `title` at `org_code` at the end of the demo (the latest start without an end)."""
        current = [p for p in self.posts if p.org_code == org_code and p.title == title and p.end_on is None]
        return max(current, key=lambda p: p.start_on).person if current else None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class _Generator:
    def __init__(self, seed: int = DEMO_SEED):
        self.rng = random.Random(seed)
        self.county = DemoCounty()
        self.used_ids: set[str] = set()  # membership only, never iterated: order stays deterministic
        self.used_names: set[str] = set()
        self.used_village_names: set[str] = set()

    # --- small helpers -------------------------------------------------------------------------------------------

    def between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))

    def person(self, *, latest_birth: dt.date | None = None, male_share: float = 0.75) -> PersonSpec:
        """A new adult aged 25–60 on DEMO_TODAY, with a unique name and a valid ID number."""
        rng = self.rng
        male = rng.random() < male_share
        chars = MALE_CHARS if male else FEMALE_CHARS
        while True:
            given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
            name = rng.choice(SURNAMES) + given
            if name not in self.used_names:
                break
        self.used_names.add(name)
        oldest = _years_before(DEMO_TODAY, 60) + dt.timedelta(days=1)
        youngest = _years_before(DEMO_TODAY, 25)
        if latest_birth and latest_birth < youngest:
            youngest = max(latest_birth, oldest)
        birth = self.between(oldest, youngest)
        region = rng.choice(REGIONS)
        sequence = rng.randint(0, 99)
        while True:
            number = make_id_number(region, birth, sequence, male)
            if number not in self.used_ids:
                break
            sequence = (sequence + 1) % 100
        self.used_ids.add(number)
        return PersonSpec(name=name, id_number=number)

    def adult_at(self, start: dt.date) -> PersonSpec:
        """Someone at least 25 years old on `start` (and 25–60 on DEMO_TODAY)."""
        return self.person(latest_birth=_years_before(start, 25))

    def org(self, spec: OrgSpec) -> OrgSpec:
        if spec.last_election_on and spec.founded_on and spec.last_election_on < spec.founded_on:
            spec.last_election_on = spec.founded_on
        self.county.organizations.append(spec)
        return spec

    def village_name(self) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.6:
                stem = rng.choice(VILLAGE_SURNAME_PARTS) + rng.choice(VILLAGE_SUFFIXES)
            else:
                stem = rng.choice(VILLAGE_NATURE)
            if stem not in self.used_village_names:
                self.used_village_names.add(stem)
                return stem + "村"

    # --- the tree ------------------------------------------------------------------------------------------------

    def build(self) -> DemoCounty:
        self.org(
            OrgSpec(
                COUNTY_CODE,
                "青山县委",
                None,
                OrgKind.COUNTY_COMMITTEE,
                has_committee=True,
                founded_on=dt.date(1949, 5, 20),
                last_election_on=dt.date(2026, 6, 18),
                term_years=5,
            )
        )
        for number, (name, founded) in enumerate(TOWNSHIPS, start=1):
            self.township(f"{COUNTY_CODE}{number:02d}", name, founded)
        for offset, (name, communities) in enumerate(STREETS):
            self.street(f"{COUNTY_CODE}{len(TOWNSHIPS) + 1 + offset:02d}", name, communities)
        base = len(TOWNSHIPS) + len(STREETS)
        self.organs(f"{COUNTY_CODE}{base + 1:02d}")
        self.education(f"{COUNTY_CODE}{base + 2:02d}")
        self.two_new(f"{COUNTY_CODE}{base + 3:02d}")
        self.posts()
        return self.county

    def township(self, code: str, name: str, founded: dt.date) -> None:
        rng = self.rng
        # The 2026 round elected most township committees in May–June; a few had not held theirs yet.
        elected = (
            self.between(dt.date(2026, 5, 6), dt.date(2026, 6, 20))
            if rng.random() < 0.8
            else self.between(dt.date(2021, 5, 10), dt.date(2021, 6, 25))
        )
        self.org(
            OrgSpec(
                code,
                f"{name}党委",
                COUNTY_CODE,
                OrgKind.COMMITTEE,
                group=TOWNSHIP_GROUP,
                has_committee=True,
                founded_on=founded,
                last_election_on=elected,
            )
        )
        villages = 8 if name == "城关镇" else rng.randint(12, 16)
        n = 0
        for _ in range(villages):
            n += 1
            self.village(code, f"{code}{n:03d}", self.village_name())
        if name == "城关镇":
            for community in CHENGGUAN_COMMUNITIES:
                n += 1
                self.community(code, f"{code}{n:03d}", community)
        n += 1
        self.org(
            OrgSpec(
                f"{code}{n:03d}",
                f"{name}机关党支部",
                code,
                OrgKind.BRANCH,
                Domain.ORGAN,
                has_committee=True,
                founded_on=self.between(founded, dt.date(1990, 12, 31)),
                last_election_on=self.organ_election(),
            )
        )

    def village_election(self) -> dt.date:
        """The 2026 village round (January–April); about one village in twelve has not held it yet: overdue."""
        if self.rng.random() < 0.92:
            return self.between(dt.date(2026, 1, 5), dt.date(2026, 4, 28))
        return self.between(dt.date(2021, 1, 8), dt.date(2021, 4, 20))

    def organ_election(self) -> dt.date:
        """Three-year terms: most elected 2024–2026, some still on a 2021–2022 election (overdue)."""
        if self.rng.random() < 0.88:
            return self.between(dt.date(2024, 1, 8), dt.date(2026, 6, 20))
        return self.between(dt.date(2021, 3, 1), dt.date(2023, 2, 28))

    def village(self, parent: str, code: str, name: str) -> None:
        rng = self.rng
        elected = self.village_election()
        if rng.random() < 0.14:
            # Merged villages (并村) keep a general branch with a branch per former village.
            founded = self.between(dt.date(2019, 3, 1), dt.date(2020, 10, 31))
            stem = name.removesuffix("村")
            self.org(
                OrgSpec(
                    code,
                    f"{name}党总支",
                    parent,
                    OrgKind.GENERAL_BRANCH,
                    Domain.RURAL,
                    VILLAGE_GROUP,
                    has_committee=True,
                    has_party_groups=False,
                    founded_on=founded,
                    last_election_on=elected,
                )
            )
            for i, ordinal in enumerate(("第一", "第二", "第三")[: rng.randint(2, 3)], start=1):
                self.org(
                    OrgSpec(
                        f"{code}{i:02d}",
                        f"{stem}村{ordinal}党支部",
                        code,
                        OrgKind.BRANCH,
                        Domain.RURAL,
                        has_committee=rng.random() < 0.3,
                        has_party_groups=rng.random() < 0.4,
                        founded_on=founded,
                        last_election_on=elected,
                    )
                )
            return
        self.org(
            OrgSpec(
                code,
                f"{name}党支部",
                parent,
                OrgKind.BRANCH,
                Domain.RURAL,
                VILLAGE_GROUP,
                has_committee=rng.random() < 0.6,
                has_party_groups=rng.random() < 0.5,
                founded_on=self.between(dt.date(1950, 1, 1), dt.date(1990, 12, 31)),
                last_election_on=elected,
            )
        )

    def community(self, parent: str, code: str, name: str, *, general: bool = False) -> None:
        rng = self.rng
        founded = self.between(dt.date(2001, 1, 1), dt.date(2015, 12, 31))
        elected = self.village_election()
        self.org(
            OrgSpec(
                code,
                f"{name}{'党总支' if general else '党支部'}",
                parent,
                OrgKind.GENERAL_BRANCH if general else OrgKind.BRANCH,
                Domain.COMMUNITY,
                VILLAGE_GROUP,
                has_committee=general or rng.random() < 0.7,
                has_party_groups=rng.random() < 0.6,
                founded_on=founded,
                last_election_on=elected,
            )
        )
        if general:
            for i, ordinal in enumerate(("一", "二"), start=1):
                self.org(
                    OrgSpec(
                        f"{code}{i:02d}",
                        f"{name}第{ordinal}网格党支部",
                        code,
                        OrgKind.BRANCH,
                        Domain.COMMUNITY,
                        has_party_groups=True,
                        founded_on=self.between(founded, dt.date(2018, 12, 31)),
                        last_election_on=elected,
                    )
                )

    def street(self, code: str, name: str, communities) -> None:
        self.org(
            OrgSpec(
                code,
                f"{name}党工委",
                COUNTY_CODE,
                OrgKind.WORKING_COMMITTEE,
                group=TOWNSHIP_GROUP,
                has_committee=True,
                founded_on=self.between(dt.date(2011, 1, 1), dt.date(2012, 12, 31)),
            )
        )
        for n, community in enumerate(communities, start=1):
            self.community(code, f"{code}{n:03d}", community, general=n == 1)

    def organs(self, code: str) -> None:
        rng = self.rng
        self.org(
            OrgSpec(
                code,
                "县直机关工委",
                COUNTY_CODE,
                OrgKind.WORKING_COMMITTEE,
                has_committee=True,
                founded_on=dt.date(1985, 3, 1),
            )
        )
        for n, (department, led_by_group) in enumerate(DEPARTMENTS, start=1):
            dcode = f"{code}{n:03d}"
            founded = self.between(dt.date(1978, 1, 1), dt.date(2019, 3, 31))
            if led_by_group:
                # A leading group is appointed, not elected; its organ branch below holds the elections.
                self.org(
                    OrgSpec(
                        dcode,
                        f"{department}党组",
                        code,
                        OrgKind.LEADING_GROUP,
                        Domain.ORGAN,
                        DEPARTMENT_GROUP,
                        has_committee=True,
                        founded_on=founded,
                    )
                )
                if rng.random() < 0.6:
                    self.org(
                        OrgSpec(
                            f"{dcode}01",
                            f"{department}机关党支部",
                            dcode,
                            OrgKind.BRANCH,
                            Domain.ORGAN,
                            has_committee=rng.random() < 0.5,
                            has_party_groups=rng.random() < 0.3,
                            founded_on=founded,
                            last_election_on=self.organ_election(),
                        )
                    )
            else:
                self.org(
                    OrgSpec(
                        dcode,
                        f"{department}机关党支部",
                        code,
                        OrgKind.BRANCH,
                        Domain.ORGAN,
                        DEPARTMENT_GROUP,
                        has_committee=rng.random() < 0.6,
                        has_party_groups=rng.random() < 0.3,
                        founded_on=founded,
                        last_election_on=self.organ_election(),
                    )
                )

    def education(self, code: str) -> None:
        rng = self.rng
        self.org(
            OrgSpec(
                code,
                "县委教育工委",
                COUNTY_CODE,
                OrgKind.WORKING_COMMITTEE,
                has_committee=True,
                founded_on=dt.date(2008, 9, 1),
            )
        )
        suffix = {OrgKind.COMMITTEE: "党委", OrgKind.GENERAL_BRANCH: "党总支", OrgKind.BRANCH: "党支部"}
        for n, (unit, kind, branches) in enumerate(INSTITUTIONS, start=1):
            ucode = f"{code}{n:03d}"
            founded = self.between(dt.date(1955, 1, 1), dt.date(2005, 12, 31))
            self.org(
                OrgSpec(
                    ucode,
                    unit + suffix[kind],
                    code,
                    kind,
                    Domain.INSTITUTION,
                    INSTITUTION_GROUP,
                    has_committee=kind != OrgKind.BRANCH or rng.random() < 0.6,
                    founded_on=founded,
                    last_election_on=self.organ_election(),
                )
            )
            for i, branch in enumerate(branches, start=1):
                self.org(
                    OrgSpec(
                        f"{ucode}{i:02d}",
                        f"{unit}{branch}党支部",
                        ucode,
                        OrgKind.BRANCH,
                        Domain.INSTITUTION,
                        has_committee=rng.random() < 0.5,
                        has_party_groups=rng.random() < 0.5,
                        founded_on=self.between(founded, dt.date(2015, 12, 31)),
                        last_election_on=self.organ_election(),
                    )
                )

    def two_new(self, code: str) -> None:
        rng = self.rng
        self.org(
            OrgSpec(
                code,
                "县非公经济和社会组织党工委",
                COUNTY_CODE,
                OrgKind.WORKING_COMMITTEE,
                has_committee=True,
                founded_on=dt.date(2012, 7, 1),
            )
        )
        n = 0
        units = [(u, Domain.PRIVATE_ENTERPRISE) for u in PRIVATE_ENTERPRISES]
        units += [(u, Domain.SOCIAL_ORGANIZATION) for u in SOCIAL_ORGANIZATIONS]
        for unit, domain in units:
            n += 1
            founded = self.between(dt.date(2005, 1, 1), dt.date(2023, 6, 30))
            r = rng.random()
            if r < 0.1:
                elected = None  # set up, no election held yet
            elif r < 0.8:
                elected = self.between(max(founded, dt.date(2023, 4, 1)), dt.date(2026, 5, 31))
            else:
                elected = self.between(max(founded, dt.date(2019, 1, 1)), dt.date(2023, 3, 31))
            self.org(
                OrgSpec(
                    f"{code}{n:03d}",
                    f"{unit}党支部",
                    code,
                    OrgKind.BRANCH,
                    domain,
                    TWO_NEW_GROUP,
                    has_committee=rng.random() < 0.3,
                    founded_on=founded,
                    last_election_on=elected,
                )
            )
        n += 1
        park, branches = INDUSTRIAL_PARK
        pcode = f"{code}{n:03d}"
        founded = dt.date(2016, 5, 20)
        elected = self.between(dt.date(2023, 5, 1), dt.date(2025, 12, 31))
        self.org(
            OrgSpec(
                pcode,
                park,
                code,
                OrgKind.GENERAL_BRANCH,
                Domain.PRIVATE_ENTERPRISE,
                TWO_NEW_GROUP,
                has_committee=True,
                founded_on=founded,
                last_election_on=elected,
            )
        )
        for i, branch in enumerate(branches, start=1):
            self.org(
                OrgSpec(
                    f"{pcode}{i:02d}",
                    f"产业集聚区{branch}党支部",
                    pcode,
                    OrgKind.BRANCH,
                    Domain.PRIVATE_ENTERPRISE,
                    founded_on=founded,
                    last_election_on=elected,
                )
            )

    # --- posts ---------------------------------------------------------------------------------------------------

    def posts(self) -> None:
        mover = None
        for org in self.county.organizations:
            if org.code == MOVER_FROM:
                mover = self.adult_at(dt.date(2014, 1, 1))
        for org in self.county.organizations:
            self.secretaries(org, mover)
            if org.has_committee:
                self.committee_members(org)

    def first_start(self, org: OrgSpec) -> dt.date:
        earliest = max(org.founded_on or dt.date(2010, 1, 1), dt.date(2010, 1, 1))
        return self.between(earliest, HISTORY_FROM - dt.timedelta(days=1))

    def change_dates(self, org: OrgSpec, start: dt.date) -> list[dt.date]:
        rng = self.rng
        dates: list[dt.date] = []
        village_level = org.domain in (Domain.RURAL, Domain.COMMUNITY)
        if village_level and org.last_election_on and org.last_election_on.year == 2026:
            # The 2026 village round replaced about a third of the secretaries on election day.
            if rng.random() < 0.33:
                dates.append(org.last_election_on)
            if rng.random() < 0.15:
                dates.append(self.between(dt.date(2022, 3, 1), dt.date(2025, 10, 31)))
        else:
            r = rng.random()
            count = 2 if r < 0.08 else 1 if r < 0.38 else 0
            for _ in range(count):
                dates.append(self.between(dt.date(2022, 2, 1), dt.date(2026, 5, 31)))
        dates = sorted(d for d in dates if d > start)
        # Two changes at least ninety days apart; a too-close second change is dropped.
        kept: list[dt.date] = []
        for d in dates:
            if not kept or (d - kept[-1]).days >= 90:
                kept.append(d)
        return kept

    def secretaries(self, org: OrgSpec, mover: PersonSpec | None) -> None:
        start = self.first_start(org)
        first = self.adult_at(start)
        if org.code == CHANGE_ON_NEW_YEARS_EVE:
            chain = [(first, start), (self.adult_at(NEW_YEARS_EVE), NEW_YEARS_EVE)]
        elif org.code == MOVER_FROM:
            chain = [(mover, start), (self.adult_at(MOVED_ON), MOVED_ON)]
        elif org.code == MOVER_TO:
            chain = [(first, start), (mover, MOVED_ON)]
        else:
            chain = [(first, start)] + [(self.adult_at(d), d) for d in self.change_dates(org, start)]
        for i, (person, since) in enumerate(chain):
            until = chain[i + 1][1] - dt.timedelta(days=1) if i + 1 < len(chain) else None
            self.county.posts.append(PostSpec(org.code, person, PostTitle.SECRETARY, since, until))

    def committee_members(self, org: OrgSpec) -> None:
        """Deputies and committee members, in post since the last election (or an appointment date)."""
        rng = self.rng
        big = org.kind in (OrgKind.COUNTY_COMMITTEE, OrgKind.COMMITTEE, OrgKind.WORKING_COMMITTEE)
        if big:
            titles = [
                PostTitle.DEPUTY_SECRETARY,
                PostTitle.DEPUTY_SECRETARY,
                PostTitle.ORGANIZATION_MEMBER,
                PostTitle.PROPAGANDA_MEMBER,
                PostTitle.DISCIPLINE_MEMBER,
            ]
        else:
            titles = []
            if rng.random() < 0.5:
                titles.append(PostTitle.DEPUTY_SECRETARY)
            if rng.random() < 0.75:
                titles.append(PostTitle.ORGANIZATION_MEMBER)
            if rng.random() < 0.3:
                titles.append(PostTitle.PROPAGANDA_MEMBER)
            if rng.random() < 0.3:
                titles.append(PostTitle.DISCIPLINE_MEMBER)
        if org.code == DEMO_TOWNSHIP and PostTitle.ORGANIZATION_MEMBER not in titles:
            titles.append(PostTitle.ORGANIZATION_MEMBER)
        before_history = HISTORY_FROM - dt.timedelta(days=1)
        elected = org.last_election_on
        for title in titles:
            if elected and elected >= HISTORY_FROM and rng.random() < 0.45:
                # Replaced at the election: the predecessor served until the day before.
                since = self.between(dt.date(2016, 1, 1), before_history)
                self.county.posts.append(
                    PostSpec(org.code, self.adult_at(since), title, since, elected - dt.timedelta(days=1))
                )
                since = elected
            elif elected and elected < HISTORY_FROM:
                since = elected
            else:
                # Re-elected, or appointed (leading groups and working committees hold no elections).
                since = self.between(dt.date(2016, 1, 1), before_history if elected else dt.date(2024, 12, 31))
            self.county.posts.append(PostSpec(org.code, self.adult_at(since), title, since, None))


def demo_county() -> DemoCounty:
    """The demo county's rows: the same on every call."""
    return _Generator().build()


class DemoError(RuntimeError):
    """The demo rows did not import (e.g. the database holds conflicting data); the message lists the problems."""


@dataclass
class DemoResult:
    report: ImportReport
    accounts_created: list[str]


@transaction.atomic
def build_demo_county() -> DemoResult:
    """Import the demo county as the system and create the missing demo logins; a second run changes nothing."""
    from accounts.models import User
    from accounts.services import account_create

    from .models import Organization

    county = demo_county()
    report = rows_import(sheets=county.sheets(), actor=None)
    if not report.ok:
        raise DemoError("演示数据导入失败：\n" + "\n".join(str(p) for p in report.problems))
    created = []
    for account in DEMO_ACCOUNTS:
        if User.objects.filter(username=account.username).exists():
            continue
        full_name = account.full_name
        if not full_name:
            holder = county.holder(account.org_code, _ACCOUNT_NAME_POST[account.username])
            full_name = holder.name if holder else ""
        account_create(
            actor=None,
            username=account.username,
            password=DEMO_PASSWORD,
            organization=Organization.objects.get(code=account.org_code),
            role=account.role,
            full_name=full_name,
        )
        created.append(account.username)
    return DemoResult(report=report, accounts_created=created)
