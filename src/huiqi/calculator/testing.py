"""Running every measure's hand-computed test cases (like `openfisca test`)."""

from __future__ import annotations

from dataclasses import dataclass

from huiqi.calculator.evaluate import Evaluator
from huiqi.rules.facts import ProfileError
from huiqi.rules.model import TestCase
from huiqi.rules.pack import CompiledMeasure, Pack

TOLERANCE = 0.01  # yuan


@dataclass
class CaseOutcome:
    measure_id: str
    case: str
    file: str
    passed: bool
    problems: list[str]


def run_pack_tests(pack: Pack, measure_ids: list[str] | None = None) -> list[CaseOutcome]:
    evaluator = Evaluator(pack.registry)
    outcomes = []
    for measure in pack.measures.values():
        if measure_ids and measure.id not in measure_ids:
            continue
        for case in measure.spec.tests:
            problems = check_case(evaluator, pack, measure, case)
            outcomes.append(CaseOutcome(measure.id, case.name, measure.file, not problems, problems))
    return outcomes


def check_case(evaluator: Evaluator, pack: Pack, measure: CompiledMeasure, case: TestCase) -> list[str]:
    data = {"subject": measure.spec.beneficiary, **case.profile}
    try:
        profile = pack.registry.validate(data)
    except ProfileError as exc:
        return [f"测试档案无效：{exc}"]
    result = evaluator.evaluate(measure, profile, case.as_of)
    expect = case.expect
    problems = []
    if result.status != expect.status:
        problems.append(f"状态应为 {expect.status}，实际为 {result.status}（缺少：{result.missing}）")
    amount = result.amount
    for field, actual in (
        ("amount", amount.exact if amount else None),
        ("amount_min", amount.low if amount else None),
        ("amount_max", amount.high if amount else None),
    ):
        wanted = getattr(expect, field)
        if wanted is not None and (actual is None or abs(actual - wanted) > TOLERANCE):
            problems.append(f"{field} 应为 {wanted}，实际为 {actual}")
    if expect.missing is not None and sorted(expect.missing) != sorted(result.missing):
        problems.append(f"缺少的事实应为 {sorted(expect.missing)}，实际为 {sorted(result.missing)}")
    for name, wanted in (expect.values or {}).items():
        actual = result.values.get(name, "（无此中间量）")
        if not _same(actual, wanted):
            problems.append(f"中间量 {name} 应为 {wanted}，实际为 {actual}")
    return problems


def _same(actual: object, wanted: object) -> bool:
    if isinstance(actual, int | float) and isinstance(wanted, int | float) and not isinstance(actual, bool):
        return abs(actual - wanted) <= TOLERANCE
    return actual == wanted
