"""Batch engine benchmarks: the whole pack over synthetic registries, and three measures side by side with OpenFisca.

    .venv/bin/python benchmarks/batch_bench.py pack --rows 1000000          # whole pack, Polars, peak memory
    .venv/bin/python benchmarks/batch_bench.py scale                         # 10k → 100k → 1M → 10M (chunks)
    .venv/bin/python benchmarks/batch_bench.py spark --rows 100000           # whole pack, Spark local[*]
    .venv/bin/python benchmarks/batch_bench.py openfisca --rows 1000000      # 3 measures: huiqi vs OpenFisca 46

Timings exclude making the synthetic data (done first, outside the clock); the engine's time
includes compiling the rules, evaluating every row and collecting the results in memory.
Peak memory is the process's maximum resident set size (resource.getrusage ru_maxrss). The
process's CPU time is reported beside the wall time: on a shared machine it shows whether a slow
run was slow or only waiting for a core.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from huiqi.batch import engine
from huiqi.batch.synth import synthesize
from huiqi.corpus.library import library_index
from huiqi.rules.pack import build_pack, load_pack

AS_OF = date(2026, 6, 30)
HERE = Path(__file__).parent
BENCH_IDS = ["bench.rd-post-subsidy", "bench.smart-upgrade", "bench.hightech-rd-intensity"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_pack(pack, frame: pl.DataFrame, chunk_rows: int) -> dict:
    """The whole enterprise pack over a frame, chunk by chunk, as `huiqi batch` evaluates it."""
    ids = engine.select_measures(pack, "enterprise", None)
    started, cpu = time.perf_counter(), cpu_seconds()
    plans = None
    written = pairs = 0
    for offset in range(0, frame.height, chunk_rows):
        lf = engine.prepare(frame.slice(offset, chunk_rows), offset + 1)
        if plans is None:
            plans = engine.build_plans(pack, ids, AS_OF, lf.collect_schema().names())
        rows, cube, _ = engine.evaluate(lf, plans, unknown_rows="local").collect()
        written += rows.height
        pairs += int(cube["rows"].sum())
    return {"seconds": round(time.perf_counter() - started, 2), "cpu_seconds": round(cpu_seconds() - cpu, 2), "result_rows": written, "eligible_or_unknown_pairs": pairs, "measures": len(ids)}


def cmd_pack(args) -> dict:
    pack = load_pack()
    frame = synthesize(pack, args.rows, seed=1, year=AS_OF.year)
    gc.collect()
    before = peak_mb()
    out = run_pack(pack, frame, args.chunk_rows)
    return {"bench": "whole pack, Polars", "rows": args.rows, "chunk_rows": args.chunk_rows, **out, "peak_rss_mb": round(peak_mb()), "rss_before_mb": round(before)}


def cmd_scale(args) -> dict:
    """10k, 100k, 1M in one frame; 10M as ten 1M chunks made and evaluated one after another (memory bounded)."""
    pack = load_pack()
    out = []
    for n in (10_000, 100_000, 1_000_000):
        frame = synthesize(pack, n, seed=2, year=AS_OF.year)
        out.append({"rows": n, **run_pack(pack, frame, args.chunk_rows)})
        del frame
    if args.ten_million:
        total = 0.0
        for part in range(10):
            frame = synthesize(pack, 1_000_000, seed=100 + part, year=AS_OF.year)
            total += run_pack(pack, frame, args.chunk_rows)["seconds"]
            del frame
            gc.collect()
        out.append({"rows": 10_000_000, "seconds": round(total, 2), "note": "10 × 1M chunks (generation not timed)"})
    return {"bench": "scaling, whole pack, Polars", "results": out, "peak_rss_mb": round(peak_mb())}


def cmd_spark(args) -> dict:
    from huiqi.batch import spark as sp

    pack = load_pack()
    frame = synthesize(pack, args.rows, seed=1, year=AS_OF.year).with_row_index("_row", offset=1).with_columns(pl.col("_row").cast(pl.Int64))
    path = Path(args.tmp) / "spark_bench.parquet"
    frame.write_parquet(path)
    del frame
    session = sp.spark_session("huiqi-bench")
    started = time.perf_counter()
    rows, _, plans = sp.evaluate(session.read.parquet(str(path)), pack, AS_OF, engine.select_measures(pack, "enterprise", None), unknown_rows="local")
    built = time.perf_counter() - started
    rows = sp.with_status_names(rows)
    rows.write.mode("overwrite").parquet(str(Path(args.tmp) / "spark_bench_out"))
    return {"bench": "whole pack, Spark local[*]", "rows": args.rows, "seconds": round(time.perf_counter() - started, 2), "planning_seconds": round(built, 2), "note": "excludes JVM start"}


# ---------------------------------------------------------------- OpenFisca side by side


def openfisca_system():
    """A minimal OpenFisca tax-benefit system: one entity (Enterprise), the three measures as formulas."""
    from openfisca_core.entities import build_entity
    from openfisca_core.periods import DateUnit
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem
    from openfisca_core.variables import Variable

    Enterprise = build_entity(key="enterprise", plural="enterprises", label="企业", is_person=True)
    YEAR, ETERNITY = DateUnit.YEAR, DateUnit.ETERNITY

    def var(name: str, dtype, period, formula=None):
        attrs = {"value_type": dtype, "entity": Enterprise, "definition_period": period, "label": name}
        if formula is not None:
            attrs["formula"] = formula
        return type(name, (Variable,), attrs)

    def rd_post_subsidy(enterprise, period):
        rd1 = enterprise("rd_expense", period.last_year)
        rd2 = enterprise("rd_expense", period.last_year.last_year)
        rate = np.where(enterprise("chuying", period), 0.05, np.where(enterprise("tech_sme", period) | enterprise("dengling", period) | enterprise("tech_leader", period), 0.025, 0.015))
        growth = np.divide(rd1 - rd2, rd2, out=np.zeros_like(rd1), where=rd2 != 0)
        increment = np.where(growth >= 0, np.minimum(growth, 0.5), 2 * np.maximum(growth, -0.5))
        amount = np.minimum(rd1 * rate * (1 + increment), 5_000_000)
        return np.where(enterprise("registered_in_tianjin", period) & (rd1 > 0), np.round(amount, 2), 0)

    def smart_upgrade(enterprise, period):
        ok = enterprise("is_manufacturing", period) & (enterprise("smart_upgrade_total_investment", period) >= 10_000_000)
        return np.where(ok, np.minimum(enterprise("smart_upgrade_equipment_investment", period) * 0.1, 50_000_000), 0)

    def hightech_rd_intensity(enterprise, period):
        y1, y2, y3 = period.last_year, period.last_year.last_year, period.last_year.last_year.last_year
        sales1 = enterprise("sales_revenue", y1)
        required = np.where(sales1 <= 50_000_000, 0.05, np.where(sales1 <= 200_000_000, 0.04, 0.03))
        rd_sum = enterprise("rd_expense", y1) + enterprise("rd_expense", y2) + enterprise("rd_expense", y3)
        sales_sum = sales1 + enterprise("sales_revenue", y2) + enterprise("sales_revenue", y3)
        return rd_sum >= required * sales_sum

    system = TaxBenefitSystem([Enterprise])
    for name in ("rd_expense", "sales_revenue"):
        system.add_variable(var(name, float, YEAR))
    for name in ("chuying", "tech_sme", "dengling", "tech_leader", "registered_in_tianjin", "is_manufacturing"):
        system.add_variable(var(name, bool, ETERNITY))
    for name in ("smart_upgrade_total_investment", "smart_upgrade_equipment_investment"):
        system.add_variable(var(name, float, ETERNITY))
    system.add_variable(var("rd_post_subsidy", float, YEAR, rd_post_subsidy))
    system.add_variable(var("smart_upgrade_subsidy", float, YEAR, smart_upgrade))
    system.add_variable(var("hightech_rd_intensity_met", bool, YEAR, hightech_rd_intensity))
    return system


def run_openfisca(frame: pl.DataFrame) -> tuple[float, dict]:
    """OpenFisca has no unknowns: missing inputs are given as 0 / false (its defaults)."""
    from openfisca_core.simulations import SimulationBuilder

    system = openfisca_system()
    year = AS_OF.year
    started = time.perf_counter()
    sim = SimulationBuilder().build_default_simulation(system, count=frame.height)
    for y in (year - 3, year - 2, year - 1):
        sim.set_input("rd_expense", str(y), frame[f"rd_expense_{y}"].fill_null(0).to_numpy())
        sim.set_input("sales_revenue", str(y), frame[f"sales_revenue_{y}"].fill_null(0).to_numpy())
    for name in ("chuying", "tech_sme", "dengling", "tech_leader", "registered_in_tianjin"):
        sim.set_input(name, "ETERNITY", frame[name].fill_null(False).to_numpy())
    sim.set_input("is_manufacturing", "ETERNITY", (frame["industry"] == "manufacturing").fill_null(False).to_numpy())
    for name in ("smart_upgrade_total_investment", "smart_upgrade_equipment_investment"):
        sim.set_input(name, "ETERNITY", frame[name].fill_null(0).to_numpy())
    results = {name: sim.calculate(name, str(year)) for name in ("rd_post_subsidy", "smart_upgrade_subsidy", "hightech_rd_intensity_met")}
    return time.perf_counter() - started, {"rd_post_subsidy_total": float(results["rd_post_subsidy"].sum()), "smart_upgrade_total": float(results["smart_upgrade_subsidy"].sum()), "hightech_met": int(results["hightech_rd_intensity_met"].sum())}


def run_huiqi_three(frame: pl.DataFrame) -> tuple[float, dict]:
    """huiqi's Polars engine on the bench pack: every row × measure with its status, amounts and missing facts."""
    pack = build_pack("bench", [HERE / "bench_pack.yaml"], library_index())
    started = time.perf_counter()
    lf = engine.prepare(frame)
    plans = engine.build_plans(pack, BENCH_IDS, AS_OF, lf.collect_schema().names())
    wide = engine.evaluate_wide(lf, plans).collect()
    missing = {mid: {int(k): plans.measures[mid].decode_mask(int(k)) for k in wide[f"{mid}:missing"].unique().drop_nulls()} for mid in BENCH_IDS}
    seconds = time.perf_counter() - started
    by = {mid: wide.group_by(f"{mid}:status").agg(pl.len(), pl.col(f"{mid}:amount").sum()).sort(f"{mid}:status").rows() for mid in BENCH_IDS}
    return seconds, {"rows": wide.height, "by_status_code": by, "distinct_missing_lists": {m: len(v) for m, v in missing.items()}}


