"""The calculator over a small fixture pack whose clauses are real: statuses, amounts, traces, limits."""

from datetime import date
from pathlib import Path

import pytest

from huiqi.calculator.evaluate import Evaluator
from huiqi.calculator.match import match, report_json
from huiqi.calculator.testing import run_pack_tests
from huiqi.corpus.library import library_index
from huiqi.rules.facts import ProfileError
from huiqi.rules.pack import PackError, build_pack

FIXTURE = Path(__file__).parent / "fixtures" / "pack_demo.yaml"
AS_OF = date(2023, 6, 30)


@pytest.fixture(scope="module")
def pack():
    return build_pack("demo", [FIXTURE], library_index())


def profile(pack, facts=None, yearly=None, **extra):
    return pack.registry.validate({"subject": "enterprise", "facts": facts or {}, "yearly": yearly or {}, **extra})


def evaluate(pack, measure_id, prof, as_of=AS_OF):
    return Evaluator(pack.registry).evaluate(pack.measures[measure_id], prof, as_of)


def test_fixture_pack_cases_pass(pack):
    outcomes = run_pack_tests(pack)
    assert outcomes and all(o.passed for o in outcomes), [o.problems for o in outcomes if not o.passed]


def test_blank_fields_give_unknown_with_the_missing_facts_not_ineligible(pack):
    result = evaluate(pack, "demo.rd-base", profile(pack, {"registered_in_tianjin": True}))
    assert result.status == "unknown"
    assert result.missing == ["rd_expense_2022", "revenue_2022", "chuying", "tech_sme", "rd_expense_2021"]


def test_a_false_condition_beats_unknown_ones(pack):
    result = evaluate(pack, "demo.rd-base", profile(pack, {"registered_in_tianjin": False}))
    assert result.status == "ineligible"
    assert result.missing == []


def test_growth_clamps_at_fifty_percent_and_cap_applies(pack):
    yearly = {"rd_expense": {2021: 10_000_000, 2022: 20_000_000}, "revenue": {2022: 100_000_000}}
    result = evaluate(pack, "demo.rd-base", profile(pack, {"registered_in_tianjin": True, "chuying": True, "tech_sme": True}, yearly))
    # growth 100% clamped to 50%: 20,000,000 × 5% × 1.5 = 1,500,000
    assert result.amount.exact == pytest.approx(1_500_000)
    yearly = {"rd_expense": {2021: 100_000_000, 2022: 200_000_000}, "revenue": {2022: 1_000_000_000}}
    result = evaluate(pack, "demo.rd-base", profile(pack, {"registered_in_tianjin": True, "chuying": True, "tech_sme": True}, yearly))
    assert result.amount.exact == 5_000_000  # 15,000,000 capped at 500万
    assert any(step.label == "最高限额" for step in result.trace)


def test_near_miss_says_how_much_more_rd_is_needed(pack):
    yearly = {"rd_expense": {2021: 2_000_000, 2022: 2_500_000}, "revenue": {2022: 100_000_000}}
    result = evaluate(pack, "demo.rd-base", profile(pack, {"registered_in_tianjin": True, "chuying": False, "tech_sme": False}, yearly))
    assert result.status == "ineligible"
    assert result.near_misses == ["上年度研发投入强度不低于3%：需再增加研发费用 ¥500,000（50万元）"]


def test_trace_explains_each_condition_with_its_values(pack):
    yearly = {"rd_expense": {2021: 10_000_000, 2022: 12_000_000}, "revenue": {2022: 100_000_000}}
    result = evaluate(pack, "demo.rd-base", profile(pack, {"registered_in_tianjin": True, "chuying": True, "tech_sme": False}, yearly))
    labels = [(s.kind, s.label, s.value) for s in result.trace]
    assert ("value", "适用比例", 0.05) in labels
    assert ("condition", "上年度研发投入强度不低于3%", True) in labels
    detail = next(s.detail for s in result.trace if s.label == "上年度研发投入强度不低于3%")
    assert "研发费用（2022年） = ¥12,000,000" in detail


def test_discretionary_amounts_are_ranges_never_figures(pack):
    result = evaluate(pack, "demo.range", profile(pack, {"national_high_tech": True}))
    assert (result.amount.exact, result.amount.low, result.amount.high) == (None, 300_000, 500_000)
    result = evaluate(pack, "demo.upto", profile(pack, {"national_high_tech": True}))
    assert (result.amount.exact, result.amount.low, result.amount.high) == (None, 0, 1_000_000)


def test_tier_boundaries_follow_the_text(pack):
    at = evaluate(pack, "demo.tiers", profile(pack, {"demo_investment": 10_000_000}))
    below = evaluate(pack, "demo.tiers", profile(pack, {"demo_investment": 9_999_999}))
    assert at.amount.exact == 200_000
    assert below.amount.exact == pytest.approx(199_999.98)


