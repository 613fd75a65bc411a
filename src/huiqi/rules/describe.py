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


BENEFICIARY_WORDS = {"enterprise": "企业", "person": "个人", "institution": "机构"}


def catalogue_markdown(measures: list[dict[str, Any]]) -> str:
    """The pack as a catalogue by source document, with counts: docs/measures.md is this text."""
    by_doc: dict[str, list[dict[str, Any]]] = {}
    for m in measures:
        source = m["sources"][0]
        by_doc.setdefault(f"{source['doc_title']}（{source['doc_number']}）" if source["doc_number"] else source["doc_title"], []).append(m)
    calculable = sum(1 for m in measures if m["amount"])
    cases = sum(m["tests"] for m in measures)
    lines = [
        "# 规则包措施目录（按依据文件）",
        "",
        "由 `huiqi rules --markdown` 生成，勿手工修改。每项措施的条件、金额与引文见 `huiqi rules --json` 或网页 /measures。",
        "",
        f"共 {len(measures)} 项措施（可计算金额 {calculable} 项），手算测试用例 {cases} 个，依据文件 {len(by_doc)} 件。",
        "",
        "| 依据文件 | 措施 | 可计算金额 | 测试用例 |",
        "|---|---:|---:|---:|",
    ]
    for doc, items in by_doc.items():
        lines.append(f"| {doc} | {len(items)} | {sum(1 for m in items if m['amount'])} | {sum(m['tests'] for m in items)} |")
    for doc, items in by_doc.items():
        lines += ["", f"## {doc}", "", "| 编号 | 措施 | 对象 | 条款 |", "|---|---|---|---|"]
        for m in items:
            labels = "、".join(dict.fromkeys(s["label"] for s in m["sources"]))
            lines.append(f"| `{m['id']}` | {m['title']} | {BENEFICIARY_WORDS[m['beneficiary']]} | {labels} |")
    return "\n".join(lines) + "\n"
