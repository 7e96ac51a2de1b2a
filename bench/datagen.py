"""Large-data generator: a province's organization tree as a 组织 sheet (the public import layout).

One province committee → ~100 county committees → in each county: townships (each with an organ branch, a few
station branches and 15–30 villages, a quarter of them general branches with 2–4 branches), two sub-districts with
communities, the county organs' working committee (党组 with organ branches, or 机关党支部), the education working
committee (schools and hospitals) and the "两新" working committee, which takes whatever the county's share of the
node budget leaves. Rows come parents first, like an export. Deterministic for a given seed.

    python -m bench.datagen --nodes 140000 -o province.xlsx
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

HEADERS = [
    "组织代码",
    "组织名称",
    "上级组织代码",
    "组织类型",
    "所属领域",
    "考核类别",
    "设支部委员会",
    "设党小组",
    "成立日期",
    "上次换届日期",
    "任期年数",
]
NODES_PER_COUNTY = 1400
PROVINCE_CODE = "HX"

_SYLLABLES = "安宝北昌长城崇大德东丰凤福富高广桂海汉和河华怀吉嘉建江金锦晋景靖康兰乐黎临灵龙隆鹿罗洛茂梅蒙明南宁平浦"
_SYLLABLES += "祁清庆瑞山上邵石寿舒顺泗松太泰桃天通桐潼万望渭温文武西仙湘祥新信兴秀阳宜义永攸玉元岳云漳肇柘镇中舟"
_VILLAGE_A = "王李张刘陈杨赵周吴孙马朱胡郭何高罗宋冯韩曹邓彭袁秦董薛苗岳魏东西南北前后上下大小新老"
_VILLAGE_B = (
    "庄",
    "营",
    "寨",
    "店",
    "集",
    "屯",
    "家湾",
    "家岭",
    "家坪",
    "家沟",
    "楼",
    "湾",
    "河",
    "岗",
    "坡",
    "桥",
    "园",
)
_STATIONS = ("卫生院", "中心学校", "派出所", "财政所", "供电所", "农业服务中心")
_DEPARTMENTS = (
    "发展和改革委员会 教育局 科学技术局 工业和信息化局 公安局 民政局 司法局 财政局 人力资源和社会保障局 自然资源局 "
    "住房和城乡建设局 交通运输局 水利局 农业农村局 商务局 文化广电和旅游局 卫生健康委员会 退役军人事务局 应急管理局 "
    "审计局 市场监督管理局 统计局 医疗保障局 林业局 信访局 城市管理局 行政审批服务局 生态环境分局 税务局 供销合作社 "
    "委办公室 人大常委会机关 政府办公室 政协机关 纪委监委机关 委组织部 委宣传部 委统战部 委政法委 总工会 团委 妇联"
).split()
_COMPANY = (
    "建材",
    "农业科技",
    "面业",
    "纺织",
    "物流",
    "机械制造",
    "食品",
    "汽车运输",
    "商贸",
    "电子科技",
    "包装",
    "医药",
)


def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


class _County:
    """Rows of one county, parents first, never more than `budget`."""

    def __init__(self, rng: random.Random, code: str, name: str, parent: str, budget: int):
        self.rng = rng
        self.code = code
        self.name = name
        self.parent = parent
        self.budget = budget
        self.rows: list[list] = []

    def add(
        self,
        code,
        name,
        parent,
        kind,
        domain=None,
        group=None,
        committee=False,
        groups=False,
        founded=None,
        elected=None,
    ) -> bool:
        if len(self.rows) >= self.budget:
            return False
        self.rows.append(
            [
                code,
                name,
                parent,
                kind,
                domain,
                group,
                "是" if committee else "否",
                "是" if groups else "否",
                founded,
                elected,
                None,
            ]
        )
        return True

    def elected(self, years: int) -> dt.date:
        # Mostly within the term, some overdue.
        rng = self.rng
        if rng.random() < 0.9:
            return _date(rng, dt.date(2026 - years, 7, 1), dt.date(2026, 6, 30))
        return _date(rng, dt.date(2026 - 2 * years, 1, 1), dt.date(2026 - years, 6, 30))

    def build(self) -> list[list]:
        rng = self.rng
        c = self.code
        self.add(
            c,
            f"{self.name}委",
            self.parent,
            "县委",
            committee=True,
            founded=dt.date(1949, 10, 1),
            elected=self.elected(5),
        )
        t = 0
        for _ in range(rng.randint(16, 24)):
            t += 1
            self.township(f"{c}{t:02d}", rng)
        for street in ("城东街道", "城西街道"):
            t += 1
            s = f"{c}{t:02d}"
            if not self.add(
                s, f"{street}党工委", c, "党工委", group="乡镇党委", committee=True, founded=dt.date(2011, 1, 1)
            ):
                break
            for n in range(1, rng.randint(6, 12) + 1):
                self.add(
                    f"{s}{n:03d}",
                    f"{street}第{n}社区党支部",
                    s,
                    "党支部",
                    "社区",
                    "村（社区）党组织",
                    rng.random() < 0.7,
                    rng.random() < 0.5,
                    _date(rng, dt.date(2000, 1, 1), dt.date(2015, 1, 1)),
                    self.elected(5),
                )
        t += 1
        self.organs(f"{c}{t:02d}", rng)
        t += 1
        self.education(f"{c}{t:02d}", rng)
        t += 1
        self.two_new(f"{c}{t:02d}", rng)
        return self.rows

    def township(self, code: str, rng: random.Random) -> None:
        name = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + rng.choice("镇乡")
        if not self.add(
            code,
            f"{name}党委",
            self.code,
            "党委",
            None,
            "乡镇党委",
            True,
            False,
            _date(rng, dt.date(1949, 10, 1), dt.date(1984, 12, 31)),
            self.elected(5),
        ):
            return
        n = 1
        self.add(
            f"{code}{n:03d}",
            f"{name}机关党支部",
            code,
            "党支部",
            "机关",
            None,
            True,
            False,
            dt.date(1985, 1, 1),
            self.elected(3),
        )
        for station in rng.sample(_STATIONS, rng.randint(2, 4)):
            n += 1
            self.add(
                f"{code}{n:03d}",
                f"{name}{station}党支部",
                code,
                "党支部",
                "事业单位",
                None,
                False,
                False,
                dt.date(1990, 1, 1),
                self.elected(3),
            )
        for _ in range(rng.randint(15, 30)):
            n += 1
            v = f"{code}{n:03d}"
            village = rng.choice(_VILLAGE_A) + rng.choice(_VILLAGE_B) + "村"
            founded = _date(rng, dt.date(1950, 1, 1), dt.date(1990, 12, 31))
            if rng.random() < 0.25:
                if not self.add(
                    v,
                    f"{village}党总支",
                    code,
                    "党总支",
                    "农村",
                    "村（社区）党组织",
                    True,
                    True,
                    founded,
                    self.elected(5),
                ):
                    return
                for b in range(1, rng.randint(2, 4) + 1):
                    self.add(
                        f"{v}{b:02d}",
                        f"{village}第{b}党支部",
                        v,
                        "党支部",
                        "农村",
                        None,
                        False,
                        True,
                        founded,
                        self.elected(5),
                    )
            elif not self.add(
                v,
                f"{village}党支部",
                code,
                "党支部",
                "农村",
                "村（社区）党组织",
                rng.random() < 0.6,
                rng.random() < 0.5,
                founded,
                self.elected(5),
            ):
                return

    def organs(self, code: str, rng: random.Random) -> None:
        if not self.add(
            code, f"{self.name}直机关工委", self.code, "党工委", committee=True, founded=dt.date(1985, 3, 1)
        ):
            return
        for n in range(1, rng.randint(50, 70) + 1):
            d = f"{code}{n:03d}"
            dept = self.name[-1] + _DEPARTMENTS[(n - 1) % len(_DEPARTMENTS)]
            founded = _date(rng, dt.date(1978, 1, 1), dt.date(2019, 3, 31))
            if rng.random() < 0.6:
                self.add(d, f"{dept}党组", code, "党组", "机关", "县直部门党组织", True, False, founded)
                for b in range(1, rng.randint(1, 2) + 1):
                    self.add(
                        f"{d}{b:02d}",
                        f"{dept}机关第{b}党支部",
                        d,
                        "党支部",
                        "机关",
                        None,
                        True,
                        False,
                        founded,
                        self.elected(3),
                    )
            else:
                self.add(
                    d,
                    f"{dept}机关党支部",
                    code,
                    "党支部",
                    "机关",
                    "县直部门党组织",
                    True,
                    False,
                    founded,
                    self.elected(3),
                )

    def education(self, code: str, rng: random.Random) -> None:
        if not self.add(
            code, f"{self.name}委教育工委", self.code, "党工委", committee=True, founded=dt.date(2008, 9, 1)
        ):
            return
        for n in range(1, rng.randint(60, 100) + 1):
            u = f"{code}{n:03d}"
            unit = f"{self.name}第{n}{'中学' if n % 3 else '小学'}" if n % 10 else f"{self.name}第{n // 10}人民医院"
            founded = _date(rng, dt.date(1955, 1, 1), dt.date(2005, 12, 31))
            if rng.random() < 0.08:
                self.add(
                    u, f"{unit}党委", code, "党委", "事业单位", "事业单位党组织", True, False, founded, self.elected(5)
                )
                for b in range(1, 4):
                    self.add(
                        f"{u}{b:02d}",
                        f"{unit}第{b}党支部",
                        u,
                        "党支部",
                        "事业单位",
                        None,
                        False,
                        False,
                        founded,
                        self.elected(3),
                    )
            else:
                self.add(
                    u,
                    f"{unit}党支部",
                    code,
                    "党支部",
                    "事业单位",
                    "事业单位党组织",
                    rng.random() < 0.5,
                    False,
                    founded,
                    self.elected(3),
                )

    def two_new(self, code: str, rng: random.Random) -> None:
        if not self.add(
            code,
            f"{self.name}非公经济和社会组织党工委",
            self.code,
            "党工委",
            committee=True,
            founded=dt.date(2012, 7, 1),
        ):
            return
        n = 0
        while len(self.rows) < self.budget and n < 999:
            n += 1
            social = rng.random() < 0.3
            unit = (
                f"{self.name}第{n}社会组织"
                if social
                else f"{self.name}{rng.choice(_SYLLABLES)}{rng.choice(_SYLLABLES)}{rng.choice(_COMPANY)}有限公司"
            )
            founded = _date(rng, dt.date(2005, 1, 1), dt.date(2024, 12, 31))
            self.add(
                f"{code}{n:03d}",
                f"{unit}党支部",
                code,
                "党支部",
                "社会组织" if social else "非公企业",
                "“两新”组织",
                rng.random() < 0.3,
                False,
                founded,
                max(founded, self.elected(3)),
            )


def province_rows(nodes: int = 140_000, seed: int = 2026) -> Iterator[list]:
    """`nodes` rows of the 组织 sheet (without the header), parents first."""
    rng = random.Random(seed)
    yield [PROVINCE_CODE, "省委", None, "党委", None, None, "是", "否", dt.date(1949, 10, 1), dt.date(2021, 11, 20), 5]
    counties = max(1, round((nodes - 1) / NODES_PER_COUNTY))
    left = nodes - 1
    for i in range(counties):
        budget = left // (counties - i)
        left -= budget
        name = rng.choice(_SYLLABLES) + rng.choice(_SYLLABLES) + "县"
        rows = _County(rng, f"{PROVINCE_CODE}{i + 1:03d}", name, PROVINCE_CODE, budget).build()
        left += budget - len(rows)  # a county that came out smaller leaves its share to the others
        yield from rows


def write_org_workbook(path: str | Path, rows) -> int:
    """Write the rows as a 组织 sheet with openpyxl's streaming writer; returns the number of data rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("组织")
    ws.append(HEADERS)
    count = 0
    for row in rows:
        ws.append(row)
        count += 1
    wb.save(path)
    return count


