"""Evaluating one measure for one subject on one date: status, amount, trace, missing facts, near misses.

Statuses: eligible / ineligible / unknown (a needed fact is missing: `missing` says which) /
expired / not_yet_in_force. Conditions use Kleene three-valued logic, so a blank field never turns
into a false "not eligible": it becomes "unknown" with the fact to provide.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from huiqi.rules import lang
from huiqi.rules.facts import FactRegistry, Profile
from huiqi.rules.model import PER_WORDS
from huiqi.rules.pack import ROOT_LABEL, CompiledAmount, CompiledCondition, CompiledMeasure

ELIGIBLE, INELIGIBLE, UNKNOWN, EXPIRED, NOT_YET = "eligible", "ineligible", "unknown", "expired", "not_yet_in_force"
VALIDITY_UNSTATED = "所依据文件未载明施行日期和有效期，请向主管部门确认是否仍在执行"
STATUS_WORDS = {ELIGIBLE: "符合", INELIGIBLE: "不符合", UNKNOWN: "待补充信息", EXPIRED: "已失效", NOT_YET: "尚未施行"}


class Step:
    """One line of an explanation: a condition with its value, an intermediate value, or an arithmetic step.

    The detail text (facts and their values) is written only when someone reads it: a match over the
    whole pack evaluates hundreds of conditions whose explanations nobody may open.
    """

    __slots__ = ("kind", "label", "value", "_detail")

    def __init__(self, kind: str, label: str, value: Any = None, detail: str | Callable[[], str] = ""):
        self.kind = kind  # condition | value | amount | validity | limit
        self.label = label
        self.value = value
        self._detail = detail

    @property
    def detail(self) -> str:
        if callable(self._detail):
            self._detail = self._detail()
        return self._detail

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "value": _jsonable(self.value), "detail": self.detail}


@dataclass
class AmountOutcome:
    exact: float | None = None
    low: float | None = None
    high: float | None = None
    steps: list[Step] = field(default_factory=list)
    unknown: list[lang.Node] = field(default_factory=list)  # expressions that could not be computed


@dataclass(slots=True)
class MeasureResult:
    measure: CompiledMeasure
    status: str
    amount: AmountOutcome | None
    explain: Callable[[], list[Step]]  # builds the trace; called only when someone reads it
    missing: list[str]  # flat fact names, e.g. revenue_2025
    near_misses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counted: bool = True  # False when a limit (exclusive group) dropped it from the total
    values: dict[str, Any] = field(default_factory=dict)  # intermediate values (let) by name
    _trace: list[Step] | None = field(default=None, repr=False)

    @property
    def trace(self) -> list[Step]:
        if self._trace is None:
            self._trace = self.explain()
        return self._trace

    @property
    def id(self) -> str:
        return self.measure.id

    def best_amount(self) -> float:
        """The amount used to compare alternatives: the exact figure, or the top of the range."""
        if self.amount is None:
            return 0.0
        return self.amount.exact if self.amount.exact is not None else (self.amount.high or 0.0)


class Evaluator:
    """Evaluates measures of a pack for profiles; holds only the fact registry (labels)."""

    def __init__(self, registry: FactRegistry):
        self.registry = registry

    # ------------------------------------------------------------ one measure

    def evaluate(self, measure: CompiledMeasure, profile: Profile, as_of: date) -> MeasureResult:
        validity_status, validity_note = self._validity(measure, as_of)
        if validity_status is not None:  # out of force on that date: nothing to compute or to ask for
            steps = [Step("validity", validity_note)]
            return MeasureResult(measure, validity_status, None, lambda: steps, [], notes=[validity_note])
        program = _program(measure, as_of.year)
        env: dict[str, Any] = profile.facts
        lets: dict[str, lang.Node] = {}
        labels: Mapping[str, str] = self.registry.labels
        if measure.lets:
            env = dict(env)  # intermediate values are added to a copy: the profile's facts stay as given
            for (name, _, node), value_of in zip(measure.lets, program.lets):
                env[name] = value_of(env, as_of)
                lets[name] = node
            labels = ChainMap({name: label for name, label, _ in measure.lets}, labels)

        verdict, unknown_nodes = program.judge(env, as_of)
        status = ELIGIBLE if verdict else (UNKNOWN if verdict is None else INELIGIBLE)
        notes: list[str] = []
        if measure.spec.once_per_subject and status != INELIGIBLE and self._received(measure, profile):
            status = INELIGIBLE
            notes.append("已享受过该措施（同一主体只能享受一次）")

        amount = None
        if measure.amount is not None and status != INELIGIBLE:
            amount = self._amount(measure.amount, env, as_of, lets, labels)
            unknown_nodes.extend(amount.unknown)
        missing = self._missing(unknown_nodes, env, as_of, lets) if unknown_nodes else []

        near = self._near_misses(measure.conditions, env, as_of) if status == INELIGIBLE and not notes else []
        if status != INELIGIBLE and measure.valid_from is None and measure.valid_until is None:
            notes.append(VALIDITY_UNSTATED)
        values = {name: env[name] for name in lets}
        explain = partial(self._explain, measure, env, as_of, labels, amount)
        return MeasureResult(measure, status, amount, explain, missing, near, notes, values=values)

    @staticmethod
    def _received(measure: CompiledMeasure, profile: Profile) -> bool:
        """Already received: this measure, or the one it amends (an amendment is the same benefit)."""
        amended = measure.spec.amends.measure if measure.spec.amends else None
        return measure.id in profile.received or amended in profile.received

    def _explain(self, measure: CompiledMeasure, env: dict[str, Any], as_of: date, labels: Mapping[str, str], amount: AmountOutcome | None) -> list[Step]:
        """The trace: each intermediate value, each condition with its value and facts, each arithmetic step."""
        trace = [Step("value", label, env[name], partial(self._describe_facts, node, env, as_of, labels)) for name, label, node in measure.lets]
        trace.extend(self._condition_steps(measure.conditions, env, as_of, labels))
        if amount is not None:
            trace.extend(amount.steps)
        return trace

    @staticmethod
    def _validity(measure: CompiledMeasure, as_of: date) -> tuple[str | None, str]:
        if measure.valid_from and as_of < measure.valid_from:
            return NOT_YET, f"自 {measure.valid_from.isoformat()} 起施行，评估日 {as_of.isoformat()} 尚未施行"
        if measure.valid_until and as_of > measure.valid_until:
            return EXPIRED, f"有效期至 {measure.valid_until.isoformat()}，评估日 {as_of.isoformat()} 已失效"
        if measure.superseded_from and as_of >= measure.superseded_from:
            return EXPIRED, f"自 {measure.superseded_from.isoformat()} 起已被措施 {measure.superseded_by} 调整，按新规定执行"
        return None, ""

    # ------------------------------------------------------------ conditions

    def _value(self, cond: CompiledCondition, env: dict[str, Any], as_of: date) -> bool | None:
        """The three-valued value of a condition tree, evaluated as one compiled expression."""
        value = lang.evaluate(cond.expr, env, as_of)
        return None if value is None else bool(value)

    def _condition_steps(self, cond: CompiledCondition, env: dict[str, Any], as_of: date, labels: Mapping[str, str]) -> list[Step]:
        value = self._value(cond, env, as_of)
        if cond.op == "when":
            return [Step("condition", cond.label, value, partial(self._describe_facts, cond.node, env, as_of, labels))]
        steps = [] if cond.label == ROOT_LABEL else [Step("condition", cond.label, value, "全部满足" if cond.op == "all" else "满足其一即可")]
        for part in cond.parts:
            steps.extend(self._condition_steps(part, env, as_of, labels))
        return steps

    def _near_misses(self, cond: CompiledCondition, env: dict[str, Any], as_of: date) -> list[str]:
        """What would qualify, when only one or two conditions fail."""
        failing = [c for c in _leaves(cond) if c.node is not None and lang.evaluate(c.node, env, as_of) is False]
        if not failing or len(failing) > 2:
            return []
        hints = []
        for c in failing:
            if c.gap is not None:
                gap_value = lang.evaluate(c.gap[1], env, as_of)
                if isinstance(gap_value, int | float) and gap_value > 0:
                    hints.append(f"{c.label}：{c.gap[0]} {format_yuan(gap_value)}")
                    continue
            hints.append(self._comparison_hint(c, env, as_of) or f"未满足：{c.label}")
        return hints

    def _comparison_hint(self, cond: CompiledCondition, env: dict[str, Any], as_of: date) -> str | None:
        node = cond.node
        if not isinstance(node, lang.Compare) or node.op not in ("<", "<=", ">", ">="):
            return None
        left, right = lang.evaluate(node.left, env, as_of), lang.evaluate(node.right, env, as_of)
        if not all(isinstance(v, int | float) for v in (left, right)):
            return None
        symbol = {"<": "<", "<=": "≤", ">": ">", ">=": "≥"}[node.op]
        return f"{cond.label}：当前为 {format_number(left)}，需要 {symbol} {format_number(right)}"

    # ------------------------------------------------------------ amounts

    def _amount(self, amount: CompiledAmount, env: dict[str, Any], as_of: date, lets: dict[str, lang.Node], labels: Mapping[str, str]) -> AmountOutcome:
        spec, nodes = amount.spec, amount.nodes
        out = AmountOutcome()

        def value(key: str) -> Any:
            result = lang.evaluate(nodes[key], env, as_of)
            if result is None:
                out.unknown.append(nodes[key])
            return result

        if spec.fixed is not None:
            out.exact = spec.fixed
            out.steps.append(Step("amount", "定额", spec.fixed, partial(format_yuan, spec.fixed)))
        elif spec.formula is not None:
            out.exact = value("formula")
            exact = out.exact
            out.steps.append(Step("amount", "计算", exact, lambda: f"{lang.render(nodes['formula'], labels)} = {format_yuan(exact)}"))
        elif spec.base is not None:
            base, rate = value("base"), value("rate")
            out.exact = base * rate if base is not None and rate is not None else None
            exact = out.exact
            out.steps.append(Step("amount", "按比例计算", exact, lambda: f"{format_yuan(base)} × {format_rate(rate)} = {format_yuan(exact)}"))
        elif spec.per_unit is not None:
            count = value("count")
            out.exact = spec.per_unit * count if count is not None else None
            exact = out.exact
            out.steps.append(Step("amount", "按标准计算", exact, lambda: f"{format_yuan(spec.per_unit)} × {format_number(count)} = {format_yuan(exact)}"))
        elif spec.range is not None:
            out.low, out.high = spec.range
            low, high = spec.range
            out.steps.append(Step("amount", "金额区间", None, lambda: f"{format_yuan(low)} 至 {format_yuan(high)}"))
        elif spec.up_to is not None:
            out.low, out.high = 0.0, value("up_to")
            high = out.high
            out.steps.append(Step("amount", "最高额度", high, lambda: f"最高 {format_yuan(high)}，具体金额由主管部门确定"))
        else:
            self._tiers(amount, env, as_of, lets, labels, out)
        self._bound(amount, env, as_of, out, value)
        if spec.discretionary:
            if out.exact is not None:
                out.low, out.high, out.exact = 0.0, out.exact, None
            out.steps.append(Step("amount", "酌定", None, f"{spec.discretionary}：结果为区间，不是确定金额"))
        if out.exact is not None:
            out.low = out.high = out.exact
        out.exact, out.low, out.high = (_fen(v) for v in (out.exact, out.low, out.high))
        return out

    def _tiers(self, amount: CompiledAmount, env: dict[str, Any], as_of: date, lets: dict[str, lang.Node], labels: Mapping[str, str], out: AmountOutcome) -> None:
        chosen: list[tuple[str, AmountOutcome]] = []
        for tier in amount.tiers:
            applies = lang.evaluate(tier.when, env, as_of)
            if applies is None:
                out.unknown.append(tier.when)
                if amount.spec.pick == "first":
                    break
                continue
            if applies:
                chosen.append((tier.label, self._amount(tier.amount, env, as_of, lets, labels)))
                if amount.spec.pick == "first":
                    break
        if out.unknown or not chosen:
            out.steps.append(Step("amount", "档次", None, "无法确定适用档次" if out.unknown else "不符合任何档次"))
            if not out.unknown:
                out.exact = 0.0
            return
        label, best = max(chosen, key=lambda item: item[1].exact if item[1].exact is not None else (item[1].high or 0))
        verb = "适用档次" if amount.spec.pick == "first" else "取最高档"
        out.steps.append(Step("amount", verb, None, label))
        out.steps.extend(best.steps)
        out.unknown.extend(best.unknown)
        out.exact, out.low, out.high = best.exact, best.low, best.high

    def _bound(self, amount: CompiledAmount, env: dict[str, Any], as_of: date, out: AmountOutcome, value) -> None:
        for key, pick, word in (("cap", min, "最高"), ("floor", max, "最低")):
            if key not in amount.nodes:
                continue
            bound = value(key)
            if bound is None:
                out.exact = out.low = out.high = None
                continue
            for attr in ("exact", "low", "high"):
                current = getattr(out, attr)
                if current is not None:
                    setattr(out, attr, pick(current, bound))
            shown = out.exact if out.exact is not None else out.high
            out.steps.append(Step("amount", f"{word}限额", bound, partial(_bound_text, word, bound, shown)))

    # ------------------------------------------------------------ facts: missing and shown

    def _missing(self, nodes: list[lang.Node], env: dict[str, Any], as_of: date, lets: dict[str, lang.Node]) -> list[str]:
        missing: list[str] = []
        for node in nodes:
            for column in _unknown_columns(node, env, as_of.year, lets):
                if column not in missing:
                    missing.append(column)
        return missing

    def _describe_facts(self, node: lang.Node, env: dict[str, Any], as_of: date, labels: Mapping[str, str]) -> str:
        parts = []
        for fact in lang.facts_in(node):
            column = fact.column(as_of.year)
            label = self.column_label(column) if fact.name in self.registry else labels.get(fact.name, fact.name)
            parts.append(f"{label} = {format_value(env.get(column), self.registry.specs.get(fact.name))}")
        return "；".join(parts)

    def column_label(self, column: str) -> str:
        """The Chinese label of a flat fact name: revenue_2025 → 营业收入（2025年）."""
        return self.registry.column_label(column)


Judge = Callable[[Mapping[str, Any], date], tuple[bool | None, list[lang.Node]]]


@dataclass(frozen=True)
class _Program:
    """A measure's closures for one evaluation year, fetched once per evaluation instead of once per node."""

    lets: tuple[lang.Compiled, ...]
    judge: Judge  # the conditions' three-valued verdict and, when unknown, the atoms that could settle it


