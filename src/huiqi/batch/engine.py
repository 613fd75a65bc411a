"""The Polars engine: a whole pack (or some measures) over a registry frame, chunk by chunk.

The measures are compiled once per (pack, as_of, columns) into `MeasurePlan`s, with constants
folded (a measure reading a fact the registry lacks often has the same status on every row).
Each chunk is then evaluated in two steps:
- the shared frame: every measure's lets, condition atoms and status code, computed once;
- per measure, from the few columns it reads: the rows whose status is kept (by default eligible
  and unknown) get their amounts, missing facts and limits; the rows written are concatenated into
  a long table (one row per row × measure) and the aggregates (the cube) are grouped by one
  integer key. A measure that is the same on every row is aggregated from the row counts per
  district × industry, with no per-row work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from huiqi.batch.columns import VARIES, PolarsOps, kinds_for
from huiqi.batch.plan import CODE, RECEIVED_COLUMN, STATUSES, Limits, MeasurePlan, limits, plan_measure
from huiqi.calculator.evaluate import ELIGIBLE, UNKNOWN
from huiqi.rules.pack import Pack

ROW = "_row"  # 1-based row number in the registry (stable across chunks)
RECEIVED_INPUTS = ("received", "applied")  # comma-separated (or list) measure ids already received / applied for
CARRY = ("row_id", "name", "district", "industry")  # copied to the results when present
DEFAULT_KEEP = (ELIGIBLE, UNKNOWN)
DIMENSIONS = ("district", "industry")  # summaries by these when the registry has them
DIM = "_dim"  # integer code of (district, industry), for fast grouping
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
    ops: PolarsOps
    _inputs: dict[str, list[str]] = field(default_factory=dict)

    def inputs(self, mid: str, names: Sequence[str]) -> list[str]:
        """The columns of the shared frame (`names`, the same for every chunk) that one measure's frame reads."""
        if mid not in self._inputs:
            plan = self.measures[mid]
            levels = [level for o in self.limits.depends.get(mid, [mid]) for level in _amount_stages(self.measures[o])]
            exprs = [e for level in [*levels, plan.guards] for _, e in level]
            exprs += [plan.exact, plan.low, plan.high, plan.missing, plan.local, plan.may_be_local, plan.received, self.limits.counted[mid]]
            reads = {name for e in exprs for name in e.meta.root_names()} | {ROW, DIM, *self.carry}
            self._inputs[mid] = [c for c in names if c in reads]
        return self._inputs[mid]


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
    return Plans(as_of, plans, limits(pack, plans, ops), carry, has_received, ops)


def prepare(frame: pl.DataFrame | pl.LazyFrame, start_row: int = 1) -> pl.LazyFrame:
    """Add the row number and the received list (from `received`/`applied`) the plans read."""
    lf = frame.lazy()
    names = lf.collect_schema()
    if ROW not in names:
        lf = lf.with_row_index(ROW, offset=start_row).with_columns(pl.col(ROW).cast(pl.Int64))
    dims = [pl.col(c).cast(pl.String).fill_null("∅") for c in DIMENSIONS if c in names]
    code = pl.concat_str(dims, separator="\x1f").cast(pl.Categorical).to_physical() if dims else pl.lit(0)
    lf = lf.with_columns(code.cast(pl.UInt32).alias(DIM))
    lists = [_as_list(c, names[c]) for c in RECEIVED_INPUTS if c in names]
    if lists:
        lf = lf.with_columns(pl.concat_list(lists).list.drop_nulls().alias(RECEIVED_COLUMN))
    return lf


def _as_list(column: str, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.List):
        return pl.col(column).fill_null([]).list.eval(pl.element().cast(pl.String).str.strip_chars())
    text = pl.col(column).cast(pl.String).fill_null("")
    return text.str.replace_all("[，；;、\\s]+", ",").str.split(",").list.eval(pl.element().filter(pl.element() != ""))


