"""The calculator's pre-check of an application: every measure of the call evaluated on the call's
evaluation date, the best eligible one kept with its trace and citations (result_json), and the facts
the ranking reads (R&D intensity, economic contribution, 规上/规下, 雏鹰 of the year)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from huiqi.admin.errors import Invalid
from huiqi.admin.money import to_fen
from huiqi.calculator.evaluate import ELIGIBLE, Evaluator
from huiqi.calculator.match import result_json
from huiqi.rules.facts import Profile, ProfileError
from huiqi.rules.pack import Pack, load_pack


@dataclass(frozen=True)
class Assessment:
    measure_id: str
    result: dict[str, Any]  # result_json of the chosen measure
    requested_fen: int | None  # the exact amount when eligible, else None

    @property
    def problems(self) -> list[str]:
        """Why this cannot be submitted yet, in Chinese (empty when it can)."""
        r = self.result
        if r["status"] != ELIGIBLE:
            reasons = [f"需补充：{'、'.join(r['missing_labels'])}"] if r["missing_labels"] else []
            failed = [step["label"] for step in r["trace"] if step["kind"] == "condition" and step["value"] is False]
            return [f"计算器判断为“{_status_word(r['status'])}”", *reasons, *(f"未满足：{f}" for f in failed[:3]), *r["notes"]]
        if self.requested_fen is None:
            return ["金额无法确定：" + ("需补充：" + "、".join(r["missing_labels"]) if r["missing_labels"] else "该措施金额为区间，需由主管部门确定")]
        if self.requested_fen <= 0:
            return ["按规定计算的补助金额为 0 元，无需申报"]
        return []


def _status_word(status: str) -> str:
    from huiqi.calculator.evaluate import STATUS_WORDS

    return STATUS_WORDS[status]


def validate_profile(data: Any, pack: Pack | None = None) -> Profile:
    _refuse_nul(data, "profile")
    pack = pack or load_pack()
    try:
        return pack.registry.validate(data)
    except ProfileError as exc:
        path, message = exc.problems[0]
        raise Invalid(f"profile.{path}", "；".join(f"{p}：{m}" for p, m in exc.problems) if len(exc.problems) > 1 else message) from None


def _refuse_nul(data: Any, path: str) -> None:
    """NUL cannot be stored in PostgreSQL text: bad input, named by its field."""
    if isinstance(data, str) and "\x00" in data:
        raise Invalid(path, "含有不允许的控制字符（NUL）")
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in children:
        if isinstance(key, str) and "\x00" in key:
            raise Invalid(path, "字段名含有不允许的控制字符（NUL）")
        _refuse_nul(value, f"{path}.{key}")


def assess(measure_ids: list[str], profile: Profile, as_of: date) -> Assessment:
    pack = load_pack()
    evaluator = Evaluator(pack.registry)
    results = [evaluator.evaluate(pack.measures[m], profile, as_of) for m in measure_ids if m in pack.measures]
    if not results:
        raise Invalid("measure_id", "申报通知所依据的措施不在当前规则包中")
    # the exclusive group of the R&D rules ("以符合条件的最高比例") and any call with alternatives: best eligible first
    best = max(results, key=lambda r: (r.status == ELIGIBLE, r.amount is not None and r.amount.exact is not None, r.best_amount()))
    data = result_json(best, evaluator)
    exact = data["amount_yuan"] if best.status == ELIGIBLE else None
    return Assessment(best.id, data, to_fen(exact) if exact is not None else None)


@dataclass(frozen=True)
class RankingFacts:
    above_designated_size: bool | None
    chuying_this_year: bool
    rd_intensity: Fraction | None
    contribution: Fraction | None

    def missing(self) -> list[str]:
        labels = {"above_designated_size": "规模以上企业（规上）", "rd_intensity": "上一年度研发费用与营业收入（研发投入强度）", "contribution": "上一年度纳税总额（综合经济贡献）"}
        return [label for name, label in labels.items() if getattr(self, name) is None]


def ranking_facts(facts: dict[str, Any], call_year: int) -> RankingFacts:
    """What 津科规〔2021〕4号 第五条 ranks on, read from a flat profile for a call of `call_year`."""
    last = call_year - 1
    rd, revenue, tax = facts.get(f"rd_expense_{last}"), facts.get(f"revenue_{last}"), facts.get(f"tax_paid_{last}")
    intensity = Fraction(str(rd)) / Fraction(str(revenue)) if rd is not None and revenue else None
    return RankingFacts(
        above_designated_size=facts.get("above_designated_size"),
        chuying_this_year=bool(facts.get("chuying")) and facts.get("chuying_evaluated_year") == call_year,
        rd_intensity=intensity,
        contribution=Fraction(str(tax)) if tax is not None else None,
    )
