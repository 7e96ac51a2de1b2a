"""Texts of the demo county's 思想汇报 (members.demo_activity): paragraphs drawn from pools, with what was being
studied in each quarter, so that two reports of different people rarely share more than a sentence or two. The
nightly duplicate check is meant to find the few pairs demo_activity copies on purpose, not these.
"""

from __future__ import annotations

import datetime as dt
import random

from .pipeline import quarter_of

QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}

# What the party was studying in each quarter, as the reports of that quarter name it.
TOPICS = {
    (2023, 1): ("党的二十大精神", "全国两会精神"),
    (2023, 2): ("学习贯彻习近平新时代中国特色社会主义思想主题教育", "党的二十大精神"),
    (2023, 3): ("学习贯彻习近平新时代中国特色社会主义思想主题教育", "《习近平著作选读》"),
    (2023, 4): ("主题教育成果", "《习近平著作选读》"),
    (2024, 1): ("全国两会精神", "《习近平谈治国理政》第四卷"),
    (2024, 2): ("党纪学习教育", "《中国共产党纪律处分条例》"),
    (2024, 3): ("党的二十届三中全会精神", "《中国共产党纪律处分条例》"),
    (2024, 4): ("党的二十届三中全会精神", "进一步全面深化改革的部署"),
    (2025, 1): ("全国两会精神", "深入贯彻中央八项规定精神学习教育"),
    (2025, 2): ("深入贯彻中央八项规定精神学习教育", "习近平总书记关于加强作风建设的重要论述"),
    (2025, 3): ("纪念中国人民抗日战争暨世界反法西斯战争胜利80周年的重要讲话精神", "《习近平谈治国理政》第五卷"),
    (2025, 4): ("党的二十届四中全会精神", "“十五五”规划建议"),
    (2026, 1): ("全国两会精神", "“十五五”规划纲要"),
    (2026, 2): ("党的二十届四中全会精神", "庆祝中国共产党成立105周年的有关精神"),
}
GENERAL_TOPICS = (
    "《中国共产党章程》",
    "党的基本理论",
    "《论党的自我革命》",
    "党史学习读本",
    "习近平总书记系列重要讲话",
)

