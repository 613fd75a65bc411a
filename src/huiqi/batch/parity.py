"""Checking the engines against the single-profile calculator: the parity contract, used by the tests.

A registry row becomes a `Profile` (its fact columns, non-null, and its received list), the
calculator's `match` evaluates it, and every (row, measure) answer is compared with the engine's:
status, amount exact/min/max (within a cent), the missing-fact list (same facts, same order), and
whether the amount is counted after exclusive groups. Combined-cap reductions are compared too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import polars as pl

from huiqi.batch.columns import kinds_for
from huiqi.batch.engine import ROW, RECEIVED_INPUTS
from huiqi.calculator.match import match
from huiqi.rules.facts import Profile
from huiqi.rules.pack import Pack

TOLERANCE = 0.01 + 1e-9  # one fen: a tie rounded to fen on the binary value vs its decimal text may differ by 0.01


def row_profiles(frame: pl.DataFrame, pack: Pack, subject: str = "enterprise") -> list[Profile]:
    """Each row as the calculator's profile: non-null fact columns and the received measure ids."""
    fact_columns = list(kinds_for(pack.registry, {c: None for c in frame.columns}))
    received = [c for c in RECEIVED_INPUTS if c in frame.columns]
    profiles = []
    for row in frame.select(fact_columns + received).iter_rows(named=True):
        facts = {c: row[c] for c in fact_columns if row[c] is not None}
        ids: set[str] = set()
        for c in received:
            value = row[c]
            if isinstance(value, str):
                ids.update(v.strip() for v in value.replace("，", ",").split(",") if v.strip())
            elif isinstance(value, list):
                ids.update(value)
        profiles.append(Profile(subject, None, facts, frozenset(ids)))
    return profiles


def calculator_rows(frame: pl.DataFrame, pack: Pack, as_of: date, measure_ids: Sequence[str], subject: str = "enterprise") -> tuple[dict[tuple[int, str], dict[str, Any]], dict[tuple[int, str], float]]:
    """The calculator's answers keyed by (row number, measure id), and its cap reductions by (row, group)."""
    answers: dict[tuple[int, str], dict[str, Any]] = {}
    reductions: dict[tuple[int, str], float] = {}
    for i, profile in enumerate(row_profiles(frame, pack, subject), start=1):
        report = match(pack, profile, as_of, list(measure_ids) if measure_ids is not None else None)
        for r in report.results:
            amount = r.amount
            answers[(i, r.id)] = {
                "status": r.status,
                "amount": amount.exact if amount else None,
                "amount_min": amount.low if amount else None,
                "amount_max": amount.high if amount else None,
                "missing": r.missing,
                "counted": r.counted,
            }
        for a in report.adjustments:
            reductions[(i, a.group_id)] = a.reduction
    return answers, reductions


def compare(engine: pl.DataFrame, answers: dict[tuple[int, str], dict[str, Any]], limit: int = 20) -> list[str]:
    """Differences between an engine's long results (all statuses kept) and the calculator's answers."""
    problems: list[str] = []
    seen = set()
    for row in engine.iter_rows(named=True):
        key = (row[ROW], row["measure_id"])
        seen.add(key)
        want = answers.get(key)
        if want is None:
            problems.append(f"{key}: 计算器没有这一结果")
            continue
        got_status = str(row["status"])
        for field in ("status", "amount", "amount_min", "amount_max", "missing", "counted"):
            got = got_status if field == "status" else row[field]
            if not same(got, want[field]):
                problems.append(f"{key} {field}: 引擎 {got!r} ≠ 计算器 {want[field]!r}")
        if len(problems) >= limit:
            return problems
    for key in answers.keys() - seen:
        problems.append(f"{key}: 引擎缺少这一结果（计算器为 {answers[key]['status']}）")
        if len(problems) >= limit:
            break
    return problems


def same(got: Any, want: Any) -> bool:
    if isinstance(want, float) or isinstance(got, float):
        if got is None or want is None:
            return got is None and want is None
        return abs(got - want) <= TOLERANCE
    if isinstance(want, list):
        return list(got or []) == want
    return got == want