def _program(measure: CompiledMeasure, year: int) -> _Program:
    program = measure.derived.get(("program", year))
    if program is None:
        lets = tuple(lang.compiled(node, year) for _, _, node in measure.lets)
        program = measure.derived["program", year] = _Program(lets, _judge(measure.conditions, year))
    return program


def _judge(cond: CompiledCondition, year: int) -> Judge:
    """The condition tree in one pass with Kleene logic: (value, unknown atoms under unknown groups).

    A false part settles `all` (a true one settles `any`) at once, and nothing is asked for: no fact
    could change that answer.
    """
    if cond.op == "when":
        value_of, atoms = lang.compiled(cond.node, year), [cond.node]  # type: ignore[arg-type, list-item]

        def atom(env: Mapping[str, Any], as_of: date) -> tuple[bool | None, list[lang.Node]]:
            value = value_of(env, as_of)
            return (None, list(atoms)) if value is None else (bool(value), [])

        return atom
    parts = tuple(_judge(part, year) for part in cond.parts)
    settles = cond.op == "any"  # the part value that decides the group on its own

    def group(env: Mapping[str, Any], as_of: date) -> tuple[bool | None, list[lang.Node]]:
        unknown: list[lang.Node] | None = None
        for part in parts:
            value, atoms = part(env, as_of)
            if value is None:
                unknown = atoms if unknown is None else unknown + atoms
            elif value is settles:
                return settles, []
        return (None, unknown) if unknown is not None else (not settles, [])

    return group


