"""The Polars engine: a whole pack (or some measures) over a registry frame, in one lazy query per chunk.

The measures are compiled once per (pack, as_of, columns) into `MeasurePlan`s; each chunk of rows is
then evaluated as one LazyFrame: per measure, the status is computed on every row, the rows whose
status is kept (by default eligible and unknown) are filtered, and only those get their amounts,
missing facts and limits. The parts are concatenated into a long table (one row per row × measure).
Polars runs the parts in parallel and drops the columns no measure reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from huiqi.batch.columns import PolarsOps, kinds_for
from huiqi.batch.plan import CODE, RECEIVED_COLUMN, STATUSES, Limits, MeasurePlan, limits, plan_measure
from huiqi.calculator.evaluate import ELIGIBLE, UNKNOWN
from huiqi.rules.pack import Pack

ROW = "_row"  # 1-based row number in the registry (stable across chunks)
RECEIVED_INPUTS = ("received", "applied")  # comma-separated (or list) measure ids already received / applied for
CARRY = ("row_id", "name", "district", "industry")  # copied to the results when present
DEFAULT_KEEP = (ELIGIBLE, UNKNOWN)
STATUS_DTYPE = pl.Enum(list(STATUSES))

RESULT_SCHEMA = {
    ROW: pl.Int64,
    "measure_id": pl.String,
    "status": STATUS_DTYPE,
    "amount": pl.Float64,
    "amount_min": pl.Float64,
    "amount_max": pl.Float64,
    "missing": pl.List(pl.String),
    "counted": pl.Boolean,
    "received": pl.Boolean,
}


class BatchError(ValueError):
    """A batch run that cannot proceed (unknown measure ids, unsupported input); the message is for people."""


@dataclass
class Plans:
    """The compiled measures for one date and one set of input columns."""

    as_of: date
    measures: dict[str, MeasurePlan]
    limits: Limits
    carry: tuple[str, ...]
    has_received: bool


def select_measures(pack: Pack, subject: str, measure_ids: Sequence[str] | None) -> list[str]:
    """The measures a run evaluates: those for the registry's subject, or the ids asked for (checked)."""
    if measure_ids:
        unknown = [m for m in measure_ids if m not in pack.measures]
        if unknown:
            raise BatchError(f"找不到措施：{'、'.join(unknown)}；用 huiqi rules 查看全部措施编号")
        other = [m for m in measure_ids if pack.measures[m].spec.beneficiary != subject]
        if other:
            raise BatchError(f"措施 {'、'.join(other)} 的对象不是 {subject}")
        return list(dict.fromkeys(measure_ids))
    return [m.id for m in pack.for_subject(subject)]


def build_plans(pack: Pack, measure_ids: Iterable[str], as_of: date, columns: Iterable[str], ops=None) -> Plans:
    """Compile the measures once for this date and these input columns (Polars unless `ops` says otherwise)."""
    ops = ops or PolarsOps()
    columns = frozenset(columns)
    has_received = RECEIVED_COLUMN in columns
    plans = {mid: plan_measure(pack.measures[mid], ops, as_of, pack.registry, columns, has_received, prefix=f"_m{i}_") for i, mid in enumerate(measure_ids)}
    carry = tuple(c for c in CARRY if c in columns)
    return Plans(as_of, plans, limits(pack, plans, ops), carry, has_received)


def prepare(frame: pl.DataFrame | pl.LazyFrame, start_row: int = 1) -> pl.LazyFrame:
    """Add the row number and the received list (from `received`/`applied`) the plans read."""
    lf = frame.lazy()
    names = lf.collect_schema()
    if ROW not in names:
        lf = lf.with_row_index(ROW, offset=start_row).with_columns(pl.col(ROW).cast(pl.Int64))
    lists = [_as_list(c, names[c]) for c in RECEIVED_INPUTS if c in names]
    if lists:
        lf = lf.with_columns(pl.concat_list(lists).list.drop_nulls().alias(RECEIVED_COLUMN))
    return lf


