"""Parity: the Polars engine gives, row by row, exactly the single-profile calculator's answers.

Design (the row-by-row calculator evaluates ~15,000 measure × profile pairs a second, so 100,000
rows × the whole pack would take half an hour; the engine takes seconds):
- every enterprise measure of the real pack, all statuses kept, on 250 synthetic rows with every
  fact column, at three dates (before, during and after the 2022 relief packages), compared on
  status, amount exact/min/max (±0.01), the missing-fact list (same facts, same order), counted,
  and the combined-cap reductions;
- the whole pack on 250 rows of the usual registry, which lacks many facts: the measures reading
  them compile to constants (folded), and must still give the calculator's answers;
- a representative subset that covers every amount form (fixed, formula, base×rate, per_unit×count,
  range, up_to, tiers first and max), cap, floor, discretion, lets, once-only with received ids,
  amendments, validity, exclusive groups and combined caps — plus the demo pack — on PARITY_ROWS
  rows at the date when most of them are in force: 30,000 in CI (about 35 s); HUIQI_PARITY_ROWS=100000
  runs the 100,000 rows of the issue (about 2 minutes on 2 cores).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from huiqi.batch.columns import VARIES
from huiqi.batch.engine import build_plans, evaluate_frame, prepare, select_measures
from huiqi.batch.parity import calculator_rows, compare
from huiqi.batch.plan import STATUSES
from huiqi.batch.synth import synthesize
from huiqi.corpus.library import library_index
from huiqi.rules.pack import build_pack, load_pack

FIXTURES = Path(__file__).parent / "fixtures"
PARITY_ROWS = int(os.environ.get("HUIQI_PARITY_ROWS", "30000"))

REPRESENTATIVE = [
    "tj.rd-post-subsidy.general",  # lets, if_/min/max, tiers pick max, cap, amendment, exclusive group
    "tj.rd-post-subsidy.chuying",  # lets, cap, once-only, exclusive group
    "tj.kjzc.1-1.first-recognition-grant",  # range, once-only
    "tj.kjzc.1-1.high-tech-recognition",
    "tj.kjzc.1-4.dengling-purchase-subsidy",  # per_unit × count, discretionary
    "tj.relief.job-retention-refund.sme",  # up_to with floor
    "tj.smart-mfg.upgrade-equipment",  # base × rate, cap
    "tj.smart-mfg.leading-enterprise-city-growth",  # tiers pick first, cap, lets, combined cap
    "tj.smart-mfg.leading-enterprise-city",
    "tj.relief.specialized-financing-subsidy.city",  # up_to, exclusive group
    "tj.relief.specialized-financing-subsidy.seed",
]
ALL = STATUSES


def _check(frame, pack, as_of, ids):
    rows, reductions = evaluate_frame(frame, pack, as_of, ids, keep=ALL)
    answers, cuts = calculator_rows(frame, pack, as_of, ids)
    problems = compare(rows, answers)
    assert not problems, "\n".join(problems)
    got = {(r["_row"], r["group_id"]): r["reduction"] for r in reductions.iter_rows(named=True)}
    assert got.keys() == cuts.keys()
    assert all(abs(got[k] - cuts[k]) <= 0.01 for k in got)
    return rows


@pytest.mark.parametrize("as_of", [date(2021, 3, 1), date(2022, 6, 30), date(2026, 6, 30)])
def test_every_measure_matches_the_calculator(as_of):
    pack = load_pack()
    frame = synthesize(pack, 250, seed=as_of.year, year=as_of.year, facts="all", received_rate=0.2)
    rows = _check(frame, pack, as_of, select_measures(pack, "enterprise", None))
    assert rows.height == 250 * len(select_measures(pack, "enterprise", None))


def test_registry_lacking_columns_matches_the_calculator():
    """The usual registry lacks many facts: measures reading them compile to constants (folded), with the same answers."""
    pack = load_pack()
    as_of = date(2026, 6, 30)
    frame = synthesize(pack, 250, seed=5, year=as_of.year, received_rate=0.2)
    ids = select_measures(pack, "enterprise", None)
    plans = build_plans(pack, ids, as_of, prepare(frame).collect_schema().names())
    folded = [m for m, p in plans.measures.items() if p.static_status is None and plans.ops.constant(p.status) is not VARIES]
    assert len(folded) > 20  # the case this test is about
    _check(frame, pack, as_of, ids)


def test_representative_measures_match_the_calculator_on_many_rows():
    pack = load_pack()
    as_of = date(2022, 6, 30)
    frame = synthesize(pack, PARITY_ROWS, seed=7, year=2022, facts="all", received_rate=0.2)
    rows = _check(frame, pack, as_of, REPRESENTATIVE)
    statuses = set(rows["status"].cast(str))
    assert {"eligible", "ineligible", "unknown"} <= statuses  # the synthetic data reaches every outcome


def test_demo_pack_limits_and_validity_match_the_calculator():
    pack = build_pack("demo", [FIXTURES / "pack_demo.yaml"], library_index())
    for as_of in (date(2022, 3, 1), date(2022, 8, 1), date(2023, 6, 30)):
        frame = synthesize(pack, 3000, seed=11, year=as_of.year, facts="all", received_rate=0.3)
        rows = _check(frame, pack, as_of, None)
        assert rows.height == 3000 * len(pack.for_subject("enterprise"))
