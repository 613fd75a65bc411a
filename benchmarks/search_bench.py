"""Search quality and speed on the evaluation set (benchmarks/search_eval.yaml).

    python benchmarks/search_bench.py [--db sqlite:////path/huiqi.db] [--eval benchmarks/search_eval.yaml]
                                      [--repeat 3] [--as-of 2026-11-24] [--json]

Without --db the library is built into a temporary SQLite file first. Every question is run with
`index.search(q, limit=10, as_of=...)`; a hit counts when the returned id is an answer id or an
ancestor/descendant of one (parent chain from the stored provisions). Reports Recall@1, Recall@5,
Recall@10, MRR@10 (overall and per persona), latency p50/p95 of `index.search` in ms over all
queries (one warm-up pass, then the set repeated --repeat times), and the questions missed in the
top 5 with the expected ids and the top-3 returned, so the ranking can be improved against them
(--json also lists the questions answered at ranks 2-5, for Recall@1 work).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from huiqi.search.engine import SearchIndex
from huiqi.search.evaluation import evaluate, lineage_map, load_questions, missed, percentile, summarize
from huiqi.storage.build import build_library
from huiqi.storage.db import session

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT / "benchmarks" / "search_eval.yaml"
LIMIT = 10
MISS_K = 5


def load_index(db_url: str | None) -> tuple[SearchIndex, dict]:
    timings = {}
    if db_url is None:
        tmp = Path(tempfile.mkdtemp(prefix="huiqi-search-bench-"))
        db_url = f"sqlite:///{tmp / 'huiqi.db'}"
        t0 = time.perf_counter()
        build_library(db_url)
        timings["build_seconds"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    with session(db_url) as db:
        index = SearchIndex.load(db)
    timings["index_load_seconds"] = round(time.perf_counter() - t0, 3)
    timings["db"] = db_url
    return index, timings


def run(index: SearchIndex, questions, as_of: date, repeat: int):
    # Warm-up pass (jieba dictionary, numpy paths), results kept for scoring: search is deterministic.
    returned = [[hit["id"] for hit in index.search(q.q, limit=LIMIT, as_of=as_of)] for q in questions]
    latencies_ms: list[float] = []
    for _ in range(repeat):
        for q in questions:
            t0 = time.perf_counter()
            index.search(q.q, limit=LIMIT, as_of=as_of)
            latencies_ms.append((time.perf_counter() - t0) * 1000)
    return returned, latencies_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default=None, help="database URL of a built library (default: build into a temp file)")
    parser.add_argument("--eval", default=str(EVAL), help="evaluation set YAML")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the set after the warm-up")
    parser.add_argument("--as-of", default=None, help="query date (default: today)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args()

    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    questions = load_questions(args.eval)
    index, timings = load_index(args.db)
    lineage = lineage_map(index.units)

    unknown = sorted({a for q in questions for a in q.answers if a not in lineage})
    returned, latencies = run(index, questions, as_of, max(1, args.repeat))
    results = evaluate(questions, returned, lineage)
    summary = summarize(results, ks=(1, 5, 10), mrr_cutoff=LIMIT)
    misses = missed(results, MISS_K)
    empty = sum(1 for ids in returned if not ids)

    figures = {
        "questions": summary.questions,
        "units_indexed": len(index.units),
        "as_of": as_of.isoformat(),
        "recall@1": round(summary.recall_at[1], 4),
        "recall@5": round(summary.recall_at[5], 4),
        "recall@10": round(summary.recall_at[10], 4),
        "mrr@10": round(summary.mrr, 4),
        "empty_results": empty,
        "latency_p50_ms": round(percentile(latencies, 0.50), 3),
        "latency_p95_ms": round(percentile(latencies, 0.95), 3),
        "latency_mean_ms": round(statistics.fmean(latencies), 3),
        "latency_max_ms": round(max(latencies), 3),
        "timed_queries": len(latencies),
        **timings,
        "by_persona": {p: {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()} for p, d in summary.by_persona.items()},
        "unknown_answer_ids": unknown,
        "misses_at_5": [
            {
                "q": r.question.q,
                "persona": r.question.persona,
                "expected": list(r.question.answers),
                "rank": r.rank,
                "top3": r.returned[:3],
            }
            for r in misses
        ],
        "not_first_at_1": [
            {"q": r.question.q, "expected": list(r.question.answers), "rank": r.rank, "top1": r.returned[:1]}
            for r in missed(results, 1)
            if r.rank is not None and r.rank <= MISS_K
        ],
    }

    if args.json:
        json.dump(figures, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return

    console = Console()
    table = Table(title=f"搜索评测 · {summary.questions} 个问题 · as_of {as_of}")
    table.add_column("指标")
    table.add_column("数值", justify="right")
    for key in ("recall@1", "recall@5", "recall@10", "mrr@10", "empty_results", "latency_p50_ms", "latency_p95_ms",
                "latency_max_ms", "timed_queries", "units_indexed", "index_load_seconds"):
        table.add_row(key, str(figures[key]))
    if "build_seconds" in figures:
        table.add_row("build_seconds", str(figures["build_seconds"]))
    console.print(table)

    personas = Table(title="按用户类型")
    for col in ("persona", "questions", "recall@1", "recall@5", "recall@10", "mrr@10"):
        personas.add_column(col, justify="right" if col != "persona" else "left")
    for persona, d in summary.by_persona.items():
        personas.add_row(persona, str(d["questions"]), *(f"{d[k]:.3f}" for k in ("recall@1", "recall@5", "recall@10", "mrr@10")))
    console.print(personas)

    if unknown:
        console.print(f"[red]答案编号在库中不存在：{', '.join(unknown)}[/red]")

    miss_table = Table(title=f"前 {MISS_K} 名未命中（{len(misses)} 个）", show_lines=True)
    miss_table.add_column("#", justify="right")
    miss_table.add_column("问题", overflow="fold")
    miss_table.add_column("应返回", overflow="fold")
    miss_table.add_column("名次", justify="right")
    miss_table.add_column("实际前 3", overflow="fold")
    for i, r in enumerate(misses, 1):
        miss_table.add_row(str(i), r.question.q, "\n".join(r.question.answers), str(r.rank or "—"),
                           "\n".join(r.returned[:3]) or "（无结果）")
    console.print(miss_table)


if __name__ == "__main__":
    main()
