"""A document's status on a date, from its effective dates."""

from __future__ import annotations

from datetime import date

IN_FORCE, EXPIRED, NOT_YET, UNKNOWN = "in_force", "expired", "not_yet_in_force", "unknown"
STATUS_WORDS = {IN_FORCE: "现行有效", EXPIRED: "已失效", NOT_YET: "尚未施行", UNKNOWN: "有效期未载明"}


def status_on(effective_from: date | None, effective_until: date | None, as_of: date) -> str:
    """in_force / expired / not_yet_in_force / unknown (the text states no dates at all)."""
    if effective_from and as_of < effective_from:
        return NOT_YET
    if effective_until and as_of > effective_until:
        return EXPIRED
    if effective_from or effective_until:
        return IN_FORCE
    return UNKNOWN