def cmd_openfisca(args) -> dict:
    pack = load_pack()
    frame = synthesize(pack, args.rows, seed=3, year=AS_OF.year)
    cols = [c for c in frame.columns if c.startswith(("rd_expense_", "sales_revenue_")) or c in ("row_id", "industry", "chuying", "tech_sme", "dengling", "tech_leader", "registered_in_tianjin", "smart_upgrade_total_investment", "smart_upgrade_equipment_investment", "district")]
    frame = frame.select(cols)
    # best of several runs each, alternating (the machine may be shared)
    huiqi_runs, of_runs = [], []
    for _ in range(args.repeat):
        huiqi_s, huiqi_out = run_huiqi_three(frame)
        huiqi_runs.append(huiqi_s)
        gc.collect()
        of_s, of_out = run_openfisca(frame)
        of_runs.append(of_s)
        gc.collect()
    huiqi_s, of_s = min(huiqi_runs), min(of_runs)
    return {
        "bench": "three measures, huiqi (Polars) vs OpenFisca 46",
        "rows": args.rows,
        "huiqi_seconds": round(huiqi_s, 2),
        "openfisca_seconds": round(of_s, 2),
        "ratio_huiqi_over_openfisca": round(huiqi_s / of_s, 2),
        "runs": {"huiqi": [round(x, 3) for x in huiqi_runs], "openfisca": [round(x, 3) for x in of_runs]},
        "huiqi_produces": "status (eligible/ineligible/unknown), amount, missing facts per row and measure",
        "openfisca_produces": "amounts and a boolean per row (missing inputs taken as 0/false)",
        "huiqi": huiqi_out,
        "openfisca": of_out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("pack", "spark", "openfisca"):
        p = sub.add_parser(name)
        p.add_argument("--rows", type=int, default=1_000_000)
        p.add_argument("--chunk-rows", type=int, default=250_000)
        p.add_argument("--tmp", default="/tmp")
        p.add_argument("--repeat", type=int, default=5)
    p = sub.add_parser("scale")
    p.add_argument("--chunk-rows", type=int, default=250_000)
    p.add_argument("--ten-million", action="store_true", help="also 10M rows (ten 1M chunks)")
    args = parser.parse_args()
    result = {"pack": cmd_pack, "scale": cmd_scale, "spark": cmd_spark, "openfisca": cmd_openfisca}[args.cmd](args)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