@dataclass
class Outputs:
    """One chunk's evaluation, run by `collect`: long rows, aggregates (the cube) and combined-cap reductions."""

    lf: pl.LazyFrame
    plans: Plans
    keep: Sequence[str]
    unknown_rows: str

    def collect(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """The shared columns (lets, condition atoms, statuses) are computed once; then the three queries read them."""
        live = _live(self.plans, self.keep)
        base = _with_stages(self.lf, _shared_stages(self.plans, live)).collect()
        rows = _rows(base, self.plans, live, self.keep, self.unknown_rows).collect()
        return finish_rows(rows, self.plans), _cubes(base, self.plans, live, self.keep).collect(), _reductions(base, self.plans).collect()


MASK = "_mask"
STATUS = "_status"


def finish_rows(rows: pl.DataFrame, plans: Plans) -> pl.DataFrame:
    """Turn the missing-facts bit sets into lists (one decoding per distinct (measure, bit set))."""
    if MASK not in rows.columns:
        return rows
    distinct = rows.select("measure_id", MASK).unique().drop_nulls(MASK)
    decoded = pl.DataFrame(
        {
            "measure_id": distinct["measure_id"],
            MASK: distinct[MASK],
            "_decoded": [plans.measures[m].decode_mask(k) for m, k in distinct.iter_rows()],
        },
        schema={"measure_id": pl.String, MASK: pl.Int64, "_decoded": pl.List(pl.String)},
    )
    order = rows.columns
    joined = rows.join(decoded, on=["measure_id", MASK], how="left", maintain_order="left")
    return joined.with_columns(pl.coalesce("missing", "_decoded").alias("missing")).select(order).drop(MASK)


def evaluate(lf: pl.LazyFrame, plans: Plans, keep: Sequence[str] = DEFAULT_KEEP, unknown_rows: str = "all") -> Outputs:
    """Evaluate every planned measure on a frame.

    rows: one row per (row, measure) whose status is in `keep`; with unknown_rows="local", an
    unknown row is written only when a missing fact is a blank cell of a column the registry has
    (unknowns caused by columns the registry lacks altogether are the same for every row: they are
    counted in the cube and reported per measure, not repeated row by row).
    cube: counts and sums per measure × district × industry (when present) × status × local.
    """
    return Outputs(lf, plans, keep, unknown_rows)


def _live(plans: Plans, keep: Sequence[str]) -> list[str]:
    """The measures that can have kept rows (one expired or not yet in force on the date has none)."""
    return [mid for mid, plan in plans.measures.items() if plan.static_status is None or plan.static_status in keep]


def _status_column(mid: str) -> str:
    return f"{STATUS}:{mid}"


def _shared_stages(plans: Plans, live: list[str]) -> list[list[tuple[str, pl.Expr]]]:
    """Lets and condition atoms of every measure a live one or a cap reads, level by level, then every status code."""
    needed = dict.fromkeys([*live, *(d for mid in live for d in plans.limits.depends.get(mid, ())), *(d for gid, _ in plans.limits.reductions for d in plans.limits.depends[gid])])
    stages: list[list[tuple[str, pl.Expr]]] = []
    for mid in needed:
        for k, stage in enumerate(plans.measures[mid].stages(amounts=False)):
            while len(stages) <= k:
                stages.append([])
            stages[k].extend(stage)
    return [*stages, [(_status_column(mid), plans.measures[mid].status.cast(pl.UInt8)) for mid in needed]]


def _rows(base: pl.DataFrame, plans: Plans, live: list[str], keep: Sequence[str], unknown_rows: str) -> pl.LazyFrame:
    keep_codes = [CODE[s] for s in keep]
    carry = [pl.col(c) for c in plans.carry]
    rows = []
    for mid in live:
        plan = plans.measures[mid]
        status = plans.ops.constant(plan.status)
        if unknown_rows != "all" and status == CODE[UNKNOWN] and plans.ops.constant(plan.may_be_local) is False:
            continue  # unknown on every row because of a column the registry lacks: counted in the cube only
        wanted = None if unknown_rows == "all" else (pl.col(STATUS) != CODE[UNKNOWN]) | plan.may_be_local
        frame = _measure_frame(base, plans, mid, keep_codes, wanted)
        if unknown_rows != "all":
            frame = frame.filter((pl.col(STATUS) != CODE[UNKNOWN]) | plan.local)
        mask = plan.mask
        rows.append(
            frame.select(
                pl.col(ROW),
                pl.lit(mid, dtype=pl.String).alias("measure_id"),
                pl.col(STATUS).alias("status"),
                pl.col("amount"),
                pl.col("amount_min"),
                pl.col("amount_max"),
                (pl.lit(None, dtype=pl.List(pl.String)) if mask is not None else plan.missing).alias("missing"),
                (mask if mask is not None else pl.lit(None, dtype=pl.Int64)).alias(MASK),
                pl.col("counted"),
                pl.col("received"),
                *carry,
            )
        )
    if not rows:
        return _empty(plans)
    status = pl.col("status").cast(pl.Int64).replace_strict(dict(enumerate(STATUSES)), return_dtype=STATUS_DTYPE)
    return pl.concat(rows, how="vertical").with_columns(status)


def _cubes(base: pl.DataFrame, plans: Plans, live: list[str], keep: Sequence[str]) -> pl.LazyFrame:
    keep_codes = [CODE[s] for s in keep]
    per_dim = base.group_by(DIM).agg(pl.len().cast(pl.Int64).alias("rows")).lazy()
    cubes = []
    for mid in live:
        plan = plans.measures[mid]
        code = _constant_code(plan, plans.ops)
        if code is None:
            cubes.append(_cube(_measure_frame(base, plans, mid, keep_codes, None), plan, mid))
        elif code // 2 in keep_codes:
            cubes.append(_constant_cube(per_dim, code, mid))
    return _decode_cube(pl.concat(cubes, how="vertical"), base.lazy(), plans) if cubes else _empty_cube(plans)


def _constant_code(plan: MeasurePlan, ops: PolarsOps) -> int | None:
    """status × 2 + local, when both are the same on every row, the status is not eligible and there is no amount."""
    status, local = ops.constant(plan.status), ops.constant(plan.local)
    if status is VARIES or local is VARIES or status == CODE[ELIGIBLE] or any(ops.constant(e) is not None for e in (plan.exact, plan.low, plan.high)):
        return None
    return status * 2 + int(local)


def _constant_cube(per_dim: pl.LazyFrame, code: int, mid: str) -> pl.LazyFrame:
    """`_cube` of a measure that is the same on every row (`_constant_code`): the row counts per dimension."""
    zero = pl.lit(0.0, dtype=pl.Float64)
    return per_dim.select(
        (pl.col(DIM).cast(pl.UInt64) * 16 + code).alias("_key"),
        pl.col("rows"),
        *(zero.alias(name) for name in ("amount", "amount_min", "amount_max", "amount_counted")),
        pl.lit(0, dtype=pl.Int64).alias("to_push"),
        pl.lit(mid, dtype=pl.String).alias("measure_id"),
    )


def _reductions(base: pl.DataFrame, plans: Plans) -> pl.LazyFrame:
    carry = [pl.col(c) for c in plans.carry]
    reductions = [
        _with_stages(base.lazy(), [level for o in plans.limits.depends[gid] for level in _amount_stages(plans.measures[o])])
        .select(pl.col(ROW), pl.lit(gid, dtype=pl.String).alias("group_id"), expr.alias("reduction"), *carry)
        .filter(pl.col("reduction").is_not_null())
        for gid, expr in plans.limits.reductions
    ]
    if not reductions:
        return pl.LazyFrame(schema={ROW: pl.Int64, "group_id": pl.String, "reduction": pl.Float64, **{c: pl.String for c in plans.carry}})
    return pl.concat(reductions, how="vertical")


def _amount_stages(plan: MeasurePlan) -> list[list[tuple[str, pl.Expr]]]:
    return plan.amount_levels(lambda e: set(e.meta.root_names()))


def _measure_frame(base: pl.DataFrame, plans: Plans, mid: str, keep_codes: list[int], wanted: pl.Expr | None) -> pl.LazyFrame:
    """The rows whose status is kept (and `wanted`), with the measure's amounts and limits.

    Only the columns the measure reads are selected first: a query of hundreds of branches is
    planned much faster when each branch's schema is a dozen columns rather than the whole base.
    """
    plan = plans.measures[mid]
    status = _status_column(mid)
    frame = base[[*plans.inputs(mid, base.columns), status]].lazy().rename({status: STATUS}).filter(pl.col(STATUS).is_in(keep_codes))
    if wanted is not None:  # filter before the amounts: they are computed only for the rows written
        frame = frame.filter(wanted)
    # co-members of an exclusive group or a cap: their amounts decide whether this one is counted
    others = [level for o in plans.limits.depends.get(mid, ()) if o != mid for level in _amount_stages(plans.measures[o])]
    frame = _with_stages(frame, [*others, *_amount_stages(plan), plan.guards])
    return frame.with_columns(
        plan.exact.alias("amount"),
        plan.low.alias("amount_min"),
        plan.high.alias("amount_max"),
        plans.limits.counted[mid].alias("counted"),
        plan.received.alias("received"),
    )


def _cube(frame: pl.LazyFrame, plan: MeasurePlan, mid: str) -> pl.LazyFrame:
    """Counts and sums by (dimension, status, local), grouped on one integer key (much faster than strings)."""
    key = (pl.col(DIM).cast(pl.UInt64) * 8 + pl.col(STATUS).cast(pl.UInt64)) * 2 + plan.local.cast(pl.UInt64)
    eligible = pl.col(STATUS) == CODE[ELIGIBLE]
    return (
        frame.group_by(key.alias("_key"))
        .agg(
            pl.len().cast(pl.Int64).alias("rows"),
            pl.col("amount").sum().alias("amount"),
            pl.col("amount_min").sum().alias("amount_min"),
            pl.col("amount_max").sum().alias("amount_max"),
            pl.when(eligible & pl.col("counted")).then(pl.col("amount")).sum().alias("amount_counted"),
            (eligible & ~pl.col("received")).sum().cast(pl.Int64).alias("to_push"),
        )
        .with_columns(pl.lit(mid, dtype=pl.String).alias("measure_id"))
    )


def _decode_cube(cube: pl.LazyFrame, lf: pl.LazyFrame, plans: Plans) -> pl.LazyFrame:
    dims = [c for c in DIMENSIONS if c in plans.carry]
    key = pl.col("_key")
    cube = cube.with_columns(
        (key // 16).alias(DIM),
        ((key // 2) % 8).cast(pl.Int64).replace_strict(dict(enumerate(STATUSES)), return_dtype=STATUS_DTYPE).alias("status"),
        (key % 2 == 1).alias("local"),
    ).drop("_key")
    if dims:
        names = lf.select(pl.col(DIM).cast(pl.UInt64), *dims).unique(DIM)
        cube = cube.join(names, on=DIM, how="left")
    return cube.drop(DIM)


def _empty_cube(plans: Plans) -> pl.LazyFrame:
    schema = {**{d: pl.String for d in DIMENSIONS if d in plans.carry}, "status": STATUS_DTYPE, "local": pl.Boolean, "rows": pl.Int64, "amount": pl.Float64, "amount_min": pl.Float64, "amount_max": pl.Float64, "amount_counted": pl.Float64, "to_push": pl.Int64, "measure_id": pl.String}
    return pl.LazyFrame(schema=schema)


def _with_stages(lf: pl.LazyFrame, stages: list[list[tuple[str, pl.Expr]]]) -> pl.LazyFrame:
    for stage in stages:
        if stage:
            lf = lf.with_columns(expr.alias(name) for name, expr in stage)
    return lf


def _empty(plans: Plans) -> pl.LazyFrame:
    schema = {**RESULT_SCHEMA, MASK: pl.Int64, **{c: pl.String for c in plans.carry}}
    return pl.LazyFrame(schema=schema)


def evaluate_frame(frame: pl.DataFrame, pack: Pack, as_of: date, measure_ids: Sequence[str] | None = None, subject: str = "enterprise", keep: Sequence[str] = DEFAULT_KEEP) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Convenience for one in-memory frame: compile, evaluate, collect."""
    lf = prepare(frame)
    plans = build_plans(pack, select_measures(pack, subject, measure_ids), as_of, lf.collect_schema().names())
    rows, _, reductions = evaluate(lf, plans, keep).collect()
    return rows, reductions


def registry_dtypes(pack: Pack, columns: Iterable[str]) -> dict[str, pl.DataType]:
    """The Polars type each fact column should have (for reading and for synthetic registries)."""
    return {c: PolarsOps.DTYPES[k] for c, k in kinds_for(pack.registry, {c: None for c in columns}).items()}


def evaluate_wide(lf: pl.LazyFrame, plans: Plans) -> pl.LazyFrame:
    """One row per registry row, per measure `<id>:status` (code), `:amount`, `:amount_min`, `:amount_max`,
    `:missing` (bit set over the measure's candidates, see `MeasurePlan.decode_mask`), `:counted`.

    For a few measures over many rows (and for benchmarks): no row × measure copies of the carried
    text columns, every measure computed in one projection that Polars runs in parallel.
    """
    stages: list[list[tuple[str, pl.Expr]]] = []
    for plan in plans.measures.values():
        for k, stage in enumerate(plan.stages(amounts=False) + [*plan.amount_levels(lambda e: set(e.meta.root_names())), plan.guards]):
            while len(stages) <= k:
                stages.append([])
            stages[k].extend(stage)
    frame = _with_stages(lf, stages)
    outputs = [pl.col(ROW)]
    for mid, plan in plans.measures.items():
        mask = plan.mask
        outputs += [
            plan.status.cast(pl.UInt8).alias(f"{mid}:status"),
            plan.exact.alias(f"{mid}:amount"),
            plan.low.alias(f"{mid}:amount_min"),
            plan.high.alias(f"{mid}:amount_max"),
            (mask if mask is not None else plan.missing).alias(f"{mid}:missing"),
            plans.limits.counted[mid].alias(f"{mid}:counted"),
        ]
    return frame.select(outputs)
