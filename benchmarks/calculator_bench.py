"""Calculator speed: one profile against the whole pack, in process.

    python benchmarks/calculator_bench.py [--profile examples/robot-manufacturer.json] [--as-of 2023-06-30] [--runs 300] [--json]

Reports p50/p95 of `match` (every measure for the subject, limits, totals) and of building the JSON
report, after warm-up. Figures are medians over many runs on a shared machine: compare ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

from huiqi.calculator.match import match, report_json
from huiqi.rules.pack import load_pack

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=str(ROOT / "examples" / "robot-manufacturer.json"))
    parser.add_argument("--as-of", default="2023-06-30")
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    pack = load_pack()
    load_seconds = time.perf_counter() - started
    profile = pack.registry.validate(json.loads(Path(args.profile).read_text(encoding="utf-8")))
    as_of = date.fromisoformat(args.as_of)
    measures = len(pack.for_subject(profile.subject))

    for _ in range(20):
        report_json(match(pack, profile, as_of), pack)
    match_ms, full_ms = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        report = match(pack, profile, as_of)
        t1 = time.perf_counter()
        report_json(report, pack)
        t2 = time.perf_counter()
        match_ms.append((t1 - t0) * 1000)
        full_ms.append((t2 - t0) * 1000)
    figures = {
        "pack_measures": len(pack.measures),
        "measures_for_subject": measures,
        "pack_load_seconds": round(load_seconds, 3),
        "match_p50_ms": round(statistics.median(match_ms), 3),
        "match_p95_ms": round(percentile(match_ms, 0.95), 3),
        "match_and_json_p50_ms": round(statistics.median(full_ms), 3),
        "match_and_json_p95_ms": round(percentile(full_ms, 0.95), 3),
        "runs": args.runs,
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    for key, value in figures.items():
        print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
