"""Load benchmark: wrk (Debian's package) against a running huiqi server, for search and match.

    python benchmarks/load_bench.py [--clients 50] [--duration 30] [--workers 2] [--json]

Starts `uvicorn huiqi.web.app:app` on a free loopback port over a freshly built SQLite library and
measures, with wrk (written in C, so the load generator takes little of the two cores it shares):

- people: 50 concurrent clients, three in five searching and two in five calculating, each waiting
  0.5–1.5 s between requests (a person reads the answer before asking again): latency percentiles and
  errors per endpoint. Targets (issue 5): match p99 ≤ 50 ms, search p99 ≤ 30 ms, zero errors.
- capacity: 50 connections sending back to back with no think time: requests/s per endpoint, and the
  latency under saturation, which is mostly queueing (≈ clients ÷ throughput).

Match requests ask for `detail: summary`, as the calculator page does (a trace is fetched when a
person opens it); the profiles are the examples in examples/.
"""

from __future__ import annotations

import argparse
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


def lua_rotation(requests: list[str], think_ms: tuple[int, int] | None = None) -> str:
    """A wrk script that sends the given pre-formatted requests in turn, waiting think_ms between them."""
    items = ",\n".join(lua_string(r) for r in requests)
    delay = f"delay = function() return math.random({think_ms[0]}, {think_ms[1]}) end" if think_ms else ""
    return f"""
local reqs = {{ {items} }}
local i = 0
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
{delay}
"""


def lua_string(text: str) -> str:
    """A quoted Lua string; Lua's long brackets would turn the CR LF that HTTP needs into LF."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n") + '"'


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


THINK_MS = (500, 1500)


def wrk_command(base: str, script: str, connections: int, duration: int) -> list[str]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(script)
    return ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s", "-s", f.name, base]


def run_wrk(*commands: list[str]) -> list[dict[str, float]]:
    """Run wrk commands at the same time and parse each one's report."""
    processes = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands]
    reports = []
    for command, process in zip(commands, processes):
        out, err = process.communicate()
        os.unlink(command[-2])
        if process.returncode != 0:
            sys.exit(f"wrk 失败：{err.strip()}")
        reports.append(parse_wrk(out))
    return reports


def people(base: str, clients: int, duration: int) -> dict[str, dict[str, float]]:
    """Clients with think time, three in five searching and two in five calculating, all at once."""
    searchers = round(clients * 3 / 5)
    search, match = run_wrk(
        wrk_command(base, lua_rotation(search_requests(), THINK_MS), searchers, duration),
        wrk_command(base, lua_rotation(match_requests(), THINK_MS), clients - searchers, duration),
    )
    return {"search": {"clients": searchers, **search}, "match": {"clients": clients - searchers, **match}}


def capacity(base: str, requests: list[str], clients: int, duration: int) -> dict[str, float]:
    return run_wrk(wrk_command(base, lua_rotation(requests), clients, duration))[0]


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
            capacity(base, search_requests()[:5] + match_requests(), 4, 3)
            results = {
                "people": people(base, args.clients, args.duration),
                "capacity_search": capacity(base, search_requests(), args.clients, args.duration // 2),
                "capacity_match": capacity(base, match_requests(), args.clients, args.duration // 2),
            }
    finally:
        shutil.rmtree(home, ignore_errors=True)
    results["settings"] = {"clients": args.clients, "duration_s": args.duration, "workers": args.workers, "cores": os.cpu_count(), "think_ms": THINK_MS}
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return
    print(f"people: {args.clients} clients with {THINK_MS[0]}–{THINK_MS[1]} ms think time, at once:")
    for name, r in results["people"].items():
        print(f"  {name:>6}: {r['clients']} clients, {r['requests']} requests, {r['requests_per_second']:.0f} req/s, "
              f"p50 {r.get('p50_ms')} ms, p90 {r.get('p90_ms')} ms, p99 {r.get('p99_ms')} ms, non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}")
    print(f"capacity: {args.clients} connections back to back:")
    for name in ("search", "match"):
        r = results["capacity_" + name]
        print(f"  {name:>6}: {r['requests_per_second']:.0f} req/s, p50 {r.get('p50_ms')} ms, p99 {r.get('p99_ms')} ms, non-2xx {r['non_2xx']}, socket errors {r['socket_errors']}")
    print(f"settings: {results['settings']}")


if __name__ == "__main__":
    main()
