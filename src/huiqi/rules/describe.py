"""The whole pack as plain data: what `huiqi rules --json` prints and the API serves."""

from __future__ import annotations

from typing import Any

from huiqi.rules.model import PER_WORDS, Amount, Condition
from huiqi.rules.pack import CompiledMeasure, Pack


def describe_measure(measure: CompiledMeasure) -> dict[str, Any]:
    spec = measure.spec
    return {
        "id": spec.id,
        "title": spec.title,
        "summary": spec.summary,
        "beneficiary": spec.beneficiary,
        "kind": spec.kind,
        "file": measure.file,
        "sources": [c.as_dict() for c in measure.citations],
        "let": {name: {"label": item.label, "expr": item.expr} for name, item in spec.let.items()},
        "conditions": [_condition(c) for c in spec.conditions],
        "amount": _amount(spec.amount) if spec.amount else None,
        "benefit": spec.benefit,
        "limits": {
            "once_per_subject": spec.once_per_subject,
            "groups": [{"id": g.id, "kind": g.kind, "label": g.label, "cap": g.cap, "members": g.members} for g in measure.groups],
        },
        "validity": {"from": _iso(measure.valid_from), "until": _iso(measure.valid_until)},
        "amends": {"measure": spec.amends.measure, "from": spec.amends.start.isoformat()} if spec.amends else None,
        "superseded_by": measure.superseded_by,
        "department": spec.department,
        "window": spec.window,
        "contact": spec.contact,
        "materials": spec.materials,
        "tests": len(spec.tests),
    }


def describe_pack(pack: Pack) -> list[dict[str, Any]]:
    return [describe_measure(m) for m in pack.measures.values()]


def _condition(cond: Condition) -> dict[str, Any]:
    if cond.when is not None:
        return {"label": cond.label, "when": cond.when}
    key = "all" if cond.all is not None else "any"
    return {"label": cond.label, key: [_condition(c) for c in (cond.all or cond.any or [])]}


def _amount(amount: Amount) -> dict[str, Any]:
    data = amount.model_dump(exclude_none=True, exclude={"tiers"})
    if amount.per:
        data["per_label"] = PER_WORDS[amount.per]
    if amount.tiers:
        data["tiers"] = [{"label": t.label, "when": t.when, "amount": _amount(t.amount)} for t in amount.tiers]
    return data


def _iso(value) -> str | None:
    return value.isoformat() if value else None