SINCE = {
    "入党申请人": "自递交入党申请书以来",
    "入党积极分子": "自{since}被确定为入党积极分子以来",
    "发展对象": "自{since}被列为发展对象以来",
    "预备党员": "自{since}被接收为预备党员以来",
}
OPENINGS = (
    "{since_text}，我在党组织的教育和培养下，在思想、学习和工作上都有了新的提高。现将{period}的思想情况向党组织汇报如下。",
    "{since_text}，我时刻以一名共产党员的标准要求自己。{period}即将过去，现将这段时间的思想、学习和工作情况汇报如下。",
    "时光飞逝，{period}转眼过去。{since_text}，支部的同志们给了我很多帮助，我也在不断反思和进步，下面把我的想法向组织作一次汇报。",
    "{since_text}，我越来越体会到，入党不仅是组织上入党，更要在思想上入党。结合{period}的学习和工作，汇报如下。",
    "{since_text}，培养联系人多次找我谈心，指出了我的不足。{period}我按照支部的安排认真学习，现将思想情况报告如下。",
    "按照支部要求，现将我{period}的思想、学习、工作情况向党组织作如下汇报，请组织审阅。",
    "{since_text}，我按照培养计划坚持学习，经常对照党员标准查找差距。{period}的情况汇报如下。",
    "在{period}里，我认真参加支部组织的各项活动，思想认识有了一定提高。{since_text}，这是我深有体会的一段时间，现汇报如下。",
)
STUDY = (
    "我认真学习了{topic}。通过原原本本地学，我深刻认识到，只有坚定理想信念，才能在各种风险考验面前站稳脚跟。",
    "我坚持自学和集中学习相结合，重点学习了{topic}，写了读书笔记{notes}篇，对党的路线方针政策有了更全面的理解。",
    "这段时间我利用“学习强国”和支部微信群，系统学习了{topic}，感受最深的是党始终把人民放在心中最高位置。",
    "参加支部组织的集中学习时，我重点研读了{topic}，并在学习交流中作了发言，体会到理论学习必须联系实际、学以致用。",
    "我把学习{topic}作为重要任务，每周至少抽出两个晚上读原文、悟原理，逐步弄懂了一些过去似懂非懂的问题。",
    "通过学习{topic}，我认识到作风建设永远在路上，一名合格的党员必须从小事小节做起，守住底线、不越红线。",
    "结合学习{topic}，我重新学习了党章，对党员的义务和权利有了更清楚的认识，进一步端正了入党动机。",
    "支部书记给我们讲党课时谈到{topic}，我回家后又找来原文反复读了几遍，越读越觉得道理深刻、方向明确。",
    "我还深入学习了{topic}。我感到，学习不能停留在记笔记、背条文上，更重要的是把精神落实到具体行动中。",
    "我还通过观看专题片、参加主题党日，加深了对{topic}的理解，也更加明白了共产党员的初心使命。",
    "在学习{topic}的过程中，我对照自己的思想实际，查找了在政治理论学习上不够系统、不够深入的问题。",
    "我还认真学习了{topic}，特别是其中关于加强基层治理、密切联系群众的内容，使我很受启发。",
    "这一阶段我重点学习了{topic}，并向身边的老党员请教，听他们讲入党的经历，受到了很深的教育。",
    "参加了乡镇（单位）组织的专题辅导，系统学习了{topic}，进一步增强了“四个意识”、坚定了“四个自信”。",
)
WORK = {
    "village": (
        "在工作上，我积极参与村里的人居环境整治，带头清理房前屋后，还动员邻居一起参加，得到了群众的认可。",
        "{season}我主动参加了村里组织的{season_work}，和村干部一起走家串户，帮助困难群众解决实际问题。",
        "作为一名种植户，我把学到的新技术介绍给周围的群众，在{season_work}中尽自己的一份力量。",
        "村里开展{season_work}时，我主动报名参加志愿服务，虽然辛苦，但看到群众满意，心里很踏实。",
        "我积极配合村“两委”做好{season_work}等工作，认真完成支部交给的各项任务，努力发挥带头作用。",
        "在乡村振兴工作中，我结合自己的专长，参与了村集体经济项目的管理，学到了很多书本上学不到的东西。",
    ),
    "community": (
        "在社区，我参加了网格志愿服务，协助网格员开展{season_work}，对居民的急难愁盼有了更真切的了解。",
        "{season}社区开展{season_work}，我利用休息时间参加了服务，帮助独居老人解决了一些生活上的困难。",
        "我主动参与小区的矛盾纠纷调解和环境整治，努力在居民中树立良好形象，发挥带头作用。",
        "作为楼栋长，我经常走访楼栋住户，及时向社区反映居民的意见和建议，协助做好{season_work}。",
        "我积极参加社区组织的“我为群众办实事”活动，在{season_work}中服务居民，感到很有意义。",
        "在工作中我注意把学习成果转化为服务群众的实际行动，参加了社区的{season_work}，得到了居民好评。",
    ),
    "organ": (
        "在工作上，我认真履行岗位职责，按时完成领导交办的各项任务，{season}参与了{season_work}，工作效率有了提高。",
        "我把学习成效体现在本职工作中，严格遵守机关工作纪律，在{season_work}中主动承担任务，加班加点不叫苦。",
        "参加单位组织的下基层活动时，我深入群众了解情况，协助做好{season_work}，进一步增强了宗旨意识。",
        "我注意改进工作作风，对前来办事的群众做到热情接待、耐心解释，{season}还参加了{season_work}。",
        "结合岗位实际，我积极参与{season_work}，在实践中锻炼自己，努力提高解决实际问题的能力。",
        "在工作中我坚持向身边的党员同志学习，{season}参与{season_work}，也认识到自己在统筹协调方面还有不足。",
    ),
    "institution": (
        "在本职岗位上，我始终坚持以人民为中心，认真对待每一项工作，{season}还参加了单位组织的{season_work}。",
        "我把党员标准落实到日常工作中，在{season_work}中主动担当，得到了同事们的肯定。",
        "工作中我努力钻研业务，积极参加{season_work}，在服务群众的过程中不断提高自身素质。",
        "{season}单位开展{season_work}，我积极报名参加，既锻炼了能力，也增强了责任感。",
    ),
    "two_new": (
        "在企业里，我努力做好本职工作，主动帮助新进员工熟悉岗位，{season}还参加了{season_work}。",
        "作为一名一线员工，我严格遵守安全生产规定，在{season_work}中尽心尽力，发挥了积极作用。",
        "我积极参加企业党支部组织的活动，在{season_work}中带头攻坚，体会到党员就是一面旗帜。",
        "工作中我注意团结同事、钻研技术，{season}参与了{season_work}，得到了车间领导的表扬。",
    ),
}
SEASON_WORK = {
    "village": ("春耕生产", "防汛值守", "“三夏”秸秆禁烧", "秋收秋种", "冬季森林防火", "人居环境整治", "医保费用征缴"),
    "community": ("文明城市创建", "防汛排查", "垃圾分类宣传", "反诈宣传", "冬季取暖安全检查", "敬老助老服务"),
    "organ": ("包村联户走访", "文明城市创建", "安全生产检查", "信访矛盾化解", "防汛值班", "政策宣讲"),
    "institution": ("义诊下乡", "送教下乡", "健康宣传", "安全隐患排查", "志愿服务"),
    "two_new": ("技术攻关", "安全生产月活动", "订单赶工", "员工技能比武", "质量提升活动"),
}
SEASONS = {1: "年初", 2: "入夏以来", 3: "三季度", 4: "入冬以来"}
SHORTCOMINGS = (
    "对照党员标准，我还存在一些不足：一是理论学习不够系统，有时满足于读过、看过；二是工作中有时急于求成。",
    "当然，我也清醒地认识到自己的差距，主要是学习的主动性还不够强，联系群众还不够紧密，遇到困难有畏难情绪。",
    "我也有不少不足之处，比如有时工作忙就放松了学习，对一些问题的认识还停留在表面，需要在今后认真改进。",
    "在思想上，我有时对自己要求不够严格，批评与自我批评开展得不够，这些都需要在组织的帮助下加以克服。",
    "对照先进党员，我在发挥带头作用方面还有差距，参加集体活动的积极性有时不够高，考虑问题不够全面。",
    "回顾这段时间，我还存在学用结合不够紧密、工作方法比较简单、与同志们交流思想不够主动等问题。",
    "我深知自己离党员的标准还有一定距离，特别是在政治敏锐性和工作能力上，还需要不断学习、不断锻炼。",
    "支部同志也给我指出，我在工作中有时说得多、做得少，对群众反映的问题跟踪落实不够，我虚心接受并认真整改。",
    "我的不足主要是：学习计划执行得不够好，有时放松了对自己的要求；在群众中宣传党的政策还不够主动。",
    "在自我反思中，我发现自己对党的理论理解还不够深，有时遇事考虑个人得失多了一些，今后一定注意克服。",
)
PLANS = (
    "今后，我将继续加强学习，积极参加组织生活，在工作中发挥带头作用，以实际行动争取早日加入中国共产党。",
    "下一步，我要制定更加具体的学习计划，多向老党员请教，主动承担急难险重任务，努力做到思想上、行动上向党组织靠拢。",
    "在今后的日子里，我会更加严格要求自己，虚心接受组织和群众的监督，按时向党组织汇报思想，争取早日成为一名合格的共产党员。",
    "我决心把学习成果转化为干事创业的动力，立足本职岗位多做实事，多为群众办好事，用行动践行入党誓言。",
    "今后我将认真对照党章规定的党员条件，找差距、补短板，积极参加志愿服务，在实践中锤炼党性。",
    "接下来，我会继续坚持每周学习，按时参加支部活动，主动向培养联系人汇报思想，不辜负组织的培养和期望。",
    "我会以这次汇报为新的起点，把“严”和“实”的要求落实到工作和生活的方方面面，努力做一名群众信得过的人。",
    "我将按照支部的要求，继续认真学习，加强党性修养，团结同志、服务群众，以更好的表现接受党组织的考验。",
    "下一阶段，我要把学习和工作结合起来，在{season_work}等工作中冲在前面，用实际成绩向党组织交一份合格的答卷。",
    "请党组织在今后的工作和学习中继续对我进行帮助和考验，我一定努力克服缺点，不断进步。",
)
CLOSINGS = (
    "以上是我这一阶段的思想汇报，恳请党组织批评指正。",
    "以上汇报如有不妥之处，请党组织批评指正。",
    "以上是我的思想汇报，请党组织审阅，并对我提出宝贵意见。",
    "恳请党组织给予批评和帮助。",
)


