"""Checks that the books are right, straight in SQL: no call over budget, no application twice, and an
audit trail for every application that replays, step by step, to the state it is in.

Used by `huiqi admin check`, by benchmarks/admin_chaos.py after the server has been killed and
restarted, and by the tests.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

BUDGET_SQL = text("""
    SELECT c.id, c.budget_fen,
           COALESCE((SELECT SUM(a.granted_fen) FROM adm_applications a
                     WHERE a.call_id = c.id AND a.status IN ('ranked', 'publicity', 'approved', 'paid', 'clawed_back')), 0) AS committed_fen,
           COALESCE((SELECT SUM(p.amount_fen) FROM adm_payments p JOIN adm_payment_batches b ON b.id = p.batch_id
                     WHERE b.call_id = c.id), 0) AS paid_fen
    FROM adm_calls c ORDER BY c.id
""")
DUPLICATES_SQL = text("""
    SELECT COUNT(*) FROM (SELECT call_id, applicant_id FROM adm_applications GROUP BY call_id, applicant_id HAVING COUNT(*) > 1) d
""")
TRAIL_SQL = text("""
    SELECT e.entity_id, e.action, e.from_status, e.to_status FROM adm_audit e
    WHERE e.entity = 'application' ORDER BY e.entity_id, e.id
""")


@dataclass
class Report:
    calls: list[dict[str, int]] = field(default_factory=list)
    over_budget: list[int] = field(default_factory=list)
    applications: int = 0
    duplicates: int = 0
    audit_entries: int = 0
    broken_trails: list[int] = field(default_factory=list)  # application ids whose trail does not replay

    @property
    def ok(self) -> bool:
        return not self.over_budget and not self.duplicates and not self.broken_trails


def check(db: Session) -> Report:
    report = Report()
    for call_id, budget, committed, paid in db.execute(BUDGET_SQL):
        report.calls.append({"call_id": call_id, "budget_fen": int(budget), "committed_fen": int(committed), "paid_fen": int(paid)})
        if committed > budget or paid > budget:
            report.over_budget.append(call_id)
    report.duplicates = int(db.execute(DUPLICATES_SQL).scalar_one())
    statuses = dict(db.execute(text("SELECT id, status FROM adm_applications")).all())
    report.applications = len(statuses)
    trails: dict[int, list[tuple[str, str | None, str | None]]] = defaultdict(list)
    for entity_id, action, from_status, to_status in db.execute(TRAIL_SQL):
        trails[entity_id].append((action, from_status, to_status))
        report.audit_entries += 1
    report.broken_trails = [app_id for app_id, status in statuses.items() if not _replays(trails.get(app_id, []), status)]
    return report


def _replays(trail: list[tuple[str, str | None, str | None]], status: str) -> bool:
    """The trail starts with the creation and each step leaves from where the previous one arrived."""
    if not trail or trail[0][0] != "create":
        return False
    state = trail[0][2]
    for _action, from_status, to_status in trail[1:]:
        if from_status != state:
            return False
        state = to_status
    return state == status