# --- members (bench/members.py) -------------------------------------------------------------------------------------

MEMBER_HEADERS = [
    "姓名",
    "身份证号",
    "性别",
    "民族",
    "出生日期",
    "学历",
    "所在支部代码",
    "人员类别",
    "入党日期",
    "转正日期",
    "党籍状态",
    "手机号码",
]
MEMBER_TREE_CODE = "BM"
_MEMBER_REGIONS = ("410701", "410702", "410703", "410711", "410721", "410724", "410725", "410726", "410727", "410781")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
_GIVEN = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红"
)
_EDUCATIONS = ("初中及以下", "高中", "中专", "大学专科", "大学本科", "研究生")
_STATUSES = ("正常",) * 90 + ("流出",) * 6 + ("流入", "失联", "死亡", "正常")
_PHONE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "155", "158", "186", "188")


def member_tree_rows(townships: int = 20, branches: int = 500) -> list[list]:
    """A small 组织 sheet for the members benchmark: one county, `townships` townships, `branches` village branches
    spread evenly over them (codes BM, BM01…, BM01001…)."""
    c = MEMBER_TREE_CODE
    rows = [[c, "基准县委", None, "县委", None, None, "是", "否", dt.date(1949, 10, 1), dt.date(2021, 11, 20), 5]]
    for t in range(1, townships + 1):
        rows.append(
            [f"{c}{t:02d}", f"第{t}镇党委", c, "党委", None, "乡镇党委", "是", "否", dt.date(1956, 1, 1), None, 5]
        )
    for b in range(branches):
        t = b % townships + 1
        n = b // townships + 1
        rows.append(
            [f"{c}{t:02d}{n:03d}", f"第{t}镇第{n}村党支部", f"{c}{t:02d}", "党支部", "农村", "村（社区）党组织"]
            + ["否", "否", dt.date(1978, 1, 1), dt.date(2021, 3, 1), None]
        )
    return rows


