"""The administration side: calls, applications, review, ranking under a budget, publicity, payment,
clawback, 失信 records, performance figures and the audit log (see docs/admin.md)."""
