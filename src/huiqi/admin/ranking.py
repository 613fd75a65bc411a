"""Allocating a call's budget: pure functions over candidates, no database.

RD_POST_SUBSIDY follows 津科规〔2021〕4号 第五条:

1. （三）当年通过评价的“雏鹰”企业不参加排序可直接进行补助 — they are funded first, off the top of the
   budget, at their full amount, in the order they submitted.
2. （一）规上 and 规下 enterprises (fact above_designated_size) are ranked in separate pools; "规上企业和规下
   企业补助金额的比例按照当年申报企业补助金额情况进行确定": what is left of the budget is split between
   the pools in proportion to the amounts applied for in each (the 规上 share rounded down to the fen,
   the 规下 pool takes the rest, so the two add up to the budget exactly). When the budget covers
   every amount applied for, everyone is funded in full.
3. （二）"按照企业研发投入强度及综合经济贡献指标综合排名，两项指标各占50%": inside a pool each
   enterprise gets a percentile rank on each indicator — the share of the other enterprises in the pool
   it beats, ties counting half, so 1 is the best, 0 the worst and a pool of one scores 1 — and the
   composite is 0.5 × R&D-intensity percentile + 0.5 × contribution percentile. Percentile ranks rather
   than min-max scaling, because the text speaks of a ranking (排名) and because one enterprise with a
   huge tax bill would otherwise squash everyone else's contribution score towards zero.
   R&D intensity = R&D expense ÷ revenue of the year before the call; economic contribution = total
   tax paid (纳税总额) of that year. Ties on the composite go to the higher R&D intensity, then the
   higher contribution, then the earlier submission.
4. "择优补助": funded in rank order until the pool is spent. The enterprise that does not fit receives
   what is left of the pool (partial funding, recorded as such) and those after it receive nothing.
   Why partial rather than skipping to a smaller one further down: skipping would fund a lower-ranked
   enterprise ahead of a better one, against 择优; and 第七条（三） fixes only a ceiling (最高不超过500万元),
   so paying less than the computed amount stays within the text while paying more never happens.

FIRST_COME (先到先得, every other measure's call): each application is funded when the city officer
approves it, in the order of those approvals, at its full amount while the budget lasts; the one that
does not fit gets the remainder, later ones nothing (the same marginal rule as above).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

RD_POST_SUBSIDY, FIRST_COME = "rd_post_subsidy", "first_come"
RULES = {RD_POST_SUBSIDY: "研发投入后补助：雏鹰直补，规上/规下分池按申报额比例分配，综合排名择优", FIRST_COME: "先到先得：按市级审核通过顺序，额度用完即止"}
POOL_WORDS = {"chuying": "雏鹰直补", "above": "规上", "below": "规下", "queue": "先到先得"}
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Candidate:
    application_id: int
    requested_fen: int
    submitted_at: datetime
    above_designated_size: bool = False
    chuying_this_year: bool = False
    rd_intensity: Fraction = Fraction(0)
    contribution: Fraction = Fraction(0)


@dataclass
class Allocation:
    application_id: int
    pool: str
    rank: int
    granted_fen: int
    score: Decimal | None = None
    note: str = ""
    percentiles: dict[str, str] = field(default_factory=dict)


def allocate_rd_post_subsidy(candidates: list[Candidate], budget_fen: int) -> list[Allocation]:
    chuying = sorted((c for c in candidates if c.chuying_this_year), key=lambda c: (c.submitted_at, c.application_id))
    allocations = _fund_in_order(chuying, budget_fen, "chuying")
    left = budget_fen - sum(a.granted_fen for a in allocations)
    above = [c for c in candidates if not c.chuying_this_year and c.above_designated_size]
    below = [c for c in candidates if not c.chuying_this_year and not c.above_designated_size]
    above_budget, below_budget = split_budget(left, sum(c.requested_fen for c in above), sum(c.requested_fen for c in below))
    for pool, members, pool_budget in (("above", above, above_budget), ("below", below, below_budget)):
        allocations.extend(_rank_pool(pool, members, pool_budget))
    return allocations


def split_budget(budget_fen: int, above_fen: int, below_fen: int) -> tuple[int, int]:
    """The two pools' budgets, in proportion to the amounts applied for; full amounts when the budget covers them."""
    total = above_fen + below_fen
    if total <= budget_fen:
        return above_fen, below_fen
    above_share = budget_fen * above_fen // total
    return above_share, budget_fen - above_share


def percentile_ranks(values: list[Fraction]) -> list[Fraction]:
    """Each value's share of the others it beats (ties count half): 1 for the best, 0 for the worst."""
    n = len(values)
    if n == 1:
        return [Fraction(1)]
    ranks = []
    for v in values:
        beaten = sum(1 for w in values if w < v)
        tied = sum(1 for w in values if w == v) - 1
        ranks.append(Fraction(beaten, n - 1) + HALF * Fraction(tied, n - 1))
    return ranks


def _rank_pool(pool: str, members: list[Candidate], pool_budget: int) -> list[Allocation]:
    if not members:
        return []
    intensity = percentile_ranks([c.rd_intensity for c in members])
    contribution = percentile_ranks([c.contribution for c in members])
    scored = [(HALF * i + HALF * c, member, i, c) for member, i, c in zip(members, intensity, contribution, strict=True)]
    scored.sort(key=lambda s: (-s[0], -s[1].rd_intensity, -s[1].contribution, s[1].submitted_at, s[1].application_id))
    allocations = _fund_in_order([s[1] for s in scored], pool_budget, pool)
    for allocation, (score, _member, i, c) in zip(allocations, scored, strict=True):
        allocation.score = _decimal(score)
        allocation.percentiles = {"rd_intensity": str(_decimal(i)), "contribution": str(_decimal(c))}
    return allocations


def _fund_in_order(ordered: list[Candidate], budget_fen: int, pool: str) -> list[Allocation]:
    left = budget_fen
    allocations = []
    for rank, candidate in enumerate(ordered, 1):
        granted, note = fund_one(candidate.requested_fen, left)
        left -= granted
        allocations.append(Allocation(candidate.application_id, pool, rank, granted, note=note))
    return allocations


def fund_one(requested_fen: int, left_fen: int) -> tuple[int, str]:
    """The marginal rule shared by every rule: full amount, else what is left, else nothing."""
    if requested_fen <= left_fen:
        return requested_fen, ""
    if left_fen > 0:
        return left_fen, "预算余额不足，按剩余额度部分补助"
    return 0, "预算已用完"


def _decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.000001"))
