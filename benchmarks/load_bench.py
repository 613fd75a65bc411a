"""Load benchmark: wrk (Debian's package) against a running huiqi server, for search and match.

    python benchmarks/load_bench.py [--clients 50] [--duration 30] [--workers 2] [--json]

Starts `uvicorn huiqi.web.app:app` on a free loopback port over a freshly built SQLite library and
measures two things at 50 concurrent clients:

- locust: 50 users who search and calculate with 0.5–1.5 s of think time between requests (people
  using the site): latency percentiles and failures per endpoint. Targets (issue 5): match p99 ≤ 50 ms,
  search p99 ≤ 30 ms, zero errors.
- wrk (Debian's package): 50 connections sending back to back with no think time (capacity): requests/s
  and latency under saturation, where latency is mostly queueing (≈ clients ÷ throughput).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import yaml

from huiqi.web.local_server import running_server

ROOT = Path(__file__).resolve().parent.parent


def lua_rotation(requests: list[str]) -> str:
    """A wrk script that sends the given pre-formatted requests in turn."""
    items = ",\n".join("[==[" + r + "]==]" for r in requests)
    return f"""
local reqs = {{ {items} }}
local i = 0
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
"""


def search_requests() -> list[str]:
    questions = yaml.safe_load((ROOT / "benchmarks" / "search_eval.yaml").read_text(encoding="utf-8"))["questions"]
    return [f"GET /api/search?q={quote(q['q'])}&limit=10 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" for q in questions]


def match_requests() -> list[str]:
    out = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        profile = json.loads(path.read_text(encoding="utf-8"))
        body = json.dumps({"profile": profile, "as_of": "2023-06-30", "detail": "summary"}, ensure_ascii=False).encode("utf-8")
        head = f"POST /api/match HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        out.append(head + body.decode("utf-8"))
    return out


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(text: str) -> dict[str, float]:
    figures: dict[str, float] = {}
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if m:
            figures[f"p{pct}_ms"] = round(float(m.group(1)) * _UNITS[m.group(2)], 2)
    m = re.search(r"(\d+) requests in", text)
    figures["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    figures["requests_per_second"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    figures["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    figures["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    return figures


def run_wrk(base: str, script: str, connections: int, duration: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(script)
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s", "-s", f.name, base],
        capture_output=True, text=True, check=True,
    )
    os.unlink(f.name)
    return parse_wrk(result.stdout)


def run_locust(base: str, clients: int, duration: int) -> dict[str, dict[str, float]]:
    """Run the locust users headless and read their per-endpoint statistics from the CSV it writes."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = os.path.join(folder, "stats")
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless", "-u", str(clients), "-r", str(clients),
             "-t", f"{duration}s", "--host", base, "--csv", prefix, "--only-summary", "--loglevel", "ERROR"],
            capture_output=True, text=True, check=False,
        )
        with open(prefix + "_stats.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    stats = {}
    for row in rows:
        if row["Name"] in ("search", "match"):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "requests_per_second": round(float(row["Requests/s"]), 1),
                **{f"p{p}_ms": float(row[f"{p}%"]) for p in ("50", "90", "99")},
            }
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("需要 wrk：apt-get install wrk")

    home = tempfile.mkdtemp(prefix="huiqi-load-")
    env = {**os.environ, "HUIQI_HOME": home}
    env.pop("HUIQI_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "huiqi", "init"], env=env, check=True, capture_output=True)
    try:
        with running_server(env, workers=args.workers) as base:
            # warm every worker: the first request of a process loads the index and the pack
            run_wrk(base, lua_rotation(search_requests()[:5] + match_requests()), 4, 3)
            results = {
                "locust": run_locust(base, args.clients, args.duration),
                "wrk_search": run_wrk(base, lua_rotation(search_requests()), args.clients, args.duration // 2),
                "wrk_match": run_wrk(base, lua_rotation(match_requests()), args.clients, args.duration // 2),
            }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    results["settings"] = {"clients": args.clients, "duration_s": args.duration, "workers": args.workers, "cores": os.cpu_count()}
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return
    print(f"locust, {args.clients} users with think time:")
    for name, r in results["locust"].items():
        print(f"  {name:>6}: {r['requests']} requests, {r['requests_per_second']} req/s, p50 {r['p50_ms']} ms, p90 {r['p90_ms']} ms, p99 {r['p99_ms']} ms, failures {r['failures']}")
    print(f"wrk, {args.clients} connections back to back (capacity):")
    for name in ("wrk_search", "wrk_match"):
        r = results[name]
        print(f"  {name[4:]:>6}: {r['requests_per_second']:.0f} req/s, p50 {r.get('p50_ms')} ms, p99 {r.get('p99_ms')} ms, non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}")
    print(f"settings: {results['settings']}")


if __name__ == "__main__":
    main()