def _leaves(cond: CompiledCondition) -> list[CompiledCondition]:
    if cond.op == "when":
        return [cond]
    if cond.op == "any":
        return []  # alternatives: no single condition is "the" miss
    return [leaf for part in cond.parts for leaf in _leaves(part)]


def _unknown_columns(node: lang.Node, env: dict[str, Any], year: int, lets: dict[str, lang.Node]) -> list[str]:
    """Flat fact names under an unknown expression whose values are missing (following intermediate values)."""
    columns: list[str] = []
    for column in lang.columns(node, year):
        if env.get(column) is None:
            if column in lets:
                columns.extend(_unknown_columns(lets[column], env, year, lets))
            else:
                columns.append(column)
    return columns


# ---------------------------------------------------------------- formatting (Chinese, for people)


def _bound_text(word: str, bound: float, shown: float | None) -> str:
    return f"{word} {format_yuan(bound)}，结果 {format_yuan(shown)}"


def _fen(value: float | None) -> float | None:
    """Money is paid in fen: amounts are rounded to 0.01 yuan (half up, as a payment would be)."""
    if value is None:
        return None
    value = float(value)
    if value.is_integer():  # most amounts are whole yuan: nothing to round
        return value
    return float(Decimal(str(value)).quantize(_FEN, rounding=ROUND_HALF_UP))


_FEN = Decimal("0.01")


def format_yuan(value: Any) -> str:
    if value is None:
        return "未知"
    if abs(value) >= 10000 and value % 100 == 0:
        return f"¥{value:,.0f}（{value / 10000:g}万元）"
    return f"¥{value:,.2f}".replace(".00", "")


def format_rate(value: Any) -> str:
    if value is None:
        return "未知"
    return f"{value * 100:g}%"


def format_number(value: Any) -> str:
    if value is None:
        return "未知"
    if isinstance(value, float) and abs(value) < 1:
        return f"{value * 100:.2f}%"
    if isinstance(value, int | float):
        return f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def format_value(value: Any, spec: Any) -> str:
    if value is None:
        return "未提供"
    if isinstance(value, bool):
        return "是" if value else "否"
    if spec is not None and spec.type == "money":
        return format_yuan(value)
    if spec is not None and spec.type == "ratio":
        return format_rate(value)
    if spec is not None and spec.value_labels and value in spec.value_labels:
        return spec.value_labels[value]
    return format_number(value) if isinstance(value, int | float) else str(value)


def per_word(per: str | None) -> str:
    return PER_WORDS.get(per or "", "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value
