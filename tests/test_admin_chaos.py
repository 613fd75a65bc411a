"""The load-and-fault run of benchmarks/admin_chaos.py in a reduced form: a real uvicorn server on loopback
over PostgreSQL, killed with SIGKILL twice mid-run and restarted; nothing lost, duplicated or over budget."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from test_admin_support import POSTGRES_URL

CHAOS = Path(__file__).resolve().parent.parent / "benchmarks" / "admin_chaos.py"


def _load():
    spec = importlib.util.spec_from_file_location("admin_chaos", CHAOS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not POSTGRES_URL, reason="HUIQI_TEST_POSTGRES_URL is not set (CI always sets it)")
def test_kill_9_mid_run_loses_nothing(monkeypatch):
    chaos = _load()
    monkeypatch.setenv("HUIQI_DATABASE_URL", "sqlite:///unused")  # restored after: run() points it at its scratch database
    result = chaos.run(POSTGRES_URL, applicants=12, officers=3, kills=2)
    report = result["report"]
    assert result["kills"] == 2 and result["transport_errors"] > 0  # the outages really happened
    assert (result["expected"], result["found"], result["lost"], result["duplicates"], result["client_ids_differ"]) == (24, 24, 0, 0, 0)
    assert result["not_final"] == 0 and result["server_errors"] == 0
    assert not report.over_budget and all(c["committed_fen"] <= c["budget_fen"] and c["paid_fen"] <= c["budget_fen"] for c in report.calls)
    assert report.broken_trails == [] and report.audit_entries >= 24 * 5
