"""Load and faults on the administration side: concurrent clients against a real uvicorn server on loopback,
backed by PostgreSQL, with the server killed (kill -9) mid-run and restarted.

    python benchmarks/admin_chaos.py --database-url postgresql+psycopg://postgres@127.0.0.1:55432/postgres

It creates a scratch database next to the one named (dropped afterwards unless --keep), migrates it,
seeds the accounts, publishes two calls — a 先到先得 call and a 研发投入后补助 call that is ranked —
and runs, at the same time: every applicant creating and submitting one application to each call
(idempotency keys, retried through the outages), the district reviewers approving their districts,
the city officers approving (the 先到先得 call funds at that moment, under the call's row lock), then
ranking, publicity, approval and payment, racing each other. The server is killed during the
submissions and again during the city review. Afterwards it checks in SQL: no application lost or
duplicated, no call over budget, every application's audit trail replaying to its state. Prints the
figures; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

DISTRICTS = ("津南区", "滨海新区", "西青区", "东丽区")
PASSWORD = "chaos-password-2023"
FINAL = {"paid", "not_funded"}


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    transport_errors: int = 0
    server_errors: int = 0
    submitted: int = 0
    city_approved: int = 0
    kills: list[float] = field(default_factory=list)

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + n)


class Server:
    """A uvicorn process we can kill -9 and start again on the same port."""

    def __init__(self, url: str, port: int, home: str):
        self.env = {**os.environ, "HUIQI_DATABASE_URL": url, "HUIQI_HOME": home, "HUIQI_UPLOADS": os.path.join(home, "uploads")}
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "uvicorn", "huiqi.web.app:app", "--host", "127.0.0.1", "--port", str(self.port),
                                         "--log-level", "warning"], env=self.env)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/admin/me", timeout=2).status_code == 401:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Client:
    """One logged-in user; every request is retried through outages (connection errors, 5xx)."""

    def __init__(self, base: str, username: str, stats: Stats):
        self.http = httpx.Client(base_url=base + "/api/admin", timeout=30)
        self.stats = stats
        self.headers: dict[str, str] = {}
        token = self.request("POST", "/auth/login", json={"username": username, "password": PASSWORD}).json()["token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        delay = 0.05
        headers = {**self.headers, **kw.pop("headers", {})}
        for _attempt in range(400):
            self.stats.add("requests")
            try:
                response = self.http.request(method, path, headers=headers, **kw)
            except httpx.TransportError:
                self.stats.add("transport_errors")
            else:
                if response.status_code < 500:
                    return response
                self.stats.add("server_errors")
            time.sleep(delay)
            delay = min(1.0, delay * 2)
        raise RuntimeError(f"{method} {path}: no answer after retries")


# ---------------------------------------------------------------- set-up


def scratch_database(url: str) -> str:
    base = make_url(url)
    name = f"huiqi_chaos_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, scratch: str) -> None:
    admin = create_engine(make_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(scratch).database}" WITH (FORCE)'))


def seed(url: str, applicants: int, officers: int) -> None:
    os.environ["HUIQI_DATABASE_URL"] = url
    from huiqi.admin import auth
    from huiqi.admin.db import transaction
    from huiqi.admin.migrate import upgrade

    upgrade(url)
    with transaction() as db:
        for i in range(officers):
            auth.create_user(db, f"city{i}", PASSWORD, auth.CITY, f"市科技局{i}")
        auth.create_user(db, "finance0", PASSWORD, auth.FINANCE, "市财政局0")
        auth.create_user(db, "finance1", PASSWORD, auth.FINANCE, "市财政局1")
        for i, district in enumerate(DISTRICTS):
            auth.create_user(db, f"district{i}", PASSWORD, auth.DISTRICT, f"{district}科技局", district=district)
        for i in range(applicants):
            auth.create_user(db, f"ent{i}", PASSWORD, auth.APPLICANT, f"企业{i:03d}", district=DISTRICTS[i % len(DISTRICTS)], subject="enterprise",
                             credit_code=f"91120000CHAOS{i:05d}")


def profile(i: int) -> dict[str, Any]:
    rng = random.Random(i)
    rd = rng.randrange(1_000_000, 30_000_000, 10_000)
    return {"subject": "enterprise", "name": f"企业{i:03d}", "facts": {
        "registered_in_tianjin": True, "independent_legal_person": True, "dishonest_record": False, "rd_super_deduction_enjoyed_last_year": True,
        "in_national_sci_tech_survey": False, "national_high_tech": False, "unicorn": False, "tech_leader": False, "tech_leader_cultivation": False,
        "dengling": False, "tech_sme": i % 3 == 0, "chuying": i % 10 == 0, "chuying_evaluated_year": 2023, "above_designated_size": i % 2 == 0,
        "district": DISTRICTS[i % len(DISTRICTS)], "industry": ("manufacturing", "software_it", "scientific_research")[i % 3]},
        "yearly": {"rd_expense": {"2022": rd, "2021": int(rd * rng.uniform(0.7, 1.3))}, "revenue": {"2022": rd * rng.randint(8, 40)},
                   "tax_paid": {"2022": rng.randrange(100_000, 20_000_000, 1000)}}}


def publish_calls(city: Client, applicants: int) -> dict[str, int]:
    today = date.today()
    common = {"opens_on": (today - timedelta(days=1)).isoformat(), "closes_on": (today + timedelta(days=30)).isoformat(), "as_of": "2023-06-30",
              "measure_id": "tj.rd-post-subsidy.general", "materials": [], "target_groups": ["天津市内注册企业"], "publicity_days": 5}
    # budgets well below demand (roughly 2–3 × 10万 per applicant), so the cut-off is exercised
    calls = {"queue": {**common, "title": "先到先得（压测）", "ranking_rule": "first_come", "budget_yuan": str(applicants * 200_000)},
             "ranked": {**common, "title": "2023年度研发投入后补助（压测）", "ranking_rule": "rd_post_subsidy", "budget_yuan": str(applicants * 250_000),
                        "extra_measure_ids": ["tj.rd-post-subsidy.chuying"]}}
    ids = {}
    for key, body in calls.items():
        ids[key] = city.request("POST", "/calls", json=body).json()["id"]
        city.request("POST", f"/calls/{ids[key]}/publish")
    return ids


# ---------------------------------------------------------------- the actors


def applicant(base: str, i: int, calls: dict[str, int], stats: Stats, known: dict[str, int]) -> None:
    client = Client(base, f"ent{i}", stats)
    for call_id in calls.values():
        key = f"chaos-{i}-{call_id}"  # the same key on every retry: one application, however often it is sent
        response = client.request("POST", f"/calls/{call_id}/applications", json={"profile": profile(i), "pledge": True}, headers={"Idempotency-Key": key})
        assert response.status_code in (200, 201), response.text
        app_id = response.json()["id"]
        known[key] = app_id
        submitted = client.request("POST", f"/applications/{app_id}/submit")
        assert submitted.status_code == 200, submitted.text
        stats.add("submitted")


def reviewer(base: str, username: str, action: str, status: str, stats: Stats, done: threading.Event) -> None:
    client = Client(base, username, stats)
    while True:
        finished = done.is_set()  # read before listing: after the last submission, one more full pass
        waiting = client.request("GET", "/applications", params={"status": status, "limit": 1000}).json()
        random.shuffle(waiting)  # officers collide on the same applications now and then
        for app in waiting:
            response = client.request("POST", f"/applications/{app['id']}/review/{action}", json={})
            if response.status_code == 200 and action == "city_approve":
                stats.add("city_approved")
        if finished and not waiting:
            return
        time.sleep(0.05)


def killer(server: Server, stats: Stats, thresholds: list[tuple[str, int]]) -> None:
    for counter, at in thresholds:
        while getattr(stats, counter) < at:
            time.sleep(0.01)
        server.kill()
        stats.kills.append(time.time())
        time.sleep(0.5)
        server.start()


def run_together(targets: list[tuple[Any, tuple]]) -> None:
    threads = [threading.Thread(target=f, args=a) for f, a in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def close_calls(base: str, calls: dict[str, int], officers: int, stats: Stats) -> None:
    """Rank (racing officers), publicise as of ten days ago, approve, and pay (racing finance clerks)."""
    cities = [Client(base, f"city{i}", stats) for i in range(min(officers, 3))]
    run_together([(_post, (c, f"/calls/{calls['ranked']}/rank", None)) for c in cities])
    started = (date.today() - timedelta(days=10)).isoformat()
    for call_id in calls.values():
        run_together([(_post, (c, f"/calls/{call_id}/publicity", {"starts_on": started})) for c in cities])
        run_together([(_post, (c, f"/calls/{call_id}/approve", None)) for c in cities])
    clerks = [Client(base, f"finance{i}", stats) for i in range(2)]
    run_together([(_post, (clerk, f"/calls/{call_id}/payments", {"reference": f"压测拨付{call_id}"})) for call_id in calls.values() for clerk in clerks])


def _post(client: Client, path: str, body: Any) -> None:
    response = client.request("POST", path, json=body)
    assert response.status_code in (200, 201, 409), f"{path}: {response.status_code} {response.text}"


# ---------------------------------------------------------------- checks


def verify(url: str, known: dict[str, int], applicants: int, calls: dict[str, int]) -> dict[str, Any]:
    os.environ["HUIQI_DATABASE_URL"] = url
    from huiqi.admin.db import transaction
    from huiqi.admin.integrity import check

    with transaction() as db:
        report = check(db)
        rows = db.execute(text("SELECT idempotency_key, id, status FROM adm_applications")).all()
    by_key = {key: (app_id, status) for key, app_id, status in rows}
    expected = {f"chaos-{i}-{c}" for i in range(applicants) for c in calls.values()}
    lost = sorted(expected - set(by_key))
    mismatched = sorted(k for k, app_id in known.items() if by_key.get(k, (None,))[0] != app_id)
    stuck = sorted(k for k, (_, status) in by_key.items() if status not in FINAL)
    return {"report": report, "expected": len(expected), "found": len(by_key), "lost": len(lost), "duplicates": report.duplicates + max(0, len(by_key) - len(expected)),
            "client_ids_differ": len(mismatched), "not_final": len(stuck),
            "statuses": {s: sum(1 for _, st in by_key.values() if st == s) for s in sorted({st for _, st in by_key.values()})}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(database_url: str, applicants: int = 50, officers: int = 4, kills: int = 2, keep: bool = False) -> dict[str, Any]:
    scratch = scratch_database(database_url)
    home = f"/tmp/huiqi-chaos-{uuid.uuid4().hex[:6]}"
    server = Server(scratch, free_port(), home)
    stats = Stats()
    try:
        seed(scratch, applicants, officers)
        server.start()
        base = f"http://127.0.0.1:{server.port}"
        calls = publish_calls(Client(base, "city0", stats), applicants)
        total = applicants * len(calls)
        thresholds = [("submitted", total // 2), ("city_approved", total // 2)][:kills]
        submitted_all = threading.Event()
        districts_done = threading.Event()
        known: dict[str, int] = {}
        started = time.time()
        chaos = threading.Thread(target=killer, args=(server, stats, thresholds))
        chaos.start()
        appl = [threading.Thread(target=applicant, args=(base, i, calls, stats, known)) for i in range(applicants)]
        district = [threading.Thread(target=reviewer, args=(base, f"district{i}", "district_approve", "submitted", stats, submitted_all)) for i in range(len(DISTRICTS))]
        city = [threading.Thread(target=reviewer, args=(base, f"city{i}", "city_approve", "district_approved", stats, districts_done)) for i in range(officers)]
        for t in [*appl, *district, *city]:
            t.start()
        for t in appl:
            t.join()
        submitted_all.set()
        for t in district:
            t.join()
        districts_done.set()
        for t in city:
            t.join()
        chaos.join()
        close_calls(base, calls, officers, stats)
        elapsed = time.time() - started
        result = verify(scratch, known, applicants, calls)
        result.update({"clients": applicants + len(DISTRICTS) + officers, "applicants": applicants, "elapsed_s": round(elapsed, 1), "requests": stats.requests,
                       "transport_errors": stats.transport_errors, "server_errors": stats.server_errors, "kills": len(stats.kills)})
        return result
    finally:
        server.stop()
        if not keep:
            drop_database(database_url, scratch)


def print_figures(r: dict[str, Any]) -> bool:
    report = r["report"]
    print(f"客户端 {r['clients']}（申报 {r['applicants']}、区级 {len(DISTRICTS)}、市级 {r['clients'] - r['applicants'] - len(DISTRICTS)}），用时 {r['elapsed_s']} 秒，"
          f"请求 {r['requests']} 次，连接失败 {r['transport_errors']} 次，5xx {r['server_errors']} 次，服务器 kill -9 {r['kills']} 次")
    print(f"申请：应有 {r['expected']}，实有 {r['found']}，丢失 {r['lost']}，重复 {r['duplicates']}，客户端所见编号不一致 {r['client_ids_differ']}，未走完流程 {r['not_final']}")
    print(f"终态：{json.dumps(r['statuses'], ensure_ascii=False)}")
    for c in report.calls:
        print(f"通知 {c['call_id']}：预算 {c['budget_fen']} 分，已安排 {c['committed_fen']} 分，已拨付 {c['paid_fen']} 分 → {'超支' if c['call_id'] in report.over_budget else '未超支'}")
    print(f"审计：{report.audit_entries} 条申请流转记录，无法回放到当前状态的申请 {len(report.broken_trails)} 份")
    ok = report.ok and r["lost"] == 0 and r["duplicates"] == 0 and r["client_ids_differ"] == 0 and r["not_final"] == 0
    print("结论：" + ("全部通过" if ok else "未通过"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("HUIQI_TEST_POSTGRES_URL"), help="a PostgreSQL URL; a scratch database is made beside it")
    parser.add_argument("--clients", type=int, default=50, help="concurrent applicants")
    parser.add_argument("--officers", type=int, default=4, help="concurrent city officers")
    parser.add_argument("--kills", type=int, default=2, choices=(0, 1, 2), help="kill -9 the server this many times")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("需要 --database-url（PostgreSQL）或环境变量 HUIQI_TEST_POSTGRES_URL")
    sys.exit(0 if print_figures(run(args.database_url, args.clients, args.officers, args.kills, args.keep)) else 1)


if __name__ == "__main__":
    main()
