"""Rich terminal output of match reports and explanations (people read this; programs use --json)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

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


def print_report(console: Console, data: dict[str, Any], *, show_all: bool = False) -> None:
    title = f"{data.get('name') or '主体'} · 评估日 {data['as_of']}"
    table = Table(title=title, show_lines=True)
    for column in ("状态", "措施", "金额/待遇", "依据", "说明"):
        table.add_column(column)
    shown = [r for r in data["results"] if show_all or r["status"] in ("eligible", "unknown")]
    for r in shown:
        source = r["source"]
        cite = f"{source['doc_number'] or source['doc_title']} {source['label']}"
        remarks = list(r["notes"])
        if r["missing_labels"]:
            remarks.append("需补充：" + "、".join(r["missing_labels"]))
        remarks.extend(r["near_misses"])
        style = STATUS_STYLE[r["status"]]
        table.add_row(f"[{style}]{STATUS_WORDS[r['status']]}[/]", f"{r['title']}\n[dim]{r['measure_id']}[/]", amount_text(r), cite, "\n".join(remarks))
    console.print(table)
    counts: dict[str, int] = {}
    for r in data["results"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = "，".join(f"{STATUS_WORDS[s]} {n} 项" for s, n in counts.items())
    console.print(f"合计（确定金额）：[bold]{format_yuan(data['total_yuan'])}[/]；含区间上限：{format_yuan(data['total_max_yuan'])}。{summary}")
    for adjustment in data["adjustments"]:
        console.print(f"[dim]{adjustment['detail']}[/]")
    near = [r for r in data["results"] if r["status"] == "ineligible" and r["near_misses"]]
    if near and not show_all:
        console.print("[bold]差一点就符合：[/]")
        for r in near:
            console.print(f"  · {r['title']}：{'；'.join(r['near_misses'])}")
    if not show_all:
        console.print("[dim]用 --all 查看全部措施，huiqi explain 措施编号 档案 查看计算过程。[/]")


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
