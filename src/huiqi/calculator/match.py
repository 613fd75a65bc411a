"""Matching a profile against a whole pack: every measure's result, the limits across measures, the totals.

Limits: in an exclusive group (不能同时享受 / 不重复享受) only the eligible member worth most is
counted and the others say why they were dropped; a combined cap (上述补助之和最高…) reduces the
total and says by how much. `to_json` is the stable contract of `huiqi match --json` and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from huiqi.calculator.evaluate import ELIGIBLE, Evaluator, MeasureResult, format_yuan, per_word
from huiqi.rules.facts import Profile
from huiqi.rules.pack import CompiledMeasure, Pack

STATUS_ORDER = {"eligible": 0, "unknown": 1, "ineligible": 2, "not_yet_in_force": 3, "expired": 4}


@dataclass
class Adjustment:
    group_id: str
    label: str
    reduction: float  # yuan taken off the exact total
    detail: str


@dataclass
class MatchReport:
    as_of: date
    profile: Profile
    results: list[MeasureResult]
    adjustments: list[Adjustment] = field(default_factory=list)

    @property
    def total(self) -> float:
        exact = sum(r.amount.exact for r in self._counted() if r.amount and r.amount.exact is not None)
        return round(exact - sum(a.reduction for a in self.adjustments), 2)

    @property
    def total_max(self) -> float:
        high = sum(r.amount.high for r in self._counted() if r.amount and r.amount.high is not None)
        return round(high - sum(a.reduction for a in self.adjustments), 2)

    def _counted(self) -> list[MeasureResult]:
        return [r for r in self.results if r.status == ELIGIBLE and r.counted]


def match(pack: Pack, profile: Profile, as_of: date, measure_ids: list[str] | None = None) -> MatchReport:
    evaluator = Evaluator(pack.registry)
    measures = pack.for_subject(profile.subject)
    if measure_ids is not None:
        measures = [m for m in measures if m.id in set(measure_ids)]
    results = [evaluator.evaluate(m, profile, as_of) for m in measures]
    report = MatchReport(as_of, profile, results)
    apply_limits(pack, report)
    report.results.sort(key=lambda r: (STATUS_ORDER[r.status], -r.best_amount(), r.measure.id))
    return report


def apply_limits(pack: Pack, report: MatchReport) -> None:
    by_id = {r.id: r for r in report.results}
    for group in pack.groups.values():
        members = [by_id[m] for m in group.members if m in by_id and by_id[m].status == ELIGIBLE]
        if group.kind == "exclusive" and len(members) > 1:
            keep = max(members, key=lambda r: (r.best_amount(), r.id))
            for result in members:
                if result is not keep:
                    result.counted = False
                    result.notes.append(f"与“{keep.measure.spec.title}”不能同时享受（{group.label}），已按金额较高者计入合计")
        elif group.kind == "combined_cap" and group.cap is not None:
            counted = [r for r in members if r.counted and r.amount and r.amount.exact is not None]
            subtotal = sum(r.amount.exact for r in counted)  # type: ignore[union-attr]
            if subtotal > group.cap:
                detail = f"{group.label}：合计 {format_yuan(subtotal)} 超过上限 {format_yuan(group.cap)}，按上限计入"
                report.adjustments.append(Adjustment(group.id, group.label, round(subtotal - group.cap, 2), detail))
                for result in counted:
                    result.notes.append(detail)


# ---------------------------------------------------------------- JSON contract


def result_json(result: MeasureResult, evaluator: Evaluator, *, detail: bool = True) -> dict[str, Any]:
    """One result in the JSON contract; without `detail` the trace and the full source list are left out."""
    out = _template(result.measure, detail).copy()  # the fields fixed by the measure, in contract order
    amount = result.amount
    out["status"] = result.status
    if amount is not None:
        out["amount_yuan"], out["amount_min_yuan"], out["amount_max_yuan"] = amount.exact, amount.low, amount.high
    out["counted"] = result.counted
    if detail:
        out["trace"] = [step.as_dict() for step in result.trace]
    out["missing"] = result.missing
    out["missing_labels"] = [evaluator.column_label(c) for c in result.missing]
    out["near_misses"] = result.near_misses
    out["notes"] = result.notes
    return out


def _template(measure: CompiledMeasure, detail: bool) -> dict[str, Any]:
    """A result's fields that depend on the measure alone, built once per measure (a match has hundreds)."""
    template = measure.derived.get(("json", detail))
    if template is None:
        spec = measure.spec
        per = spec.amount.per if spec.amount else None
        template = measure.derived["json", detail] = {
            "measure_id": spec.id,
            "title": spec.title,
            "status": None,
            "beneficiary": spec.beneficiary,
            "kind": spec.kind,
            "amount_yuan": None,
            "amount_min_yuan": None,
            "amount_max_yuan": None,
            "per": per,
            "per_label": per_word(per),
            "discretionary": spec.amount.discretionary if spec.amount else None,
            "benefit": spec.benefit or spec.summary,
            "counted": True,
            "source": measure.citations[0].as_dict(),
            **({"sources": [c.as_dict() for c in measure.citations]} if detail else {}),
            "department": spec.department,
            "window": spec.window,
            "contact": spec.contact,
            **({"trace": []} if detail else {}),
            "missing": [],
            "missing_labels": [],
            "near_misses": [],
            "notes": [],
        }
    return template


def report_json(report: MatchReport, pack: Pack, *, detail: bool = True) -> dict[str, Any]:
    evaluator = Evaluator(pack.registry)
    return {
        "as_of": report.as_of.isoformat(),
        "subject": report.profile.subject,
        "name": report.profile.name,
        "results": [result_json(r, evaluator, detail=detail) for r in report.results],
        "total_yuan": report.total,
        "total_max_yuan": report.total_max,
        "adjustments": [{"group_id": a.group_id, "label": a.label, "reduction_yuan": a.reduction, "detail": a.detail} for a in report.adjustments],
    }
