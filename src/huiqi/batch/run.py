"""One batch run: read the registry chunk by chunk, evaluate, write results, summaries, push lists and errors.

Memory is bounded by the chunk: each chunk is read, normalised, evaluated and appended to
results.parquet before the next one is read; only small aggregates (the cube) stay in memory.
The summaries and push lists are made at the end from those aggregates and the results file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from huiqi.batch import engine, outputs
from huiqi.batch.engine import BatchError
from huiqi.batch.registry import ERROR_COLUMNS, Mapping, normalise, read_chunks
from huiqi.rules.pack import Pack

DEFAULT_CHUNK_ROWS = 250_000


@dataclass
class RunSummary:
    registry: str
    as_of: str
    engine: str
    measures: int
    rows_read: int = 0
    rows_with_errors: int = 0
    rows_evaluated: int = 0
    error_cells: int = 0
    result_rows: int = 0
    seconds: float = 0.0
    unused_columns: list[str] = field(default_factory=list)
    absent_facts: list[str] = field(default_factory=list)  # facts some measure reads that the registry lacks
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


Progress = Callable[[int], None]  # called with rows done


def run_batch(
    pack: Pack,
    registry: Path,
    as_of: date,
    out_dir: Path,
    measure_ids: Sequence[str] | None = None,
    subject: str = "enterprise",
    mapping: Mapping | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    engine_name: str = "polars",
    excel: bool = True,
    unknown_rows: str = "local",
    progress: Progress | None = None,
) -> RunSummary:
    """Evaluate a registry file and write every output into `out_dir`."""
    started = time.perf_counter()
    ids = engine.select_measures(pack, subject, measure_ids)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = RunSummary(str(registry), as_of.isoformat(), engine_name, len(ids))
    mapping = mapping or Mapping()
    if engine_name == "spark":
        from huiqi.batch.spark import run_spark

        state = run_spark(pack, registry, as_of, out_dir, ids, mapping, chunk_rows, unknown_rows, summary, progress)
    elif engine_name == "polars":
        state = _run_polars(pack, registry, as_of, out_dir, ids, mapping, chunk_rows, unknown_rows, summary, progress)
    else:
        raise BatchError(f"未知的引擎：{engine_name}（应为 polars 或 spark）")
    summary.files = outputs.write_all(pack, out_dir, state, summary, excel=excel)
    summary.seconds = round(time.perf_counter() - started, 2)
    (out_dir / "summary.json").write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def _run_polars(pack: Pack, registry: Path, as_of: date, out_dir: Path, ids: list[str], mapping: Mapping, chunk_rows: int, unknown_rows: str, summary: RunSummary, progress: Progress | None) -> outputs.State:
    state = outputs.State(out_dir, ids)
    plans: engine.Plans | None = None
    errors = ErrorsFile(out_dir / "errors.csv")
    start = 1
    for chunk in read_chunks(registry, chunk_rows):
        normal = normalise(chunk, mapping, pack, start)
        if plans is None:  # compiled once: every chunk has the same columns
            lf = engine.prepare(normal.frame, start)
            plans = engine.build_plans(pack, ids, as_of, lf.collect_schema().names())
            summary.unused_columns = normal.unused
            summary.absent_facts = outputs.absent_facts(pack, ids, as_of, set(normal.frame.columns))
        lf = engine.prepare(normal.frame, start)
        rows, cube, reductions = engine.evaluate(lf, plans, unknown_rows=unknown_rows).collect()
        state.add(rows, cube, reductions, normal.frame)
        errors.add(normal.errors)
        summary.rows_read += chunk.height
        summary.rows_evaluated += normal.frame.height
        start += chunk.height
        if progress:
            progress(chunk.height)
    errors.close()
    summary.rows_with_errors, summary.error_cells = errors.rows, errors.cells
    state.close()
    return state


class ErrorsFile:
    """errors.csv, appended chunk by chunk (UTF-8 with BOM so that Excel shows the Chinese)."""

    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self.cells = 0
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._file.write(",".join(ERROR_COLUMNS) + "\n")

    def add(self, errors: pl.DataFrame) -> None:
        if errors.height:
            self.cells += errors.height
            self.rows += errors["行号"].n_unique()  # a row's errors are all in its own chunk
            self._file.write(errors.write_csv(include_header=False))

    def close(self) -> None:
        self._file.close()

