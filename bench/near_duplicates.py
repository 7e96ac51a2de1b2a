"""Near-duplicate scan (supervision/similarity.py) over generated party-work texts, against naive pairwise comparison.

    python -m bench.near_duplicates [--texts 1000000] [--sample 20000] [--naive 1000] [--plant 0.01] [--strict]

N texts of ~300 characters in the style of speeches and thought reports (stock phrases, dates, places, names and
numbers vary: unrelated texts still share 8% of their shingles on average), 1% of them planted copies of another
text with a few characters edited. The engine scans all N as ONE group (the hardest case; the nightly check only
compares within a meeting or a branch). Naive pairwise = the exact Jaccard of every pair over the same shingle sets,
timed on all pairs of the first `--naive` texts of a `--sample` subset and extrapolated (it grows with n²).
No database is used.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time

BENCHMARK = "near-duplicate texts"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅兰凤玉珍文斌辉鹏飞波宁浩宇欣怡晨阳博雪琳"
PLACES = (
    "青石 柳河 桃园 杏林 松岭 梨树 枣庄 白塔 黄土 红岩 清水 碧溪 龙泉 凤山 金沙 银杏 铁炉 马鞍 牛角 鹿鸣 莲花 荷塘 竹园 "
    "梅岭 李家 王庄 张湾 刘集 陈楼 赵屯 孙堡 周营 吴桥 郑店 冯寨 何坪 高坎 林场 罗湾 谢庄 宋集 唐岗 韩店 曹营 彭庄"
).split()
UNITS = "村 社区 组 片区".split()
ACTS = (
    "组织开展了 召开了 集中学习了 专题研讨了 部署落实了 走访慰问了 排查化解了 宣传解读了 推动完成了 督促整改了 "
    "带头参加了 认真筹备了 协调推进了 调研座谈了 总结交流了 检查验收了"
).split()
THINGS = (
    "党的二十大精神专题学习 习近平新时代中国特色社会主义思想读书班 三会一课 主题党日活动 组织生活会 民主评议党员 "
    "人居环境整治 垃圾分类 矛盾纠纷排查 信访积案化解 集体经济合作社分红 土地流转 高标准农田建设 防汛抗旱演练 "
    "森林防火巡查 安全生产检查 困难群众走访 留守儿童关爱 老年人健康体检 医保缴费动员 党费收缴核对 党员信息采集 "
    "入党积极分子培养 发展对象政审 党务公开栏更新 便民服务代办 乡村振兴项目申报 特色产业示范基地 电商直播培训 "
    "返乡创业座谈 文明家庭评选 移风易俗宣传 网格化管理 疫苗接种动员 道路硬化工程 饮水安全改造 危房改造核查 "
    "低保对象复核 退役军人走访"
).split()
FEELINGS = (
    "我深刻认识到 通过这次活动我体会到 对照检查发现 回顾这一段工作 我认为 群众反映 实践证明 我对照党章查找到 "
    "我在工作中感到 支部讨论认为"
).split()
POINTS = (
    "理论学习不够系统深入 联系群众还不够紧密 工作作风还不够扎实 攻坚克难的劲头不足 创新意识有待增强 "
    "服务意识需要进一步提高 纪律意识需要时刻绷紧 调查研究不够深入 抓落实的韧劲不够 履职尽责还有差距 "
    "政治站位需要进一步提高 担当作为还不够主动 学用结合不够紧密 批评与自我批评开展不够 带头作用发挥不明显 "
    "精细化管理水平不高"
).split()
PLANS = "今后我将 下一步 在今后的工作中 我决心 针对这些问题 我将以此为契机 接下来我会".split()
DOINGS = (
    "每周抽出固定时间学习 主动到群众家中走访 认真记好工作日志 带头参加志愿服务 按时足额交纳党费 及时向支部汇报思想 "
    "虚心听取群众意见 把学习成果转化为工作成效 严格遵守各项纪律 积极参加组织生活 帮助困难群众解决实际问题 "
    "在产业发展中当好带头人 在急难险重任务中冲在前面"
).split()


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))


def _sentence(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return (
            f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日，{rng.choice(PLACES)}{rng.choice(UNITS)}{rng.choice(ACTS)}"
            f"{rng.choice(THINGS)}，参加{rng.randint(5, 80)}人，{_name(rng)}作了发言。"
        )
    if kind == 1:
        return f"{rng.choice(FEELINGS)}，自己{rng.choice(POINTS)}，{rng.choice(POINTS)}。"
    if kind == 2:
        return f"{rng.choice(PLANS)}{rng.choice(DOINGS)}，{rng.choice(DOINGS)}，争取在{rng.choice(THINGS)}中做出成绩。"
    return (
        f"在{rng.choice(THINGS)}中，我和{_name(rng)}、{_name(rng)}一起走访了{rng.randint(3, 60)}户群众，"
        f"收集意见建议{rng.randint(2, 30)}条，已解决{rng.randint(1, 20)}条。"
    )


def party_text(rng: random.Random, length: int = 300) -> str:
    out, n = [], 0
    while n < length:
        s = _sentence(rng)
        out.append(s)
        n += len(s)
    return "".join(out)


def copied(rng: random.Random, text: str) -> str:
    """A copy with 2–8 characters replaced, dropped or inserted (a name changed, a number, a word)."""
    chars = list(text)
    for _ in range(rng.randint(2, 8)):
        i = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.6:
            chars[i] = rng.choice(GIVEN)
        elif op < 0.8:
            del chars[i]
        else:
            chars.insert(i, rng.choice(GIVEN))
    return "".join(chars)


def corpus(n: int, plant: float, seed: int) -> tuple[list[str], list[tuple[int, int]]]:
    rng = random.Random(seed)
    planted_count = int(n * plant)
    texts = [party_text(rng) for _ in range(n - planted_count)]
    planted = []
    for _ in range(planted_count):
        source = rng.randrange(len(texts))
        texts.append(copied(rng, texts[source]))
        planted.append((source, len(texts) - 1))
    return texts, planted


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--naive", type=int, default=1_000, help="texts of the sample timed pairwise (all pairs)")
    parser.add_argument("--plant", type=float, default=0.01, help="share of planted copies")
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", help="ignored: this benchmark needs no database")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a limit is not met")
    args = parser.parse_args(argv)

    from bench._setup import Figure, print_table
    from supervision import similarity as sim

    print(f"bench.near_duplicates: {args.texts:,} texts, threshold {args.threshold}, K = {sim.BANDS} bands × "
          f"{sim.ROWS} rows, {sim.SHINGLE}-character shingles", flush=True)  # fmt: skip
    for s in (0.5, 0.7, 0.75, 0.8, 0.85, 0.9):
        print(f"  P(candidate | similarity {s:.2f}) = {sim.recall_at(s):.4f}")
    started = time.perf_counter()
    texts, planted = corpus(args.texts, args.plant, args.seed)
    print(f"generated {len(texts):,} texts ({sum(map(len, texts)) / len(texts):.0f} characters on average, "
          f"{len(planted):,} planted copies) in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    truth = [(a, b, sim.similarity(texts[a], texts[b])) for a, b in planted]
    expected = {(a, b) for a, b, s in truth if s >= args.threshold}
    sims = sorted(s for _, _, s in truth)
    print(f"planted pairs: true similarity min {sims[0]:.3f}, median {sims[len(sims) // 2]:.3f}, max {sims[-1]:.3f};"
          f" {len(expected):,} at or above {args.threshold}", flush=True)  # fmt: skip

    started = time.perf_counter()
    pairs = sim.near_duplicate_pairs(((i, 0, t) for i, t in enumerate(texts)), threshold=args.threshold,
                                     same_group=False)  # fmt: skip
    scan = time.perf_counter() - started
    found = {(p.a, p.b) for p in pairs}
    recall = len(expected & found) / len(expected) if expected else 1.0
    print(f"scan of {len(texts):,} texts: {scan:.1f} s, {len(pairs):,} pairs ≥ {args.threshold} "
          f"({len(found - expected):,} not planted: copies of the same source, or chance), peak RSS {_peak_mb():,.0f} MB",
          flush=True)  # fmt: skip

    # Naive pairwise on a sample: every pair's exact Jaccard over the same shingle sets.
    rng = random.Random(args.seed + 1)
    sample = rng.sample(texts, min(args.sample, len(texts)))
    started = time.perf_counter()
    sim.near_duplicate_pairs(((i, 0, t) for i, t in enumerate(sample)), threshold=args.threshold,
                             same_group=False)  # fmt: skip
    sample_scan = time.perf_counter() - started
    # The pairwise subset holds planted pairs (both ends) besides random texts, so the engine's answer on it can be
    # checked against the naive one on real positives, not only on an empty set.
    pairs_in_subset = planted[: args.naive // 20]
    subset_texts = [texts[i] for pair in pairs_in_subset for i in pair]
    subset_texts += sample[: args.naive - len(subset_texts)]
    subset = [sim.shingles(t) for t in subset_texts]
    started = time.perf_counter()
    naive_found = set()
    for i in range(len(subset)):
        a = subset[i]
        for j in range(i + 1, len(subset)):
            if sim.jaccard(a, subset[j]) >= args.threshold:
                naive_found.add((i, j))
    naive_seconds = time.perf_counter() - started
    subset_pairs = len(subset) * (len(subset) - 1) // 2
    rate = subset_pairs / naive_seconds
    naive_sample = (len(sample) * (len(sample) - 1) // 2) / rate
    naive_full = (len(texts) * (len(texts) - 1) // 2) / rate
    engine_subset = {
        (p.a, p.b)
        for p in sim.near_duplicate_pairs(
            ((i, 0, t) for i, t in enumerate(subset_texts)), threshold=args.threshold, same_group=False
        )  # fmt: skip
    }
    print(f"naive pairwise: {subset_pairs:,} pairs of {len(subset):,} texts ({len(pairs_in_subset)} planted pairs "
          f"among them) in {naive_seconds:.1f} s = {rate:,.0f} pairs/s; naive finds {len(naive_found)} pairs ≥ "
          f"{args.threshold}, the engine {len(engine_subset & naive_found)} of them and "
          f"{len(engine_subset - naive_found)} others", flush=True)  # fmt: skip
    print(f"naive extrapolated: {len(sample):,}-text sample {naive_sample:,.0f} s "
          f"(engine {sample_scan:.1f} s), {len(texts):,} texts {naive_full:,.0f} s = {naive_full / 86400:,.1f} days "
          f"(engine {scan:.1f} s)", flush=True)  # fmt: skip

    figures = [
        Figure(f"scan of {len(texts):,} texts, one group", scan, "s", 120),
        Figure(
            "recall of planted near-duplicates (true similarity ≥ threshold)",
            recall * 100,
            "%",
            95,
            higher_is_better=True,
            note=f"{len(expected & found):,} of {len(expected):,}",
        ),  # fmt: skip
        Figure(
            f"speed-up vs naive pairwise, {len(sample):,}-text sample",
            naive_sample / sample_scan,
            "×",
            100,
            higher_is_better=True,
        ),  # fmt: skip
        Figure(
            f"speed-up vs naive pairwise, {len(texts):,} texts (extrapolated)",
            naive_full / scan,
            "×",
            100,
            higher_is_better=True,
        ),  # fmt: skip
        Figure("peak memory (RSS)", _peak_mb(), "MB"),
    ]
    print_table(f"near-duplicate texts ({len(texts):,})", figures)
    missed = [f.name for f in figures if f.met == "NO"]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