def topics_of(day: dt.date) -> tuple[str, ...]:
    return TOPICS.get(quarter_of(day), GENERAL_TOPICS)


def report_title(day: dt.date) -> str:
    year, quarter = quarter_of(day)
    return f"{year}年第{QUARTER_NAMES[quarter]}季度思想汇报"


def report_text(
    rng: random.Random, *, name: str, stage: str, since: dt.date | None, submitted_on: dt.date, sector: str
) -> str:
    """One 思想汇报 of `name`, at `stage` (a DevelopmentStage value) since `since`, handed in on `submitted_on`."""
    year, quarter = quarter_of(submitted_on)
    season_work = rng.choice(SEASON_WORK[sector])
    since_text = SINCE[stage].format(since=f"{since.year}年{since.month}月" if since else "")
    period = f"{year}年第{QUARTER_NAMES[quarter]}季度"
    topics = list(topics_of(submitted_on)) + [rng.choice(GENERAL_TOPICS)]
    first, second = rng.sample(range(len(STUDY)), 2)
    slots = {"season": SEASONS[quarter], "season_work": season_work, "notes": rng.randint(2, 6)}
    paragraphs = [
        "敬爱的党组织：",
        rng.choice(OPENINGS).format(since_text=since_text, period=period),
        STUDY[first].format(topic=topics[0], **slots),
        STUDY[second].format(topic=rng.choice(topics[1:]), **slots),
        rng.choice(WORK[sector]).format(**slots),
        rng.choice(SHORTCOMINGS),
        rng.choice(PLANS).format(**slots),
        rng.choice(CLOSINGS),
        f"汇报人：{name}\n{submitted_on.year}年{submitted_on.month}月{submitted_on.day}日",
    ]
    return "\n\n".join(paragraphs)


NEAR_WORDS = (
    ("认真", "努力"),
    ("深刻", "深切"),
    ("积极", "主动"),
    ("进一步", "更加"),
    ("不断", "持续"),
    ("学习", "研读"),
)


def near_copy(rng: random.Random, text: str, *, name: str, submitted_on: dt.date) -> str:
    """`text` handed in again by someone else: their name and date at the foot, one word changed."""
    body, _, _ = text.rpartition("汇报人：")
    words = [(old, new) for old, new in NEAR_WORDS if old in body]
    if words:
        old, new = rng.choice(words)
        body = body.replace(old, new, 1)
    return f"{body}汇报人：{name}\n{submitted_on.year}年{submitted_on.month}月{submitted_on.day}日"
