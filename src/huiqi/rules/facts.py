"""Subjects and their facts: the typed profile a user gives, validated, and flattened for the rules.

A profile is JSON:

    {"subject": "enterprise", "name": "某公司",
     "facts":  {"registered_in_tianjin": true, "employees": 120},
     "yearly": {"revenue": {"2024": 50000000, "2025": 62000000}}}

Every fact is optional (unknown facts are allowed: rules then answer "unknown" and say which fact
is missing). The pydantic model is generated from the fact registry so the JSON Schema documents
every fact with its unit and meaning. Rules read the flattened form: `employees`, `revenue_2025`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from huiqi.rules.model import FactSpec

YEAR_RANGE = (1990, 2100)
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2100, 12, 31)

_PYTHON_TYPES: dict[str, Any] = {
    "money": float,
    "number": float,
    "integer": int,
    "ratio": float,
    "bool": bool,
    "date": date,
    "text": str,
}


class ProfileError(ValueError):
    """A profile that does not validate; `problems` are (field path, Chinese message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(f"{path}：{message}" for path, message in problems))


class FactRegistry:
    def __init__(self, specs: Iterable[FactSpec]):
        self.specs: dict[str, FactSpec] = {}
        self._column_labels: dict[str, str] = {}  # flat fact name -> label, filled as names are met
        for spec in specs:
            known = self.specs.get(spec.name)
            if known is not None and known != spec:
                raise ValueError(f"事实 {spec.name} 被重复定义且定义不一致：{known.label} / {spec.label}")
            self.specs[spec.name] = spec

    def __contains__(self, name: str) -> bool:
        return name in self.specs

    def label(self, name: str) -> str:
        spec = self.specs.get(name)
        return spec.label if spec else name

    @cached_property
    def labels(self) -> dict[str, str]:
        return {name: spec.label for name, spec in self.specs.items()}

    def column_label(self, column: str) -> str:
        """The Chinese label of a flat fact name: revenue_2025 → 营业收入（2025年）; unknown names as given."""
        label = self._column_labels.get(column)
        if label is None:
            label = self._column_labels[column] = self._label_of_column(column)
        return label

    def _label_of_column(self, column: str) -> str:
        if column in self.specs:
            return self.specs[column].label
        base, _, year = column.rpartition("_")
        if year.isdigit() and base in self.specs and self.specs[base].yearly:
            return f"{self.specs[base].label}（{year}年）"
        return column

    @cached_property
    def profile_model(self) -> type[BaseModel]:
        """The pydantic model of a profile, generated from the registry."""
        scalar_fields: dict[str, Any] = {}
        yearly_fields: dict[str, Any] = {}
        for spec in self.specs.values():
            annotation, constraints = _field_type(spec)
            description = _describe(spec)
            if spec.yearly:
                yearly_fields[spec.name] = (
                    dict[int, annotation] | None,  # type: ignore[valid-type]
                    Field(default=None, description=description, title=spec.label),
                )
            else:
                scalar_fields[spec.name] = (
                    annotation | None,  # type: ignore[operator]
                    Field(default=None, description=description, title=spec.label, **constraints),
                )
        strict = ConfigDict(extra="forbid")
        facts = create_model("Facts", __config__=strict, **scalar_fields)
        yearly = create_model("YearlyFacts", __config__=strict, **yearly_fields)
        return create_model(
            "Profile",
            __config__=strict,
            subject=(Literal["enterprise", "person", "institution"], Field(description="主体类型：enterprise 企业，person 个人，institution 机构")),
            name=(str | None, Field(default=None, description="名称（可选，仅用于显示）")),
            facts=(facts, Field(default_factory=facts, description="单值事实")),
            yearly=(yearly, Field(default_factory=yearly, description="按年份的事实：{事实名: {年份: 数值}}")),
            received=(list[str], Field(default_factory=list, description="已享受过的措施编号（用于“同一主体只能享受一次”）")),
        )

    def json_schema(self) -> dict[str, Any]:
        return self.profile_model.model_json_schema()

    def validate(self, data: Any) -> Profile:
        """Validate a profile; errors name the field and the problem, in Chinese."""
        if not isinstance(data, dict):
            raise ProfileError([("(根)", "档案必须是 JSON 对象")])
        try:
            model = self.profile_model.model_validate(data)
        except ValidationError as exc:
            raise ProfileError([(_path(e["loc"]), _message(e)) for e in exc.errors()]) from None
        problems = self._check_ranges(model)
        if problems:
            raise ProfileError(problems)
        return Profile(model.subject, model.name, self._flatten(model), frozenset(model.received))

    def _check_ranges(self, model: BaseModel) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        for name, by_year in model.yearly.model_dump(exclude_none=True).items():
            spec = self.specs[name]
            for year, value in by_year.items():
                path = f"yearly.{name}.{year}"
                if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
                    problems.append((path, f"年份 {year} 不在 {YEAR_RANGE[0]}–{YEAR_RANGE[1]} 之间"))
                if value is not None and value < 0 and not spec.signed:
                    problems.append((path, f"{spec.label}不能为负数（{value}）"))
        for name, value in model.facts.model_dump(exclude_none=True).items():
            if isinstance(value, date) and not FIRST_DATE <= value <= LAST_DATE:
                problems.append((f"facts.{name}", f"日期 {value} 不合理"))
        return problems

    @staticmethod
    def _flatten(model: BaseModel) -> dict[str, Any]:
        env: dict[str, Any] = dict(model.facts.model_dump(exclude_none=True))
        for name, by_year in model.yearly.model_dump(exclude_none=True).items():
            for year, value in by_year.items():
                if value is not None:
                    env[f"{name}_{year}"] = value
        return env


class Profile:
    """A validated subject: its kind, display name and flat facts."""

    __slots__ = ("subject", "name", "facts", "received")

    def __init__(self, subject: str, name: str | None, facts: dict[str, Any], received: frozenset[str] = frozenset()):
        self.subject = subject
        self.name = name
        self.facts = facts
        self.received = received


def _field_type(spec: FactSpec) -> tuple[Any, dict[str, Any]]:
    if spec.type == "enum":
        return Literal[tuple(spec.values or ())], {}  # type: ignore[misc]
    constraints: dict[str, Any] = {}
    if spec.type in ("money", "number", "integer", "ratio") and not spec.signed:
        constraints["ge"] = 0
    return _PYTHON_TYPES[spec.type], constraints


def _describe(spec: FactSpec) -> str:
    parts = [spec.label]
    if spec.unit:
        parts.append(f"单位：{spec.unit}")
    if spec.yearly:
        parts.append("按年份填写")
    if spec.description:
        parts.append(spec.description)
    return "；".join(parts)


def _path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(根)"


_MESSAGES = {
    "extra_forbidden": "未知字段",
    "missing": "缺少必填字段",
    "bool_parsing": "应为布尔值（true/false）",
    "bool_type": "应为布尔值（true/false）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数值",
    "float_type": "应为数值",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "不能为负数",
    "string_type": "应为文本",
    "dict_type": "应为对象",
    "model_type": "应为对象",
}


def _message(error: dict[str, Any]) -> str:
    base = _MESSAGES.get(error["type"], error["msg"])
    if error["type"] == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{base}：{expected}"
    if error["type"].startswith("date") and "ctx" in error:
        return f"{base}（{error['input']!r} 无效）"
    if "input" in error and error["type"] not in ("extra_forbidden", "missing"):
        return f"{base}（收到 {error['input']!r}）"
    return base
