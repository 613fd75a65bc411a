"""What a batch run leaves in its output folder, and how it is put together.

    results.parquet            one row per (registry row, measure) that is eligible, or unknown because
                               of a blank cell on that row (see `engine.evaluate`); ineligible pairs are
                               not written — they are counted in the summaries
    adjustments.parquet        combined caps that reduced a row's total (row, group, reduction)
    summary_by_measure.*       per measure: counts per status, amounts, money held back by unknown facts
    summary_by_district.*      per district / industry, when the registry has those columns
    summary_by_industry.*
    push_list_<measure>.*      eligible rows that have not received or applied for the measure
    errors.csv                 unreadable values: row, column, value, reason
    summary.json               rows read / with errors / evaluated, files written

Parquet for programs; Excel (.xlsx, Chinese headers) for people, written with openpyxl.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from huiqi.batch.engine import DIMENSIONS, ROW
from huiqi.rules import lang
from huiqi.rules.pack import Pack

if TYPE_CHECKING:
    from huiqi.batch.run import RunSummary

EXCEL_MAX_ROWS = 200_000  # a push list longer than this is written as Parquet only (Excel slows down, and stops at 1,048,576)

RESULT_COLUMNS = ["row", "row_id", "name", "district", "industry", "measure_id", "status", "amount", "amount_min", "amount_max", "missing", "counted", "received"]

HEADERS = {
    "row": "行号",
    "row_id": "编号",
    "name": "名称",
    "district": "所在区",
    "industry": "所属行业",
    "measure_id": "措施编号",
    "title": "措施名称",
    "department": "主管部门",
    "rows": "主体数",
    "eligible": "符合",
    "unknown": "待补充信息",
    "unknown_rows_written": "其中因本行空白而待定（已写入结果）",
    "ineligible": "不符合",
    "expired": "已失效",
    "not_yet_in_force": "尚未施行",
    "amount_total": "符合者金额合计（元）",
    "amount_max_total": "符合者金额上限合计（元）",
    "amount_counted": "计入合计的金额（元，已按不可同时享受处理）",
    "held_back": "待补充信息者金额上限合计（元，未知事实挡住的资金）",
    "to_push": "待推送（符合且未享受、未申报）",
    "missing_columns": "登记表缺少的列（该措施需要）",
    "eligible_pairs": "符合的主体×措施数",
    "eligible_subjects": "至少符合一项措施的主体数",
    "cap_reductions": "合计上限扣减（元）",
    "amount": "金额（元）",
    "amount_min": "金额下限（元）",
    "amount_max": "金额上限（元）",
    "counted": "计入合计",
}


@dataclass
class State:
    """What a run accumulates chunk by chunk: the results files and the small aggregates."""

    out_dir: Path
    measure_ids: list[str]
    cubes: list[pl.DataFrame] = field(default_factory=list)
    dim_rows: list[pl.DataFrame] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)
    _results: Any = None
    _adjustments: Any = None

    def add(self, rows: pl.DataFrame, cube: pl.DataFrame, reductions: pl.DataFrame, frame: pl.DataFrame) -> None:
        self.dims = [d for d in DIMENSIONS if d in frame.columns]
        self._results = _append(self._results, self.out_dir / "results.parquet", _results_frame(rows))
        self._adjustments = _append(self._adjustments, self.out_dir / "adjustments.parquet", reductions.rename({ROW: "row"}))
        self.cubes.append(cube)
        self.dim_rows.append(frame.group_by(self.dims).len().cast({"len": pl.Int64}) if self.dims else pl.DataFrame({"len": [frame.height]}, schema={"len": pl.Int64}))

    def close(self) -> None:
        for writer in (self._results, self._adjustments):
            if writer is not None:
                writer.close()


def _results_frame(rows: pl.DataFrame) -> pl.DataFrame:
    rows = rows.rename({ROW: "row"}).with_columns(pl.col("status").cast(pl.String))
    return rows.select([c for c in RESULT_COLUMNS if c in rows.columns])


def _append(writer: Any, path: Path, frame: pl.DataFrame) -> Any:
    import pyarrow.parquet as pq

    table = frame.to_arrow()
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema, compression="zstd")
    writer.write_table(table.cast(writer.schema))
    return writer


def absent_facts(pack: Pack, ids: list[str], as_of: date, columns: set[str]) -> list[str]:
    """Fact columns some measure reads that the registry does not have (unknown for every row)."""
    return sorted({c for m in ids for c in measure_columns(pack, m, as_of) if c not in columns})


def measure_columns(pack: Pack, measure_id: str, as_of: date) -> list[str]:
    measure = pack.measures[measure_id]
    nodes: list[lang.Node] = [node for _, _, node in measure.lets]

    def walk_condition(cond) -> None:
        if cond.node is not None:
            nodes.append(cond.node)
        for part in cond.parts:
            walk_condition(part)

    def walk_amount(amount) -> None:
        nodes.extend(amount.nodes.values())
        for tier in amount.tiers:
            nodes.append(tier.when)
            walk_amount(tier.amount)

    walk_condition(measure.conditions)
    if measure.amount:
        walk_amount(measure.amount)
    lets = {name for name, _, _ in measure.lets}
    return list(dict.fromkeys(f.column(as_of.year) for n in nodes for f in lang.facts_in(n) if f.name not in lets))


# ---------------------------------------------------------------- summaries


def write_all(pack: Pack, out_dir: Path, state: State, summary: RunSummary, excel: bool = True) -> list[str]:
    files: list[str] = []
    as_of = date.fromisoformat(summary.as_of)
    cube = _cube_total(state)
    by_measure = summary_by_measure(pack, state.measure_ids, cube, summary.rows_evaluated, as_of, set(summary.absent_facts))
    files += _write(by_measure, out_dir / "summary_by_measure", excel)
    adjustments = pl.read_parquet(out_dir / "adjustments.parquet") if (out_dir / "adjustments.parquet").exists() else None
    for dim in state.dims:
        table = summary_by(dim, cube, state, out_dir, adjustments)
        files += _write(table, out_dir / f"summary_by_{dim}", excel)
    files += push_lists(pack, out_dir, excel)
    summary.result_rows = pl.scan_parquet(out_dir / "results.parquet").select(pl.len()).collect().item() if (out_dir / "results.parquet").exists() else 0
    return ["results.parquet", "adjustments.parquet", *files, "errors.csv", "summary.json"]


def _cube_total(state: State) -> pl.DataFrame:
    if not state.cubes:
        return pl.DataFrame(schema={"measure_id": pl.String, "status": pl.String, "local": pl.Boolean, "rows": pl.Int64})
    cube = pl.concat(state.cubes, how="diagonal_relaxed").with_columns(pl.col("status").cast(pl.String))
    keys = ["measure_id", *state.dims, "status", "local"]
    return cube.group_by(keys).agg(pl.col("rows", "to_push").sum(), pl.col("amount", "amount_min", "amount_max", "amount_counted").sum())


def summary_by_measure(pack: Pack, ids: list[str], cube: pl.DataFrame, total_rows: int, as_of: date, absent: set[str]) -> pl.DataFrame:
    """Counts per status, amounts, and the money unknown facts hold back, one row per measure."""
    from huiqi.calculator.evaluate import Evaluator

    per = cube.group_by("measure_id").agg(
        pl.col("rows").filter(pl.col("status") == "eligible").sum().alias("eligible"),
        pl.col("rows").filter(pl.col("status") == "unknown").sum().alias("unknown"),
        pl.col("rows").filter((pl.col("status") == "unknown") & pl.col("local")).sum().alias("unknown_rows_written"),
        pl.col("amount").filter(pl.col("status") == "eligible").sum().alias("amount_total"),
        pl.col("amount_max").filter(pl.col("status") == "eligible").sum().alias("amount_max_total"),
        pl.col("amount_counted").sum().alias("amount_counted"),
        pl.col("amount_max").filter(pl.col("status") == "unknown").sum().alias("held_back"),
        pl.col("to_push").sum().alias("to_push"),
    )
    found = {r["measure_id"]: r for r in per.iter_rows(named=True)}
    records = []
    for mid in ids:
        measure = pack.measures[mid]
        static, _ = Evaluator._validity(measure, as_of)
        r = found.get(mid, {})
        eligible, unknown = int(r.get("eligible") or 0), int(r.get("unknown") or 0)
        records.append(
            {
                "measure_id": mid,
                "title": measure.spec.title,
                "department": measure.spec.department,
                "rows": total_rows,
                "eligible": eligible,
                "unknown": unknown,
                "unknown_rows_written": int(r.get("unknown_rows_written") or 0),
                "ineligible": 0 if static else total_rows - eligible - unknown,
                "expired": total_rows if static == "expired" else 0,
                "not_yet_in_force": total_rows if static == "not_yet_in_force" else 0,
                "amount_total": round(float(r.get("amount_total") or 0.0), 2),
                "amount_max_total": round(float(r.get("amount_max_total") or 0.0), 2),
                "amount_counted": round(float(r.get("amount_counted") or 0.0), 2),
                "held_back": round(float(r.get("held_back") or 0.0), 2),
                "to_push": int(r.get("to_push") or 0),
                "missing_columns": "、".join(c for c in measure_columns(pack, mid, as_of) if c in absent) if not static else "",
            }
        )
    return pl.DataFrame(records, schema_overrides={"department": pl.String, "missing_columns": pl.String})


def summary_by(dim: str, cube: pl.DataFrame, state: State, out_dir: Path, adjustments: pl.DataFrame | None) -> pl.DataFrame:
    """Per district (or industry): subjects, eligible pairs and subjects, counted amounts net of caps, money held back."""
    rows = pl.concat(state.dim_rows).group_by(dim).agg(pl.col("len").sum().alias("rows"))
    sums = cube.group_by(dim).agg(
        pl.col("rows").filter(pl.col("status") == "eligible").sum().alias("eligible_pairs"),
        pl.col("amount_counted").sum().alias("amount_counted"),
        pl.col("amount_max").filter(pl.col("status") == "unknown").sum().alias("held_back"),
    )
    subjects = (
        pl.scan_parquet(out_dir / "results.parquet")
        .filter(pl.col("status") == "eligible")
        .group_by(dim)
        .agg(pl.col("row").n_unique().alias("eligible_subjects"))
        .collect()
    )
    table = rows.join(sums, on=dim, how="left", nulls_equal=True).join(subjects, on=dim, how="left", nulls_equal=True)
    if adjustments is not None and adjustments.height and dim in adjustments.columns:
        cuts = adjustments.group_by(dim).agg(pl.col("reduction").sum().alias("cap_reductions"))
        table = table.join(cuts, on=dim, how="left", nulls_equal=True)
    else:
        table = table.with_columns(pl.lit(0.0).alias("cap_reductions"))
    table = table.with_columns(pl.col("eligible_pairs", "eligible_subjects").fill_null(0), pl.col("amount_counted", "held_back", "cap_reductions").fill_null(0.0))
    table = table.with_columns((pl.col("amount_counted") - pl.col("cap_reductions")).round(2).alias("amount_counted"), pl.col("held_back").round(2))
    return table.sort("rows", descending=True).select(dim, "rows", "eligible_subjects", "eligible_pairs", "amount_counted", "cap_reductions", "held_back")


# ---------------------------------------------------------------- push lists


PUSH_COLUMNS = ["row", "row_id", "name", "district", "industry", "amount", "amount_min", "amount_max", "counted"]


def push_lists(pack: Pack, out_dir: Path, excel: bool) -> list[str]:
    """One list per measure: the eligible rows that have not received (or applied for) it, best amounts first."""
    results = out_dir / "results.parquet"
    if not results.exists():
        return []
    eligible = pl.scan_parquet(results).filter((pl.col("status") == "eligible") & ~pl.col("received"))
    names = eligible.collect_schema().names()
    wanted = eligible.select("measure_id", *[c for c in PUSH_COLUMNS if c in names]).collect()
    files = []
    for (mid,), part in wanted.partition_by("measure_id", as_dict=True, maintain_order=True).items():
        part = part.drop("measure_id").sort(["amount_max", "row"], descending=[True, False], nulls_last=True)
        stem = out_dir / f"push_list_{_safe(str(mid))}"
        files += _write(part, stem, excel and part.height <= EXCEL_MAX_ROWS, title=pack.measures[str(mid)].spec.title if str(mid) in pack.measures else None)
    return files


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)


# ---------------------------------------------------------------- writing


def _write(frame: pl.DataFrame, stem: Path, excel: bool, title: str | None = None) -> list[str]:
    # not with_suffix: measure ids contain dots (tj.kjzc.1-1.high-tech-recognition)
    parquet, xlsx = stem.parent / f"{stem.name}.parquet", stem.parent / f"{stem.name}.xlsx"
    frame.write_parquet(parquet)
    files = [parquet.name]
    if excel:
        write_excel(frame, xlsx, title)
        files.append(xlsx.name)
    return files


def write_excel(frame: pl.DataFrame, path: Path, title: str | None = None) -> None:
    """A plain sheet with Chinese headers (openpyxl, streaming: constant memory)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("结果")
    if title:
        sheet.append([title])
    sheet.append([HEADERS.get(c, c) for c in frame.columns])
    for row in frame.iter_rows():
        sheet.append([_excel_value(v) for v in row])
    book.save(path)


def _excel_value(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return value