def member_branch_codes(townships: int = 20, branches: int = 500) -> list[str]:
    return [r[0] for r in member_tree_rows(townships, branches) if r[3] == "党支部"]


def member_identity(i: int) -> tuple[str, dt.date, bool]:
    """The i-th distinct (ID number, birth date, male) of the generators below: unique for i < 25,000 × 200."""
    from core.idnumber import make_id_number

    k, sequence = divmod(i, 200)
    male = sequence % 2 == 0
    birth = dt.date(1938, 1, 1) + dt.timedelta(days=(k * 7) % 25_000)  # 7 and 25,000 are coprime
    region = _MEMBER_REGIONS[k % len(_MEMBER_REGIONS)]
    return make_id_number(region, birth, sequence // 2, male), birth, male


def member_rows(count: int, branch_codes: list[str], seed: int = 2026) -> Iterator[list]:
    """`count` valid rows of the 党员 sheet (without the header): distinct ID numbers and phones, dates consistent
    with the ID (joined at 18 or later, full members one year on; about 3% 预备党员 without a full date)."""
    rng = random.Random(seed)
    for i in range(count):
        number, birth, male = member_identity(i)
        adult = (
            birth.replace(year=birth.year + 18)
            if (birth.month, birth.day) != (2, 29)
            else dt.date(birth.year + 18, 3, 1)
        )
        probationary = rng.random() < 0.03
        if probationary:
            joined = _date(rng, max(adult, dt.date(2025, 7, 1)), dt.date(2025, 12, 31))
            full = None
        else:
            joined = _date(rng, adult, max(adult, min(dt.date(2024, 6, 30), adult + dt.timedelta(days=365 * 30))))
            full = joined + dt.timedelta(days=365 + rng.randint(0, 30))
        yield [
            rng.choice(_SURNAMES) + rng.choice(_GIVEN) + (rng.choice(_GIVEN) if rng.random() < 0.7 else ""),
            number,
            "男" if male else "女",
            "汉族" if rng.random() < 0.96 else rng.choice(("回族", "满族", "蒙古族")),
            birth,
            rng.choice(_EDUCATIONS),
            branch_codes[i % len(branch_codes)],
            "预备党员" if probationary else "正式党员",
            joined,
            full,
            "正常" if probationary else rng.choice(_STATUSES),
            f"{_PHONE_PREFIXES[i % len(_PHONE_PREFIXES)]}{i // len(_PHONE_PREFIXES) * 7919 % 100_000_000:08d}",
        ]


def write_member_workbook(path: str | Path, rows) -> int:
    """Write the rows as a 党员 sheet with openpyxl's streaming writer; returns the number of data rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("党员")
    ws.append(MEMBER_HEADERS)
    count = 0
    for row in rows:
        ws.append(row)
        count += 1
    wb.save(path)
    return count


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Write a province-sized 组织 sheet (.xlsx) for imports and benchmarks")
    parser.add_argument("--nodes", type=int, default=140_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    count = write_org_workbook(args.output, province_rows(args.nodes, args.seed))
    print(f"wrote {count} organizations to {args.output}")


if __name__ == "__main__":
    main()
