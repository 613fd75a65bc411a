"""The measure model: what a pack file says about one benefit, validated on load.

A pack file (YAML, one per source document) holds measures; each measure cites
its clause with an exact quote, states who may benefit, the conditions, the
amount structure, the limits and validity, and carries hand-computed test cases.
The expressions inside are parsed by `huiqi.rules.lang` when the pack loads.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from huiqi.rules import lang

Beneficiary = Literal["enterprise", "person", "institution"]
Kind = Literal["grant", "tax", "fee", "loan", "guarantee", "equity", "qualification", "service", "right"]
Per = Literal["one_off", "per_year", "per_person", "per_person_per_year", "per_item", "per_month", "whole_term"]

PER_WORDS: dict[str, str] = {
    "one_off": "一次性",
    "per_year": "每年",
    "per_person": "每人",
    "per_person_per_year": "每人每年",
    "per_item": "每项",
    "per_month": "每月",
    "whole_term": "整个期限合计",
}


def _parses(value: Any) -> Any:
    """A field holding an expression must parse in the rule language (the error says why not)."""
    lang.parse(value)
    return value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """Where the measure is written: a document (by 文号 or id) and a provision label, with an exact quote."""

    doc: str  # 文号 such as 津科规〔2021〕4号, or a library document id such as kjzc2020
    label: str  # provision label as printed: 第七条, 二、（一）1, or a compilation label 一-6
    quote: str  # must occur in that provision's text


class Expr(Strict):
    """A named intermediate value or a test, with its Chinese label for explanations."""

    label: str
    expr: Annotated[str | float | int | bool, AfterValidator(_parses)]


class Condition(Strict):
    """Either an atomic test (`when`) or a group of conditions (`all` / `any`), each with a label."""

    label: str
    when: str | bool | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    gap: Expr | None = None  # for near misses: how far from qualifying, e.g. 再增加研发费用

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        forms = [f for f in (self.when, self.all, self.any) if f is not None]
        if len(forms) != 1:
            raise ValueError(f"条件“{self.label}”必须且只能有 when / all / any 之一")
        if self.when is not None:
            lang.parse(self.when)
        return self


class Tier(Strict):
    """One row of a tiered amount: applies when `when` holds; the first matching tier is used."""

    label: str
    when: Annotated[str | bool, AfterValidator(_parses)]
    amount: Amount


class Amount(Strict):
    """How much: exactly one of fixed / formula / base×rate / per_unit×count / range / up_to / tiers.

    cap and floor bound a computed amount (最高 / 最低); `discretionary` marks amounts the text
    leaves to the department (择优, 视情况): the result is then reported as a range, never a figure.
    """

    per: Per | None = None
    fixed: float | None = None
    formula: str | None = None
    base: str | None = None
    rate: str | float | None = None
    per_unit: float | None = None
    count: str | None = None
    range: tuple[float, float] | None = None
    up_to: float | str | None = None
    tiers: list[Tier] | None = None
    pick: Literal["first", "max"] = "first"
    cap: float | str | None = None
    floor: float | str | None = None
    discretionary: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Amount:
        forms = {
            "fixed": self.fixed is not None,
            "formula": self.formula is not None,
            "base×rate": self.base is not None or self.rate is not None,
            "per_unit×count": self.per_unit is not None or self.count is not None,
            "range": self.range is not None,
            "up_to": self.up_to is not None,
            "tiers": self.tiers is not None,
        }
        chosen = [name for name, present in forms.items() if present]
        if len(chosen) != 1:
            raise ValueError(f"金额必须且只能用一种写法（fixed/formula/base+rate/per_unit+count/range/up_to/tiers），现为：{chosen}")
        if (self.base is None) != (self.rate is None):
            raise ValueError("base 与 rate 必须同时给出")
        if (self.per_unit is None) != (self.count is None):
            raise ValueError("per_unit 与 count 必须同时给出")
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"金额区间下限大于上限：{self.range}")
        for text in (self.formula, self.base, self.rate, self.count, self.cap, self.floor, self.up_to):
            if isinstance(text, str):
                lang.parse(text)
        return self


class Validity(Strict):
    start: date | None = Field(default=None, alias="from")
    until: date | None = None  # last day in force, inclusive

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Amends(Strict):
    """This measure replaces another from a date on (a later document raising a ratio, say)."""

    measure: str
    start: date = Field(alias="from")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Expect(Strict):
    status: Literal["eligible", "ineligible", "unknown", "expired", "not_yet_in_force"]
    amount: float | None = None
    amount_min: float | None = None
    amount_max: float | None = None
    missing: list[str] | None = None
    values: dict[str, Any] | None = None  # expected intermediate values (let) by name


class TestCase(Strict):
    name: str
    as_of: date
    profile: dict[str, Any] = Field(default_factory=dict)  # {facts: {...}, yearly: {...}}
    expect: Expect


class Measure(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str
    beneficiary: Beneficiary
    kind: Kind
    summary: str | None = None  # one plain sentence: what the beneficiary gets
    sources: list[Source] = Field(min_length=1)
    department: str | None = None
    window: str | None = None  # 常年受理, 每年2-3月, 以申报通知为准
    contact: str | None = None
    materials: list[str] = Field(default_factory=list)
    validity: Validity | None = None  # defaults to the document's validity
    amends: Amends | None = None
    let: dict[str, Expr] = Field(default_factory=dict)
    conditions: list[Condition] = Field(default_factory=list)
    amount: Amount | None = None  # None for non-monetary measures (a qualification, a right)
    benefit: str | None = None  # what a non-monetary measure gives, in plain words
    once_per_subject: bool = False
    tests: list[TestCase] = Field(min_length=1)


class Group(Strict):
    """A limit across measures: exclusive (不能同时享受: the best one is kept) or a combined cap."""

    id: str
    kind: Literal["exclusive", "combined_cap"]
    label: str
    members: list[str] = Field(min_length=2)
    cap: float | None = None
    per: Per | None = None
    source: Source

    @model_validator(mode="after")
    def _cap_matches_kind(self) -> Group:
        if (self.kind == "combined_cap") != (self.cap is not None):
            raise ValueError(f"限额组 {self.id}：combined_cap 必须给出 cap，exclusive 不能给出 cap")
        return self


class FactSpec(Strict):
    """One fact a profile may carry: its name in rules, Chinese label, type and unit."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["money", "number", "integer", "ratio", "bool", "date", "enum", "text"]
    subject: list[Beneficiary]
    yearly: bool = False
    unit: str | None = None
    values: list[str] | None = None  # for enum
    value_labels: dict[str, str] | None = None  # Chinese label of each enum value, for forms and traces
    signed: bool = False  # money/number that may be negative (profit, growth)
    description: str | None = None


class PackFile(Strict):
    """One YAML file of a pack: the measures encoded from one source document."""

    document: str  # 文号 or library id of the main source
    title: str
    facts: list[FactSpec] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    notes: str | None = None  # how ambiguous text was read


Condition.model_rebuild()
Tier.model_rebuild()
Amount.model_rebuild()