def _as_list(column: str, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.List):
        return pl.col(column).fill_null([]).list.eval(pl.element().cast(pl.String).str.strip_chars())
    text = pl.col(column).cast(pl.String).fill_null("")
    return text.str.replace_all("[，；;、\\s]+", ",").str.split(",").list.eval(pl.element().filter(pl.element() != ""))


def evaluate(lf: pl.LazyFrame, plans: Plans, keep: Sequence[str] = DEFAULT_KEEP) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The long results (rows × measures whose status is in `keep`) and the combined-cap reductions."""
    keep_codes = [CODE[s] for s in keep]
    carry = [pl.col(c) for c in plans.carry if c != ROW]
    parts = []
    for mid, plan in plans.measures.items():
        if plan.static_status is not None and plan.static_status not in keep:
            continue  # expired or not yet in force on this date: no row can be kept
        # co-members of an exclusive group or a cap: their amounts decide whether this one is counted
        others = [plans.measures[o] for o in plans.limits.depends.get(mid, ()) if o != mid]
        frame = _with_stages(lf, [stage for o in others for stage in o.stages()] + plan.stages(amounts=False))
        frame = frame.with_columns(plan.status.cast(pl.UInt8).alias("_status")).filter(pl.col("_status").is_in(keep_codes))
        part = (
            _with_stages(frame, [[item] for item in plan.amounts])
            .select(
                pl.col(ROW),
                pl.lit(mid, dtype=pl.String).alias("measure_id"),
                pl.col("_status").alias("status"),
                plan.exact.alias("amount"),
                plan.low.alias("amount_min"),
                plan.high.alias("amount_max"),
                plan.missing.alias("missing"),
                plans.limits.counted[mid].alias("counted"),
                plan.received.alias("received"),
                *carry,
            )
        )
        parts.append(part)
    results = pl.concat(parts, how="vertical") if parts else _empty(plans)
    results = results.with_columns(pl.col("status").cast(pl.Int64).replace_strict(dict(enumerate(STATUSES)), return_dtype=STATUS_DTYPE))
    reductions = [
        _with_stages(lf, [stage for o in plans.limits.depends[gid] for stage in plans.measures[o].stages()]).select(pl.col(ROW), pl.lit(gid, dtype=pl.String).alias("group_id"), expr.alias("reduction"), *carry).filter(pl.col("reduction").is_not_null())
        for gid, expr in plans.limits.reductions
    ]
    empty = pl.LazyFrame(schema={ROW: pl.Int64, "group_id": pl.String, "reduction": pl.Float64, **{c: pl.String for c in plans.carry}})
    return results, (pl.concat(reductions, how="vertical") if reductions else empty)


def _with_stages(lf: pl.LazyFrame, stages: list[list[tuple[str, pl.Expr]]]) -> pl.LazyFrame:
    for stage in stages:
        lf = lf.with_columns(expr.alias(name) for name, expr in stage)
    return lf


def _empty(plans: Plans) -> pl.LazyFrame:
    schema = {**RESULT_SCHEMA, "status": pl.UInt8, **{c: pl.String for c in plans.carry}}
    return pl.LazyFrame(schema=schema)


def evaluate_frame(frame: pl.DataFrame, pack: Pack, as_of: date, measure_ids: Sequence[str] | None = None, subject: str = "enterprise", keep: Sequence[str] = DEFAULT_KEEP) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Convenience for one in-memory frame: compile, evaluate, collect."""
    lf = prepare(frame)
    plans = build_plans(pack, select_measures(pack, subject, measure_ids), as_of, lf.collect_schema().names())
    results, reductions = evaluate(lf, plans, keep)
    collected = pl.collect_all([results, reductions])
    return collected[0], collected[1]


def registry_dtypes(pack: Pack, columns: Iterable[str]) -> dict[str, pl.DataType]:
    """The Polars type each fact column should have (for reading and for synthetic registries)."""
    return {c: PolarsOps.DTYPES[k] for c, k in kinds_for(pack.registry, {c: None for c in columns}).items()}
