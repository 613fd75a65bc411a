"""Locust users for the load benchmark: people searching and calculating, with think time between requests.

Used by benchmarks/load_bench.py (`--tool locust`); run alone with
    locust -f benchmarks/locustfile.py --headless -u 50 -r 50 -t 30s --host http://127.0.0.1:8000
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml
from locust import HttpUser, between, task

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [q["q"] for q in yaml.safe_load((ROOT / "benchmarks" / "search_eval.yaml").read_text(encoding="utf-8"))["questions"]]
PROFILES = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.json"))]


class PolicyUser(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(3)
    def search(self) -> None:
        self.client.get("/api/search", params={"q": random.choice(QUESTIONS), "limit": 10}, name="search")

    @task(2)
    def match(self) -> None:
        # as the calculator page asks: results without traces (a trace is fetched when a person opens it)
        self.client.post("/api/match", json={"profile": random.choice(PROFILES), "as_of": "2023-06-30", "detail": "summary"}, name="match")
