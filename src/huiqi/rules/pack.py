"""Loading a pack: YAML files → validated measures with parsed expressions and verified quotes.

Loading fails (with the file, measure and problem named) when a file does not match the model,
an expression does not parse, a rule uses a fact nobody defined, two measures share an id, or a
quote is not found in the library's text of the provision it cites: the rules can never drift
from the law they encode.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from huiqi.corpus.library import Clause, Index, library_index, squash
from huiqi.rules import lang
from huiqi.rules.facts import FactRegistry
from huiqi.rules.model import Amount, Condition, FactSpec, Group, Measure, PackFile, Source

DEFAULT_PACK = "tianjin"
ROOT_LABEL = "全部条件"  # the implicit group holding a measure's listed conditions
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ten times faster on a large pack


class PackError(ValueError):
    """A pack that cannot be loaded; the message names the file, the measure and the problem."""


# ---------------------------------------------------------------- compiled forms


@dataclass(frozen=True)
class CompiledCondition:
    label: str
    op: str  # when | all | any
    node: lang.Node | None
    parts: tuple[CompiledCondition, ...]
    gap: tuple[str, lang.Node] | None
    expr: lang.Node  # the whole tree as one expression (all → and, any → or), evaluated in one call


@dataclass(frozen=True)
class CompiledTier:
    label: str
    when: lang.Node
    amount: CompiledAmount


@dataclass(frozen=True)
class CompiledAmount:
    spec: Amount
    nodes: dict[str, lang.Node]  # formula/base/rate/count/cap/floor/up_to parsed
    tiers: tuple[CompiledTier, ...]


@dataclass(frozen=True)
class Citation:
    doc_id: str
    doc_number: str | None
    doc_title: str
    label: str
    quote: str
    clause_id: str

    def as_dict(self) -> dict[str, str | None]:
        """The citation as every JSON output gives it."""
        return {"doc_id": self.doc_id, "doc_number": self.doc_number, "doc_title": self.doc_title, "label": self.label, "quote": self.quote, "provision_id": self.clause_id}


@dataclass
class CompiledMeasure:
    spec: Measure
    file: str
    citations: list[Citation]
    lets: list[tuple[str, str, lang.Node]]  # (name, label, node) in order
    conditions: CompiledCondition
    amount: CompiledAmount | None
    valid_from: date | None
    valid_until: date | None
    superseded_from: date | None = None  # set when a later measure amends this one
    superseded_by: str | None = None
    groups: list[Group] = field(default_factory=list)
    id: str = field(init=False)
    derived: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # consumers' caches: closures per year, fixed JSON


    def __post_init__(self) -> None:
        self.id = self.spec.id  # read for every result (sorting, limits): a plain attribute


@dataclass
class Pack:
    name: str
    registry: FactRegistry
    measures: dict[str, CompiledMeasure]
    groups: dict[str, Group]
    files: dict[str, PackFile]
    _by_subject: dict[str, list[CompiledMeasure]] = field(default_factory=dict, repr=False)

    def for_subject(self, subject: str) -> list[CompiledMeasure]:
        if subject not in self._by_subject:
            self._by_subject[subject] = [m for m in self.measures.values() if m.spec.beneficiary == subject]
        return self._by_subject[subject]


# ---------------------------------------------------------------- loading


def pack_dir(name: str) -> Path:
    """A shipped pack by name (tianjin), or any folder of pack files by path."""
    if Path(name).is_dir():
        return Path(name)
    return Path(str(resources.files("huiqi.packs").joinpath(name)))


def core_facts_file() -> Path:
    return Path(str(resources.files("huiqi.packs").joinpath("facts.yaml")))


def load_pack(name: str | None = None) -> Pack:
    """The pack in use: `name`, else HUIQI_PACK (a pack name or a folder), else the Tianjin pack."""
    return _load_pack(name or os.environ.get("HUIQI_PACK") or DEFAULT_PACK)


@cache
def _load_pack(name: str) -> Pack:
    return build_pack(name, sorted(pack_dir(name).glob("*.yaml")), library_index())


def build_pack(name: str, paths: Iterable[Path], index: Index) -> Pack:
    files = {path.name: _read_pack_file(path) for path in paths}
    core = _read_yaml(core_facts_file())
    core_specs = [_validate(FactSpec, raw, core_facts_file().name, f"facts[{i}]") for i, raw in enumerate(core.get("facts", []))]
    registry = FactRegistry([*core_specs, *(spec for f in files.values() for spec in f.facts)])

    measures: dict[str, CompiledMeasure] = {}
    groups: dict[str, Group] = {}
    for file_name, pack_file in files.items():
        for measure in pack_file.measures:
            if measure.id in measures:
                raise PackError(f"{file_name}：措施编号 {measure.id} 与 {measures[measure.id].file} 重复")
            measures[measure.id] = _compile_measure(measure, file_name, registry, index)
        for group in pack_file.groups:
            if group.id in groups:
                raise PackError(f"{file_name}：限额组 {group.id} 重复")
            _verify_source(group.source, index, file_name, f"限额组 {group.id}")
            groups[group.id] = group
    _link_groups(groups, measures)
    _link_amendments(measures)
    return Pack(name, registry, measures, groups, files)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        raise PackError(f"{path.name}：YAML 格式错误：{exc}") from None
    if not isinstance(data, dict):
        raise PackError(f"{path.name}：文件顶层应为映射")
    return data


def _validate(model: type, raw: Any, file_name: str, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except (ValidationError, lang.RuleSyntaxError) as exc:
        raise PackError(f"{file_name} {where}：{_first_error(exc)}") from None


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)


def _read_pack_file(path: Path) -> PackFile:
    raw = _read_yaml(path)
    measures = raw.get("measures") or []
    # validate measure by measure so the error names the measure
    for i, measure in enumerate(measures):
        _validate(Measure, measure, path.name, f"measures[{i}] ({measure.get('id', '?') if isinstance(measure, dict) else '?'})")
    return _validate(PackFile, raw, path.name, "")


# ---------------------------------------------------------------- compiling one measure


def _compile_measure(measure: Measure, file_name: str, registry: FactRegistry, index: Index) -> CompiledMeasure:
    where = f"{file_name} 措施 {measure.id}"
    citations = [_verify_source(source, index, file_name, f"措施 {measure.id}") for source in measure.sources]
    lets: list[tuple[str, str, lang.Node]] = []
    known_names = set(registry.specs)
    for name, item in measure.let.items():
        if name in registry:
            raise PackError(f"{where}：中间量 {name} 与事实同名")
        node = lang.parse(item.expr)
        _check_facts(node, known_names, registry, where)
        lets.append((name, item.label, node))
        known_names.add(name)
    conditions = _compile_condition(Condition(label=ROOT_LABEL, all=list(measure.conditions)), known_names, registry, where)
    amount = _compile_amount(measure.amount, known_names, registry, where) if measure.amount else None
    doc = index.document(measure.sources[0].doc)  # a measure lives as long as the document that grants it
    start = measure.validity.start if measure.validity and measure.validity.start else None
    if start is None:  # an amending measure starts when the amendment does, else with its document
        start = measure.amends.start if measure.amends else (doc.effective_from if doc else None)
    until = measure.validity.until if measure.validity and measure.validity.until else (doc.effective_until if doc else None)
    return CompiledMeasure(measure, file_name, citations, lets, conditions, amount, start, until)


def _check_facts(node: lang.Node, known: set[str], registry: FactRegistry, where: str) -> None:
    for fact in lang.facts_in(node):
        if fact.name not in known:
            raise PackError(f"{where}：表达式使用了未定义的事实 {fact.name}（请在 facts.yaml 或本文件 facts: 中定义）")
        spec = registry.specs.get(fact.name)
        if spec is not None and spec.yearly != (fact.year_offset is not None):
            form = f"{fact.name}[-1]" if spec.yearly else fact.name
            raise PackError(f"{where}：事实 {fact.name} {'按年份取值' if spec.yearly else '不按年份取值'}，应写作 {form}")


def _compile_condition(cond: Condition, known: set[str], registry: FactRegistry, where: str) -> CompiledCondition:
    gap = None
    if cond.gap is not None:
        gap_node = lang.parse(cond.gap.expr)
        _check_facts(gap_node, known, registry, where)
        gap = (cond.gap.label, gap_node)
    if cond.when is not None:
        node = lang.parse(cond.when)
        _check_facts(node, known, registry, where)
        return CompiledCondition(cond.label, "when", node, (), gap, node)
    op = "all" if cond.all is not None else "any"
    parts = tuple(_compile_condition(c, known, registry, where) for c in (cond.all if cond.all is not None else cond.any) or [])
    expr = lang.BoolOp("and" if op == "all" else "or", tuple(part.expr for part in parts))
    return CompiledCondition(cond.label, op, None, parts, gap, expr)


_AMOUNT_EXPRESSIONS = ("formula", "base", "rate", "count", "cap", "floor", "up_to")


def _compile_amount(amount: Amount, known: set[str], registry: FactRegistry, where: str) -> CompiledAmount:
    nodes: dict[str, lang.Node] = {}
    for key in _AMOUNT_EXPRESSIONS:
        value = getattr(amount, key)
        if value is not None:
            nodes[key] = lang.parse(value)
            _check_facts(nodes[key], known, registry, where)
    tiers = []
    for tier in amount.tiers or []:
        when = lang.parse(tier.when)
        _check_facts(when, known, registry, where)
        tiers.append(CompiledTier(tier.label, when, _compile_amount(tier.amount, known, registry, where)))
    return CompiledAmount(amount, nodes, tuple(tiers))


# ---------------------------------------------------------------- quotes, groups, amendments


def _verify_source(source: Source, index: Index, file_name: str, what: str) -> Citation:
    clause: Clause | None = index.clause(source.doc, source.label)
    if clause is None:
        raise PackError(f"{file_name} {what}：在文件 {source.doc} 中找不到条款“{source.label}”")
    if squash(source.quote) not in squash(clause.text):
        raise PackError(f"{file_name} {what}：引文未在 {source.doc} {source.label} 的原文中找到：“{source.quote[:60]}”")
    return Citation(clause.doc_id, clause.doc_number, clause.doc_title, clause.label, source.quote, clause.id)


def _link_groups(groups: dict[str, Group], measures: dict[str, CompiledMeasure]) -> None:
    for group in groups.values():
        for member in group.members:
            if member not in measures:
                raise PackError(f"限额组 {group.id} 引用了不存在的措施 {member}")
            measures[member].groups.append(group)


def _link_amendments(measures: dict[str, CompiledMeasure]) -> None:
    for measure in measures.values():
        amends = measure.spec.amends
        if amends is None:
            continue
        target = measures.get(amends.measure)
        if target is None:
            raise PackError(f"措施 {measure.id} 声明调整了不存在的措施 {amends.measure}")
        target.superseded_from = amends.start
        target.superseded_by = measure.id
        # the amending measure cites the clause it changes as well as its own
        measure.citations.extend(c for c in target.citations if c not in measure.citations)
