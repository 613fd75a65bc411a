"""Rich terminal output of match reports and explanations (people read this; programs use --json)."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from huiqi.calculator.evaluate import STATUS_WORDS, format_yuan

STATUS_STYLE = {"eligible": "green", "unknown": "yellow", "ineligible": "red", "expired": "dim", "not_yet_in_force": "dim"}


def amount_text(result: dict[str, Any]) -> str:
    exact, low, high = result["amount_yuan"], result["amount_min_yuan"], result["amount_max_yuan"]
    per = result.get("per_label") or ""
    if exact is not None:
        return f"{format_yuan(exact)} {per}".strip()
    if high is not None:
        prefix = "最高 " if not low else f"{format_yuan(low)} 至 "
        return f"{prefix}{format_yuan(high)} {per}".strip()
    if result.get("per"):
        return "金额待定（需补充信息）"
    if result.get("benefit"):
        return result["benefit"]
    return "—"


UNKNOWN_SHOWN = 10


def print_report(console: Console, data: dict[str, Any], *, show_all: bool = False, next_questions: list[dict[str, Any]] | None = None) -> None:
    """A readable report: eligible measures with amounts and citations, the undecided ones worth most, and what to add."""
    console.print(f"[bold]{data.get('name') or '主体'}[/] · 评估日 {data['as_of']}")
    console.print(f"合计（确定金额）：[bold red]{format_yuan(data['total_yuan'])}[/]；含区间上限：{format_yuan(data['total_max_yuan'])}")
    for adjustment in data["adjustments"]:
        console.print(f"[dim]{adjustment['detail']}[/]")
    by_status: dict[str, list[dict[str, Any]]] = {}
    for r in data["results"]:
        by_status.setdefault(r["status"], []).append(r)
    for status in ("eligible", "unknown", "ineligible", "expired", "not_yet_in_force"):
        items = by_status.get(status, [])
        if not items or (not show_all and status in ("ineligible", "expired", "not_yet_in_force")):
            continue
        shown = items if show_all or status != "unknown" else items[:UNKNOWN_SHOWN]
        more = f"，列出可能金额最高的 {len(shown)} 项" if len(shown) < len(items) else ""
        console.print(f"\n[bold {STATUS_STYLE[status]}]{STATUS_WORDS[status]}（{len(items)} 项{more}）[/]")
        for r in shown:
            _print_result_line(console, r)
    near = by_status.get("ineligible", [])
    near = [r for r in near if r["near_misses"]]
    if near and not show_all:
        console.print("\n[bold]差一点就符合：[/]")
        for r in near:
            console.print(f"  · {r['title']}：{'；'.join(r['near_misses'])}")
    if next_questions:
        console.print("\n[bold]最值得补充的信息：[/]" + "；".join(f"{q['label']}（可确定 {len(q['measures'])} 项）" for q in next_questions))
    hidden = sum(len(by_status.get(s, [])) for s in ("ineligible", "expired", "not_yet_in_force"))
    if not show_all:
        console.print(f"[dim]另有不符合、已失效或尚未施行的措施 {hidden} 项：用 --all 查看全部；huiqi explain 措施编号 档案 查看计算过程。[/]")


def _print_result_line(console: Console, r: dict[str, Any]) -> None:
    source = r["source"]
    counted = "" if r["counted"] else " [dim](不计入合计)[/]"
    console.print(f"  [bold]{amount_text(r)}[/]  {r['title']}{counted} [dim]{r['measure_id']}[/]")
    console.print(f"      [dim]依据：{source['doc_title']}{'（' + source['doc_number'] + '）' if source['doc_number'] else ''} {source['label']}[/]")
    if r["missing_labels"]:
        console.print(f"      [yellow]需补充：{'、'.join(r['missing_labels'])}[/]")
    for note in r["notes"]:
        console.print(f"      [dim]{note}[/]")


def print_explanation(console: Console, r: dict[str, Any]) -> None:
    style = STATUS_STYLE[r["status"]]
    console.print(f"[bold]{r['title']}[/]（{r['measure_id']}）：[{style}]{STATUS_WORDS[r['status']]}[/]  {amount_text(r)}")
    for step in r["trace"]:
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}.get(step["value"], "·") if step["kind"] == "condition" else "·"
        detail = f"  [dim]{step['detail']}[/]" if step["detail"] else ""
        value = "" if step["kind"] == "condition" or step["value"] is None else f" = {step['value']}"
        console.print(f"  {mark} {step['label']}{value}{detail}")
    if r["missing_labels"]:
        console.print("[yellow]需补充：[/]" + "、".join(r["missing_labels"]))
    for hint in r["near_misses"]:
        console.print(f"[cyan]差距：[/]{hint}")
    for note in r["notes"]:
        console.print(f"[dim]{note}[/]")
    for s in r["sources"]:
        console.print(f"[bold]依据[/]：{s['doc_title']} {s['doc_number'] or ''} {s['label']}：“{s['quote']}”")
    if r["department"] or r["window"]:
        console.print(f"[bold]受理[/]：{r['department'] or ''} {r['window'] or ''} {r['contact'] or ''}")