def test_validity_and_amendment_by_date(pack):
    prof = profile(pack, {"registered_in_tianjin": True})
    assert evaluate(pack, "demo.valid-2022", prof, date(2022, 3, 1)).status == "eligible"
    old = evaluate(pack, "demo.valid-2022", prof, date(2022, 8, 1))
    assert old.status == "expired" and "demo.valid-2023" in old.notes[0]
    assert evaluate(pack, "demo.valid-2022", prof, date(2021, 12, 31)).status == "not_yet_in_force"
    new = pack.measures["demo.valid-2023"]
    assert {c.label for c in new.citations} == {"第七条（二）1.", "第七条（三）"}  # cites both clauses


def test_once_per_subject_uses_the_received_list(pack):
    result = evaluate(pack, "demo.range", profile(pack, {"national_high_tech": True}, received=["demo.range"]))
    assert result.status == "ineligible"
    assert "只能享受一次" in result.notes[0]


def test_exclusive_group_keeps_the_best_and_combined_cap_reduces_total(pack):
    prof = profile(
        pack,
        {"registered_in_tianjin": True, "demo_investment": 12_000_000, "chuying": True, "tech_sme": False},
        {"rd_expense": {2021: 10_000_000, 2022: 10_000_000}, "revenue": {2022: 100_000_000}},
    )
    report = match(pack, prof, AS_OF)
    by_id = {r.id: r for r in report.results}
    assert by_id["demo.tiers"].counted and not by_id["demo.valid-2023"].counted  # 200,000 beats 150,000
    # counted exact: rd-base 500,000 + tiers 200,000 = 700,000 > cap 500,000 → reduced by 200,000
    assert [a.reduction for a in report.adjustments] == [200_000]
    assert report.total == 500_000
    data = report_json(report, pack)
    assert data["total_yuan"] == 500_000
    first = data["results"][0]
    assert {"measure_id", "title", "status", "amount_yuan", "amount_min_yuan", "amount_max_yuan", "source", "department", "trace", "missing"} <= set(first)
    assert set(first["source"]) >= {"doc_number", "doc_title", "label", "quote"}


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        ({"subject": "enterprise", "facts": {"employees": -3}}, "facts.employees", "不能为负数"),
        ({"subject": "enterprise", "facts": {"employes": 3}}, "facts.employes", "未知字段"),
        ({"subject": "enterprise", "facts": {"established_on": "2023-02-30"}}, "facts.established_on", "应为日期"),
        ({"subject": "enterprise", "facts": {"registered_in_tianjin": "maybe"}}, "facts.registered_in_tianjin", "布尔"),
        ({"subject": "enterprise", "yearly": {"revenue": {"2022": -1}}}, "yearly.revenue.2022", "不能为负数"),
        ({"subject": "enterprise", "yearly": {"revenue": {"1800": 5}}}, "yearly.revenue.1800", "年份"),
        ({"subject": "robot"}, "subject", "取值"),
        ({"subject": "enterprise", "facts": {"industry": "mining"}}, "facts.industry", "取值"),
    ],
)
def test_bad_profiles_name_the_field_and_the_problem(pack, data, path, message):
    with pytest.raises(ProfileError) as info:
        pack.registry.validate(data)
    assert any(p == path and message in m for p, m in info.value.problems), info.value.problems


def _write(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
document: 津科规〔2021〕4号
title: t
measures:
  - id: bad.one
    title: t
    beneficiary: enterprise
    kind: grant
    sources: [{doc: 津科规〔2021〕4号, label: "{label}", quote: "{quote}"}]
    conditions: [{label: c, when: "{when}"}]
    amount: {per: one_off, fixed: 1}
    tests: [{name: t, as_of: 2023-01-01, expect: {status: unknown}}]
"""


@pytest.mark.parametrize(
    ("label", "quote", "when", "problem"),
    [
        ("第七条（三）", "单个企业获得的最终补助额最高不超过600万元", "registered_in_tianjin", "引文未在"),
        ("第九十九条", "任意", "registered_in_tianjin", "找不到条款"),
        ("第七条（三）", "最高不超过500万元", "no_such_fact > 1", "未定义的事实"),
        ("第七条（三）", "最高不超过500万元", "revenue > 1", "按年份取值"),
        ("第七条（三）", "最高不超过500万元", "__import__('os')", "不允许"),
    ],
)
def test_pack_loading_rejects_drift_and_bad_rules(tmp_path, label, quote, when, problem):
    path = _write(tmp_path, MINIMAL.replace("{label}", label).replace("{quote}", quote).replace("{when}", when))
    with pytest.raises(PackError, match=problem):
        build_pack("bad", [path], library_index())


def test_duplicate_measure_ids_are_rejected(tmp_path):
    text = MINIMAL.replace("{label}", "第七条（三）").replace("{quote}", "最高不超过500万元").replace("{when}", "true")
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(text, encoding="utf-8")
    second.write_text(text, encoding="utf-8")
    with pytest.raises(PackError, match="重复"):
        build_pack("dup", [first, second], library_index())
