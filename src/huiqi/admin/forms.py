"""The applicant's form: which facts a call asks for, and a submitted form turned back into a profile.

The fields are the facts the call's measures read (conditions, intermediate values, amounts), at the
years they read them relative to the call's evaluation date, plus what the ranking and the district
review need (所在区, 行业, 规上, 纳税总额). Field names are profile paths: facts.x or yearly.x.YEAR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from huiqi.admin.errors import Invalid
from huiqi.rules import lang
from huiqi.rules.pack import CompiledAmount, CompiledCondition, CompiledMeasure, load_pack

ALWAYS = (("district", None), ("industry", None))
RANKING = (("above_designated_size", None), ("rd_expense", -1), ("revenue", -1), ("tax_paid", -1))


@dataclass(frozen=True)
class Field:
    path: str
    label: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()
    unit: str | None = None


def fields_for(measure_ids: list[str], as_of: date, ranked: bool) -> list[Field]:
    pack = load_pack()
    wanted: list[tuple[str, int | None]] = list(ALWAYS)
    for measure_id in measure_ids:
        measure = pack.measures.get(measure_id)
        if measure is not None:
            wanted.extend((f.name, f.year_offset) for f in _measure_facts(measure))
    if ranked:
        wanted.extend(RANKING)
    seen: list[tuple[str, int | None]] = []
    for item in wanted:
        if item[0] in pack.registry and item not in seen:
            seen.append(item)
    return [_field(name, offset, as_of, pack.registry.specs[name]) for name, offset in seen]


def _measure_facts(measure: CompiledMeasure) -> list[lang.Fact]:
    nodes = [node for _, _, node in measure.lets] + _condition_nodes(measure.conditions)
    if measure.amount is not None:
        nodes += _amount_nodes(measure.amount)
    lets = {name for name, _, _ in measure.lets}
    return [fact for node in nodes for fact in lang.facts_in(node) if fact.name not in lets]


def _condition_nodes(cond: CompiledCondition) -> list[lang.Node]:
    own = [cond.node] if cond.node is not None else []
    return own + [n for part in cond.parts for n in _condition_nodes(part)]


def _amount_nodes(amount: CompiledAmount) -> list[lang.Node]:
    nodes = list(amount.nodes.values())
    for tier in amount.tiers:
        nodes += [tier.when, *_amount_nodes(tier.amount)]
    return nodes


def _field(name: str, offset: int | None, as_of: date, spec: Any) -> Field:
    if offset is None:
        path, label = f"facts.{name}", spec.label
    else:
        year = as_of.year + offset
        path, label = f"yearly.{name}.{year}", f"{spec.label}（{year}年）"
    choices: tuple[tuple[str, str], ...] = ()
    if spec.type == "bool":
        choices = (("true", "是"), ("false", "否"))
    elif spec.type == "enum":
        labels = spec.value_labels or {}
        choices = tuple((v, labels.get(v, v)) for v in spec.values or ())
    return Field(path, label, spec.type, choices, spec.unit)


def profile_from_form(form: dict[str, str], fields: list[Field], subject: str, name: str) -> dict[str, Any]:
    """A profile from form values; blank means "not provided". Bad values raise Invalid naming the field."""
    profile: dict[str, Any] = {"subject": subject, "name": name, "facts": {}, "yearly": {}}
    for field in fields:
        raw = (form.get(field.path) or "").strip()
        if not raw:
            continue
        value = _convert(field, raw)
        parts = field.path.split(".")
        if parts[0] == "facts":
            profile["facts"][parts[1]] = value
        else:
            profile["yearly"].setdefault(parts[1], {})[parts[2]] = value
    return profile


def _convert(field: Field, raw: str) -> Any:
    try:
        if field.type == "bool":
            return {"true": True, "false": False}[raw]
        if field.type == "integer":
            return int(raw)
        if field.type in ("money", "number"):
            return float(raw.replace(",", ""))
        if field.type == "ratio":
            return float(raw.rstrip("%")) / 100 if raw.endswith("%") else float(raw)
        if field.type == "date":
            return date.fromisoformat(raw).isoformat()
    except (KeyError, ValueError):
        raise Invalid(field.path, f"{field.label}：“{raw}”不是有效的{_TYPE_WORDS.get(field.type, '值')}") from None
    if field.choices and raw not in dict(field.choices):
        raise Invalid(field.path, f"{field.label}：取值无效")
    return raw


_TYPE_WORDS = {"bool": "是/否", "integer": "整数", "money": "金额", "number": "数值", "ratio": "比例", "date": "日期（YYYY-MM-DD）"}


def form_values(profile: dict[str, Any]) -> dict[str, str]:
    """The inverse of profile_from_form, to fill the form again (correction after 退回补正)."""
    values = {f"facts.{k}": _text(v) for k, v in (profile.get("facts") or {}).items()}
    for name, by_year in (profile.get("yearly") or {}).items():
        values.update({f"yearly.{name}.{year}": _text(v) for year, v in by_year.items()})
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
