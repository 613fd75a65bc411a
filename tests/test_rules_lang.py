from datetime import date

import pytest

from huiqi.rules import lang

AS_OF = date(2026, 6, 30)


def ev(expr: str, **env):
    return lang.evaluate(lang.parse(expr), env, AS_OF)


def test_percent_literals_fold_to_ratios():
    assert lang.parse("10%") == lang.Const(0.1)
    assert ev("x * 30%", x=1000) == pytest.approx(300)


def test_year_relative_facts_resolve_against_the_evaluation_year():
    node = lang.parse("revenue[-1]")
    assert node == lang.Fact("revenue", -1)
    assert node.column(2026) == "revenue_2025"
    assert ev("rd_expense[-1] / revenue[-1] >= 4%", rd_expense_2025=5, revenue_2025=100) is True


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("a and b", None),  # unknown and unknown
        ("f and a", False),  # false dominates and
        ("t and a", None),
        ("t or a", True),  # true dominates or
        ("f or a", None),
        ("not a", None),
        ("a > 1", None),
        ("a + 1", None),
        ("known(a)", False),
        ("known(t)", True),
        ("if_(a, 1, 2)", None),
        ("if_(t, 1, 2)", 1),
    ],
)
def test_three_valued_logic(expr, expected):
    assert ev(expr, t=True, f=False) == expected


def test_division_by_zero_is_unknown():
    assert ev("x / y", x=1, y=0) is None


def test_clamp_min_max():
    assert ev("clamp(g, -50%, 50%)", g=0.8) == 0.5
    assert ev("clamp(g, -50%, 50%)", g=-0.9) == -0.5
    assert ev("min(a, 5000000)", a=7_000_000) == 5_000_000


def test_chained_comparison_and_membership():
    assert ev("50000000 < r <= 200000000", r=200_000_000) is True
    assert ev("50000000 < r <= 200000000", r=50_000_000) is False
    assert ev("industry in ['manufacturing', 'software_it']", industry="software_it") is True
    assert ev("industry not in ['manufacturing']", industry="software_it") is True


def test_dates_and_ages():
    assert ev("years_since(born)", born=date(1991, 7, 1)) == 34
    assert ev("years_since(born)", born=date(1991, 6, 30)) == 35
    assert ev("as_of <= date('2026-12-31')") is True


@pytest.mark.parametrize(
    "bad",
    ["__import__('os')", "x.attr", "lambda: 1", "open('f')", "x[1:2]", "x ** 2", "[i for i in x]", "min(1)", "date('2022-13-01')"],
)
def test_unsafe_or_invalid_expressions_are_rejected(bad):
    with pytest.raises(lang.RuleSyntaxError):
        lang.parse(bad)


def test_facts_in_lists_each_reference_once():
    node = lang.parse("a[-1] + a[-1] + b > c")
    assert [f.name for f in lang.facts_in(node)] == ["a", "b", "c"]


def test_render_uses_chinese_labels():
    text = lang.render(lang.parse("rd_expense[-1] >= 4% * revenue[-1]"), {"rd_expense": "研发费用", "revenue": "营业收入"})
    assert text == "研发费用[上一年度] ≥ (4% × 营业收入[上一年度])"


def test_comparisons_are_exact_at_printed_boundaries():
    # (115 - 100) / 100 is 0.1499999… in binary floating point; the text means 15%
    assert ev("(b - a) / a >= 15%", a=100.0, b=115.0) is True
    assert ev("(b - a) / a > 15%", a=100.0, b=115.0) is False


def test_floor_counts_full_periods():
    assert ev("floor(months / 12)", months=35) == 2
    assert ev("floor(months / 12)", months=36) == 3


def test_a_fact_against_a_printed_number_is_compared_as_the_text_means():
    # the shape `fact >= number` has a closure of its own; it rounds like every other comparison
    assert ev("g >= 15%", g=0.15000000000000002) is True
    assert ev("g > 15%", g=0.15000000000000002) is False
    assert ev("g >= 15%", g=0.14999999) is False  # a real shortfall, larger than the rounding
    assert ev("flag == 1", flag=True) is True  # a boolean is not rounded as a number, but still compares
    assert ev("g >= 15%") is None


def test_membership_and_date_arithmetic_with_unknowns():
    assert ev("industry in ['manufacturing']") is None
    assert ev("industry not in ['manufacturing']", industry="manufacturing") is False
    assert ev("end - start", start=date(2026, 1, 1), end=date(2026, 3, 1)) == 59
    assert ev("end - start", start=date(2026, 1, 1)) is None


def test_columns_resolve_year_relative_facts_for_the_year():
    node = lang.parse("rd[-1] + rd[-2] > revenue[-1] * 4% and employees > 0")
    assert lang.columns(node, 2026) == ("rd_2025", "rd_2024", "revenue_2025", "employees")
    assert lang.columns(node, 2023) == ("rd_2022", "rd_2021", "revenue_2022", "employees")
