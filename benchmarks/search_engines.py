"""Which BM25 engine: bm25s (in memory, numpy) against SQLite FTS5 (in the database), same tokens, same questions.

    python benchmarks/search_engines.py [--json]

Both engines rank the same units (provisions and compilation entries) over the same jieba tokens
with synonyms (the `tokens` column the library stores); the FTS5 table indexes that column with its
unicode61 tokenizer and ranks with its built-in bm25(). Reported: Recall@5 and MRR@10 on the
evaluation set, and per-query latency (p50/p95) for the ranking step alone and for bm25s end to end.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from huiqi.search.engine import SearchIndex
from huiqi.search.evaluation import evaluate, lineage_map, load_questions, percentile, summarize
from huiqi.search.tokenize import tokenize
from huiqi.storage.build import build_library
from huiqi.storage.db import session
from huiqi.storage.schema import ProvisionRow

LIMIT = 10


def fts5_engine(rows: list[tuple[str, str]]) -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE units USING fts5(id UNINDEXED, tokens, tokenize='unicode61')")
    db.executemany("INSERT INTO units VALUES (?, ?)", rows)
    return db


def fts5_search(db: sqlite3.Connection, query: str) -> list[str]:
    tokens = list(dict.fromkeys(tokenize(query)))
    if not tokens:
        return []
    match = " OR ".join('"' + t.replace('"', '""') + '"' for t in tokens)
    return [r[0] for r in db.execute("SELECT id FROM units WHERE units MATCH ? ORDER BY bm25(units) LIMIT ?", (match, LIMIT))]


def timed(fn, questions) -> tuple[list[list[str]], list[float]]:
    for q in questions:  # warm-up
        fn(q.q)
    results, times = [], []
    for q in questions:
        start = time.perf_counter()
        results.append(fn(q.q))
        times.append((time.perf_counter() - start) * 1000)
    return results, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='huiqi-engines-')) / 'huiqi.db'}"
    build_library(url)
    with session(url) as db:
        index = SearchIndex.load(db)
        rows = [(r.id, r.tokens) for r in db.scalars(select(ProvisionRow))]
    questions = load_questions()
    lineage = lineage_map(index.units)
    fts = fts5_engine(rows)
    today = date.today()

    def bm25s_ranking(q: str) -> list[str]:
        tokens = list(dict.fromkeys(t for t in tokenize(q) if t in index.vocab))
        if not tokens:
            return []
        scores = index.retriever.get_scores(tokens)
        return [index.units[i].id for i in scores.argsort()[::-1][:LIMIT] if scores[i] > 0]

    figures = {}
    for name, fn in (
        ("bm25s (ranking only)", bm25s_ranking),
        ("sqlite fts5 (ranking only)", lambda q: fts5_search(fts, q)),
        ("bm25s + filters, lineage, snippets (huiqi search)", lambda q: [h["id"] for h in index.search(q, limit=LIMIT, as_of=today)]),
    ):
        returned, times = timed(fn, questions)
        summary = summarize(evaluate(questions, returned, lineage))
        figures[name] = {
            "recall@5": round(summary.recall_at[5], 4),
            "mrr@10": round(summary.mrr, 4),
            "p50_ms": round(percentile(times, 0.5), 3),
            "p95_ms": round(percentile(times, 0.95), 3),
        }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    for name, f in figures.items():
        print(f"{name:<52} Recall@5 {f['recall@5']:.3f}  MRR@10 {f['mrr@10']:.3f}  p50 {f['p50_ms']:.2f} ms  p95 {f['p95_ms']:.2f} ms")


if __name__ == "__main__":
    main()
