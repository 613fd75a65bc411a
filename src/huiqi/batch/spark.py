"""The Spark engine: the same plans as Spark SQL column expressions, for registries beyond one machine.

The measures compile through `SparkOps` into Spark SQL text (no Python UDFs: executors run JVM
code only, so Python is needed only where the driver runs). Planning, not data, is Spark's cost
for a whole pack, so the plan is kept small: constants are folded while compiling (a measure that
reads a column the registry lacks is often a literal), a measure that can write no row is left
out, and a few projections add the columns level by level — lets, condition atoms, each measure's
`active` (amount atoms are guarded by it, so Spark's CASE short-circuit skips them where the
calculator would not compute them), amount atoms, guards, then every result field. Each row then
becomes one struct (naming only columns) per kept measure, exploded into the long results.

Locally (`huiqi batch --engine spark`) the session is `local[*]`; under `spark-submit` the session
comes from the submit configuration. Run as a job:

    spark-submit --master yarn huiqi/batch/spark.py --registry hdfs:///reg/ --as-of 2026-06-30 --out hdfs:///out/
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from huiqi.batch import engine
from huiqi.batch.columns import VARIES, SparkOps
from huiqi.batch.engine import DIMENSIONS, ROW, BatchError
from huiqi.batch.plan import CODE, RECEIVED_COLUMN, STATUSES
from huiqi.calculator.evaluate import ELIGIBLE, UNKNOWN
from huiqi.rules.pack import Pack

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from huiqi.batch.outputs import State
    from huiqi.batch.registry import Mapping
    from huiqi.batch.run import Progress, RunSummary


def spark_session(app: str = "huiqi-batch") -> SparkSession:
    """The active session, or a local one using every core; ANSI mode off so that x/0 and bad casts give null."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BatchError("未安装 pyspark：pip install 'huiqi[spark]'（还需要 Java 运行环境）") from None
    builder = SparkSession.builder.appName(app)
    if not os.environ.get("SPARK_HOME") and "spark.master" not in os.environ.get("PYSPARK_SUBMIT_ARGS", ""):
        builder = builder.master(os.environ.get("HUIQI_SPARK_MASTER", "local[*]"))
    session = (
        builder.config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", os.environ.get("HUIQI_SPARK_PARTITIONS", "8"))
        .config("spark.driver.memory", os.environ.get("HUIQI_SPARK_DRIVER_MEMORY", "4g"))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def prepare(df: DataFrame) -> DataFrame:
    """The received list from `received` / `applied` (comma-separated text or arrays), as the Polars engine does."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if ROW not in df.columns:
        raise BatchError(f"Spark 引擎需要行号列 {ROW}（先用 huiqi batch 的读取步骤生成，或自行添加从 1 开始的行号）")
    lists = []
    for name in engine.RECEIVED_INPUTS:
        if name in df.columns:
            field = df.schema[name].dataType
            if isinstance(field, T.ArrayType):
                lists.append(F.coalesce(F.col(name).cast("array<string>"), F.array().cast("array<string>")))
            else:
                parts = F.split(F.regexp_replace(F.coalesce(F.col(name).cast("string"), F.lit("")), r"[，；;、\s]+", ","), ",")
                lists.append(F.filter(parts, lambda x: x != ""))
    if lists:
        combined = lists[0]
        for other in lists[1:]:
            combined = F.concat(combined, other)
        df = df.withColumn(RECEIVED_COLUMN, combined)
    return df


def evaluate(df: DataFrame, pack: Pack, as_of: date, measure_ids: Sequence[str], keep: Sequence[str] = engine.DEFAULT_KEEP, unknown_rows: str = "all") -> tuple[DataFrame, DataFrame, engine.Plans]:
    """Long rows (with `_mask`/`missing` and `local`) and the cap reductions, as Spark DataFrames."""
    from pyspark.sql import functions as F

    ops = SparkOps()
    df = prepare(df)
    plans = engine.build_plans(pack, measure_ids, as_of, df.columns, ops=ops)
    live = {mid: p for mid, p in plans.measures.items() if _may_be_written(p, ops, keep, unknown_rows)}
    needed = set(live) | {d for mid in live for d in plans.limits.depends.get(mid, [])} | {d for gid, _ in plans.limits.reductions for d in plans.limits.depends[gid]}
    df = _add_stages(df, [plans.measures[m] for m in plans.measures if m in needed], ops)
    # every field of every measure as a column first: the struct stage then only names columns
    # (analysing one expression of a hundred thousand characters takes Spark far longer)
    outputs = {mid: _fields(mid, plan, plans) for mid, plan in live.items()}
    df = df.selectExpr("*", *[f"{expr} AS `{_column(name, mid)}`" for mid, fields in outputs.items() for name, expr in fields.items()])
    keep_codes = ", ".join(str(CODE[s]) for s in keep)
    structs = []
    for mid, fields in outputs.items():
        status, local = f"`{_column('status', mid)}`", f"`{_column('local', mid)}`"
        kept = f"({status} IN ({keep_codes}))"
        if unknown_rows != "all":
            kept = f"({kept} AND ({status} != {CODE[UNKNOWN]} OR {local}))"
        named = ", ".join(f"'{name}', `{_column(name, mid)}`" for name in fields)
        structs.append(f"CASE WHEN {kept} THEN named_struct('measure_id', '{mid}', {named}) END")
    carry = [f"`{c}`" for c in plans.carry]
    if structs:
        exploded = df.selectExpr(f"`{ROW}`", *carry, f"explode(array_compact(array({', '.join(structs)}))) AS r")
        rows = exploded.select(F.col(ROW), *[F.col(c) for c in plans.carry], "r.*")
    else:
        rows = df.selectExpr(f"`{ROW}`", *carry).limit(0)
    reductions = None
    for gid, expr in plans.limits.reductions:
        part = df.selectExpr(f"`{ROW}`", f"'{gid}' AS group_id", f"{expr.text} AS reduction", *carry).where("reduction IS NOT NULL")
        reductions = part if reductions is None else reductions.unionByName(part)
    if reductions is None:
        reductions = df.selectExpr(f"`{ROW}`", "CAST(NULL AS STRING) AS group_id", "CAST(NULL AS DOUBLE) AS reduction", *carry).limit(0)
    return rows, reductions, plans


def _may_be_written(plan, ops: SparkOps, keep: Sequence[str], unknown_rows: str) -> bool:
    """False when no row can be kept: out of force, or (writing local unknowns only) unknown on every row because of absent columns."""
    status = ops.constant(plan.status)
    if status is VARIES:
        return True
    if status not in [CODE[s] for s in keep]:
        return False
    return not (unknown_rows != "all" and status == CODE[UNKNOWN] and ops.constant(plan.local) is False)


def _column(what: str, mid: str) -> str:
    return f"_{what}:{mid}"


def _fields(mid: str, plan, plans: engine.Plans) -> dict[str, str]:
    """A result row's fields (after `measure_id`) as SQL, in order."""
    mask = plan.mask
    return {
        "status": f"CAST({plan.status.text} AS INT)",
        "amount": plan.exact.text,
        "amount_min": plan.low.text,
        "amount_max": plan.high.text,
        "missing": "CAST(NULL AS ARRAY<STRING>)" if mask is not None else plan.missing.text,
        "_mask": mask.text if mask is not None else "CAST(NULL AS BIGINT)",
        "counted": plans.limits.counted[mid].text,
        "received": plan.received.text,
        "local": plan.local.text,
    }


def _add_stages(df: DataFrame, plans: list, ops: SparkOps) -> DataFrame:
    """Every measure's columns, level by level: the k-th let of every measure together, then conditions, then amounts."""
    depth = max((len(p.lets) for p in plans), default=0)
    for k in range(depth):
        df = df.selectExpr("*", *[f"{p.lets[k][1].text} AS `{p.lets[k][0]}`" for p in plans if len(p.lets) > k])
    conditions = [f"{expr.text} AS `{name}`" for p in plans for name, expr in p.conditions]
    if conditions:
        df = df.selectExpr("*", *conditions)
    with_amounts = [p for p in plans if p.amounts]
    if with_amounts:
        df = df.selectExpr("*", *[f"{p.active.text} AS `{_column('active', p.id)}`" for p in with_amounts])
    levels = [p.amount_levels(_refs) for p in plans]
    for k in range(max((len(g) for g in levels), default=0)):
        # computed only where the calculator computes an amount (CASE short-circuits the rest)
        exprs = [f"CASE WHEN `{_column('active', p.id)}` THEN {expr.text} END AS `{name}`" for p, g in zip(plans, levels) if len(g) > k for name, expr in g[k]]
        df = df.selectExpr("*", *exprs)
    guards = [f"{expr.text} AS `{name}`" for p in plans for name, expr in p.guards]
    return df.selectExpr("*", *guards) if guards else df


def _refs(expr) -> set[str]:
    return set(re.findall(r"`([^`]+)`", expr.text))


def decode_missing(rows: DataFrame, plans: engine.Plans) -> DataFrame:
    """Bit sets → lists of fact names: the few distinct (measure, bit set) pairs are decoded on the driver and broadcast."""
    from pyspark.sql import functions as F

    pairs = rows.where(F.col("_mask").isNotNull()).select("measure_id", "_mask").distinct().collect()
    if not pairs:
        return rows.drop("_mask")
    decoded = [(p["measure_id"], p["_mask"], plans.measures[p["measure_id"]].decode_mask(p["_mask"])) for p in pairs]
    table = rows.sparkSession.createDataFrame(decoded, "measure_id string, _mask long, _decoded array<string>")
    joined = rows.join(F.broadcast(table), on=["measure_id", "_mask"], how="left")
    return joined.withColumn("missing", F.coalesce(F.col("missing"), F.col("_decoded"))).drop("_decoded", "_mask")


def with_status_names(rows: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    names = F.create_map(*[x for i, s in enumerate(STATUSES) for x in (F.lit(i), F.lit(s))])
    return rows.withColumn("status", names[F.col("status")])


def cube(rows: DataFrame, dims: list[str]) -> DataFrame:
    """Counts and sums per measure × dimensions × status × local, as `engine._cube`."""
    from pyspark.sql import functions as F

    eligible = F.col("status") == F.lit(ELIGIBLE)
    return rows.groupBy("measure_id", *dims, "status", "local").agg(
        F.count(F.lit(1)).cast("long").alias("rows"),
        F.sum("amount").alias("amount"),
        F.sum("amount_min").alias("amount_min"),
        F.sum("amount_max").alias("amount_max"),
        F.sum(F.when(eligible & F.col("counted"), F.col("amount"))).alias("amount_counted"),
        F.sum(F.when(eligible & ~F.col("received"), 1).otherwise(0)).cast("long").alias("to_push"),
    )


def to_polars(df: DataFrame) -> pl.DataFrame:
    """A small Spark result on the driver, via Arrow."""
    return pl.from_arrow(df.toArrow())  # type: ignore[return-value]


# ---------------------------------------------------------------- a run from the CLI


def run_spark(pack: Pack, registry: Path, as_of: date, out_dir: Path, ids: list[str], mapping: Mapping, chunk_rows: int, unknown_rows: str, summary: RunSummary, progress: Progress | None) -> State:
    """Read and check the registry with the chunked reader (errors.csv), then evaluate it with Spark."""
    from pyspark.sql import functions as F

    from huiqi.batch.outputs import State, absent_facts
    from huiqi.batch.registry import normalise, read_chunks
    from huiqi.batch.run import ErrorsFile

    staging = out_dir / "_staging"
    staging.mkdir(parents=True, exist_ok=True)
    errors = ErrorsFile(out_dir / "errors.csv")
    start, part = 1, 0
    columns: set[str] = set()
    for chunk in read_chunks(registry, chunk_rows):
        normal = normalise(chunk, mapping, pack, start)
        normal.frame.write_parquet(staging / f"part-{part:05d}.parquet")
        errors.add(normal.errors)
        summary.unused_columns = normal.unused
        columns = set(normal.frame.columns)
        summary.rows_read += chunk.height
        summary.rows_evaluated += normal.frame.height
        start += chunk.height
        part += 1
    errors.close()
    summary.rows_with_errors, summary.error_cells = errors.rows, errors.cells
    summary.absent_facts = absent_facts(pack, ids, as_of, columns)

    spark = spark_session()
    df = spark.read.parquet(str(staging))
    rows, reductions, plans = evaluate(df, pack, as_of, ids, unknown_rows="all")
    dims = [d for d in DIMENSIONS if d in plans.carry]
    rows = with_status_names(rows).persist()
    cube_pl = to_polars(cube(rows, dims))
    written = rows.where((F.col("status") == ELIGIBLE) | F.col("local")) if unknown_rows != "all" else rows
    written = decode_missing(written, plans).drop("local").withColumnRenamed(ROW, "row")
    spark_out = out_dir / "_spark_results"
    written.write.mode("overwrite").parquet(str(spark_out))
    rows.unpersist()
    from huiqi.batch.outputs import RESULT_COLUMNS

    pl.scan_parquet(spark_out / "*.parquet").select([c for c in RESULT_COLUMNS if c in [*written.columns]]).sink_parquet(out_dir / "results.parquet")
    to_polars(reductions).rename({ROW: "row"}).write_parquet(out_dir / "adjustments.parquet")
    dim_rows = to_polars(df.groupBy(*dims).count().withColumnRenamed("count", "len")) if dims else pl.DataFrame({"len": [summary.rows_evaluated]})
    state = State(out_dir, ids)
    state.dims = dims
    state.cubes = [cube_pl.with_columns(pl.col("status").cast(pl.String))]
    state.dim_rows = [dim_rows.with_columns(pl.col("len").cast(pl.Int64))]
    if progress:
        progress(summary.rows_evaluated)
    _remove(spark_out)
    _remove(staging)
    return state


def _remove(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- spark-submit entry point


def main(argv: Sequence[str] | None = None) -> None:
    """A cluster job: a typed registry in Parquet (fact columns and `_row`) in, results and aggregates out."""
    from pyspark.sql import functions as F

    from huiqi.rules.pack import load_pack

    parser = argparse.ArgumentParser(description="惠企免申即享批量评估（Spark 作业）")
    parser.add_argument("--registry", required=True, help="登记表 Parquet（事实名列，含 _row）")
    parser.add_argument("--as-of", required=True, help="评估日期 YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="输出目录（共享存储）")
    parser.add_argument("--measures", default=None, help="逗号分隔的措施编号")
    parser.add_argument("--subject", default="enterprise")
    parser.add_argument("--all-unknown", action="store_true")
    args = parser.parse_args(argv)
    pack = load_pack()
    ids = engine.select_measures(pack, args.subject, args.measures.split(",") if args.measures else None)
    spark = spark_session()
    df = spark.read.parquet(args.registry)
    if ROW not in df.columns:
        df = df.withColumn(ROW, F.monotonically_increasing_id() + 1)  # unique, not consecutive: fine for ids
    rows, reductions, plans = evaluate(df, pack, date.fromisoformat(args.as_of), ids, unknown_rows="all")
    dims = [d for d in DIMENSIONS if d in plans.carry]
    rows = with_status_names(rows).persist()
    cube(rows, dims).write.mode("overwrite").parquet(f"{args.out}/cube")
    written = rows if args.all_unknown else rows.where((F.col("status") == ELIGIBLE) | F.col("local"))
    decode_missing(written, plans).drop("local").withColumnRenamed(ROW, "row").write.mode("overwrite").parquet(f"{args.out}/results")
    reductions.withColumnRenamed(ROW, "row").write.mode("overwrite").parquet(f"{args.out}/adjustments")
    spark.stop()


if __name__ == "__main__":
    main()

