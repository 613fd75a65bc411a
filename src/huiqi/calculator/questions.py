"""Adaptive questioning: which facts to ask next, ranked by how many undecided measures they would settle.

A fact missing from many "unknown" measures, or from measures worth a lot, is asked first; the
calculator form shows a few at a time and re-ranks after each answer.
"""

from __future__ import annotations

from typing import Any

from huiqi.rules.facts import FactRegistry


def next_questions(report: dict[str, Any], registry: FactRegistry, limit: int = 6) -> list[dict[str, Any]]:
    tally: dict[str, dict[str, Any]] = {}
    for result in report["results"]:
        if result["status"] != "unknown":
            continue
        worth = result["amount_max_yuan"] or 0
        for column, label in zip(result["missing"], result["missing_labels"]):
            entry = tally.setdefault(column, {"column": column, "label": label, "measures": [], "worth_yuan": 0.0})
            entry["measures"].append(result["measure_id"])
            entry["worth_yuan"] += worth
    ranked = sorted(tally.values(), key=lambda e: (-len(e["measures"]), -e["worth_yuan"], e["column"]))
    return [_with_input(entry, registry) for entry in ranked[:limit]]


def _with_input(entry: dict[str, Any], registry: FactRegistry) -> dict[str, Any]:
    """Where the answer goes in a profile (facts.x or yearly.x.YEAR) and what kind of input it takes."""
    column = entry["column"]
    name, year = column, None
    if column not in registry:
        base, _, suffix = column.rpartition("_")
        if suffix.isdigit() and base in registry:
            name, year = base, int(suffix)
    spec = registry.specs.get(name)
    entry.update(
        {
            "fact": name,
            "year": year,
            "path": f"yearly.{name}.{year}" if year is not None else f"facts.{name}",
            "type": spec.type if spec else "text",
            "unit": spec.unit if spec else None,
            "values": spec.values if spec else None,
            "description": spec.description if spec else None,
        }
    )
    return entry
