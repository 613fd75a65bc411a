"""The huiqi command line: rich output for people, --json for programs, one-line errors, never a traceback."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from huiqi.corpus.validity import STATUS_WORDS

app = typer.Typer(help="惠企：天津企业与人才扶持政策库、规则即代码与政策计算器", no_args_is_help=True, add_completion=False)
rules_app = typer.Typer(help="规则包：列出全部措施（huiqi rules）或运行测试用例（huiqi rules test）", invoke_without_command=True)
app.add_typer(rules_app, name="rules")
registry_app = typer.Typer(help="登记表：生成合成企业登记表（huiqi registry synth），用于测试与基准", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
from huiqi.admin.cli import admin_app  # noqa: E402  (typer only: the admin modules load when a command runs)
app.add_typer(admin_app, name="admin")

out = Console()
err = Console(stderr=True, soft_wrap=True)

AsOf = Annotated[str | None, typer.Option("--as-of", help="评估日期 YYYY-MM-DD（默认今天）")]
JsonFlag = Annotated[bool, typer.Option("--json", help="输出 JSON（供程序使用）")]


class UserError(Exception):
    """An error the user can fix; printed as one line."""


def fail(message: str) -> NoReturn:
    raise UserError(message)


def parse_date(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"日期格式错误：{value!r}，应为 YYYY-MM-DD，例如 2026-11-24")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


# ---------------------------------------------------------------- library


@app.command()
def init(json_output: JsonFlag = False) -> None:
    """建立（或重建）政策库与检索索引。"""
    from huiqi.config import database_url
    from huiqi.rules.pack import load_pack
    from huiqi.storage.build import build_library

    counts = build_library()
    pack = load_pack()
    counts["measures"] = len(pack.measures)
    if json_output:
        emit_json({"database": database_url(), **counts})
        return
    out.print(f"[green]✓[/] 政策库已建立：{database_url()}")
    out.print(
        f"  文件 {counts['documents']} 件（含汇编 1 件），条款 {counts['provisions']} 条，"
        f"汇编条目 {counts['compilation_entries']} 条，依据文件引用 {counts['references']} 个；"
        f"规则包措施 {counts['measures']} 项（引文已逐条核对原文）"
    )


def _search_index():
    from huiqi.search.service import get_index

    return get_index()


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="用中文提问，例如：买机器人有补贴吗")],
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=100, help="返回条数")] = 5,
    as_of: AsOf = None,
    doc: Annotated[str | None, typer.Option("--doc", help="只在某文件中检索（文件编号或文号）")] = None,
    department: Annotated[str | None, typer.Option("--department", help="责任单位/主管处室，如 市科技局")] = None,
    beneficiary: Annotated[str | None, typer.Option("--beneficiary", help="enterprise | person | institution")] = None,
    status: Annotated[str | None, typer.Option("--status", help="评估日的文件状态：in_force | expired | not_yet_in_force | unknown")] = None,
    json_output: JsonFlag = False,
) -> None:
    """用中文检索政策条款，给出出处。"""
    day = parse_date(as_of)
    if beneficiary and beneficiary not in ("enterprise", "person", "institution"):
        fail(f"--beneficiary 取值无效：{beneficiary!r}，应为 enterprise、person 或 institution")
    if status and status not in STATUS_WORDS:
        fail(f"--status 取值无效：{status!r}，应为 {'、'.join(STATUS_WORDS)}")
    hits = _search_index().search(query, limit=limit, as_of=day, doc=doc, department=department, beneficiary=beneficiary, status=status)
    if json_output:
        emit_json(hits)
        return
    if not hits:
        out.print("没有找到相关条款。可以换个说法，或用 huiqi docs 浏览全部文件。")
        return
    for rank, hit in enumerate(hits, 1):
        number = f"（{hit['doc_number']}）" if hit["doc_number"] else ""
        out.print(f"[bold]{rank}. {hit['doc_title']}{number} {hit['label']}[/]  [dim]{hit['status_label']} · {hit['id']}[/]")
        out.print("   " + _marked(hit["snippet"]))
    out.print(f"[dim]评估日 {day.isoformat()}；用 huiqi show ID 查看全文。[/]")


def _marked(snippet: str) -> str:
    import html

    from rich.markup import escape

    text = escape(html.unescape(snippet.replace("<mark>", "\x00").replace("</mark>", "\x01")))
    return text.replace("\x00", "[bold yellow]").replace("\x01", "[/]")


@app.command()
def docs(as_of: AsOf = None, json_output: JsonFlag = False) -> None:
    """列出政策库中的全部文件：文号、日期与状态。"""
    from huiqi.storage import repo
    from huiqi.storage.db import require_library, session

    require_library()
    with session() as db:
        rows = repo.list_documents(db, parse_date(as_of))
        references = repo.list_references(db)
    if json_output:
        emit_json(rows + references)
        return
    table = Table(title=f"政策文件（{len(rows)} 件）", show_lines=False)
    for column in ("编号", "标题", "文号", "施行", "有效至", "状态", "条款"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["title"], row["doc_number"] or "—", row["effective_from"] or "—", row["effective_until"] or "—", row["status_label"], str(row["provision_count"]))
    out.print(table)
    out.print(f"[dim]另有汇编所列依据文件 {len(references)} 个（--json 输出 kind=reference）。[/]")


@app.command()
def show(item_id: Annotated[str, typer.Argument(help="文件、条款、汇编条目或引用的编号")], as_of: AsOf = None, json_output: JsonFlag = False) -> None:
    """显示一份文件或一个条款（含上下文）。"""
    from huiqi.storage import repo
    from huiqi.storage.db import require_library, session

    require_library()
    with session() as db:
        try:
            item = repo.get_item(db, item_id, parse_date(as_of))
        except repo.NotFound as exc:
            fail(str(exc))
    if json_output:
        emit_json(item)
        return
    _print_item(item)


def _print_item(item: dict[str, Any]) -> None:
    if item["kind"] == "reference":
        out.print(f"[bold]《{item['title']}》[/] {item['doc_number'] or ''}")
        out.print(f"被以下汇编条目引用：{'、'.join(item['cited_by'])}")
        return
    if item["kind"] in ("document", "compilation"):
        out.print(f"[bold]{item['title']}[/]  {item['doc_number'] or ''}")
        out.print(f"[dim]施行 {item['effective_from'] or '未载明'} · 有效至 {item['effective_until'] or '未载明'} · {item['status_label']}[/]")
        for p in item["provisions"]:
            out.print(f"[bold cyan]{p['label']}[/] {p['heading'] or ''}  [dim]{p['id']}[/]")
            if p["text"]:
                out.print(p["text"])
        return
    out.print(f"[bold]{item['doc_title']} {item['doc_number'] or ''}[/]  [dim]{item['status_label']}[/]")
    out.print(f"[bold cyan]{item['label']}[/] {item['heading'] or ''}")
    out.print(item["text"])
    context = item.get("context") or {}
    if context.get("parent"):
        out.print(f"[dim]上级：{context['parent']['label']}（{context['parent']['id']}）[/]")
    for child in context.get("children", []):
        out.print(f"[dim]  下级：{child['label']}（{child['id']}）[/]")


# ---------------------------------------------------------------- rules and calculator


@app.command()
def schema() -> None:
    """打印主体档案（企业/个人/机构）的 JSON Schema。"""
    from huiqi.rules.pack import load_pack

    emit_json(load_pack().registry.json_schema())


def _load_profile(path: Path):
    from huiqi.rules.facts import ProfileError
    from huiqi.rules.pack import load_pack

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(f"找不到档案文件：{path}")
    except json.JSONDecodeError as exc:
        fail(f"档案文件 {path} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}")
    pack = load_pack()
    try:
        return pack, pack.registry.validate(data)
    except ProfileError as exc:
        fail(f"档案 {path} 有误：{exc}")


@app.command("match")
def match_command(
    profile_path: Annotated[Path, typer.Argument(help="主体档案 JSON 文件（见 huiqi schema 与 examples/）")],
    as_of: AsOf = None,
    json_output: JsonFlag = False,
    show_all: Annotated[bool, typer.Option("--all", help="也列出不符合与已失效的措施")] = False,
) -> None:
    """计算一个主体在某日可享受的全部措施、金额与依据。"""
    from huiqi.calculator.match import match, report_json

    pack, profile = _load_profile(profile_path)
    report = match(pack, profile, parse_date(as_of))
    data = report_json(report, pack)
    if json_output:
        emit_json(data)
        return
    from huiqi.calculator.questions import next_questions
    from huiqi.calculator.render import print_report

    print_report(out, data, show_all=show_all, next_questions=next_questions(data, pack.registry, limit=4))


@app.command()
def explain(
    measure_id: Annotated[str, typer.Argument(help="措施编号（见 huiqi rules）")],
    profile_path: Annotated[Path, typer.Argument(help="主体档案 JSON 文件")],
    as_of: AsOf = None,
    json_output: JsonFlag = False,
) -> None:
    """逐条解释一项措施对某主体的判断与计算过程。"""
    from huiqi.calculator.evaluate import Evaluator
    from huiqi.calculator.match import result_json
    from huiqi.calculator.render import print_explanation

    pack, profile = _load_profile(profile_path)
    measure = pack.measures.get(measure_id)
    if measure is None:
        fail(f"找不到措施 {measure_id}；用 huiqi rules 查看全部措施编号")
    if measure.spec.beneficiary != profile.subject:
        fail(f"措施 {measure_id} 的对象是 {measure.spec.beneficiary}，档案主体是 {profile.subject}")
    evaluator = Evaluator(pack.registry)
    data = result_json(evaluator.evaluate(measure, profile, parse_date(as_of)), evaluator)
    if json_output:
        emit_json(data)
        return
    print_explanation(out, data)


@rules_app.callback()
def rules_list(
    ctx: typer.Context,
    json_output: JsonFlag = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="按文件列出全部措施与数量（Markdown，即 docs/measures.md）")] = False,
) -> None:
    """列出规则包中的全部措施。"""
    if ctx.invoked_subcommand is not None:
        return
    from huiqi.rules.describe import catalogue_markdown, describe_pack
    from huiqi.rules.pack import load_pack

    measures = describe_pack(load_pack())
    if json_output:
        emit_json(measures)
        return
    if markdown:
        sys.stdout.write(catalogue_markdown(measures))
        return
    table = Table(title=f"规则包措施（{len(measures)} 项）")
    for column in ("编号", "名称", "对象", "类型", "依据", "主管部门"):
        table.add_column(column)
    for m in measures:
        source = m["sources"][0]
        table.add_row(m["id"], m["title"], m["beneficiary"], m["kind"], f"{source['doc_number'] or source['doc_title']} {source['label']}", m["department"] or "—")
    out.print(table)


@rules_app.command("test")
def rules_test(
    measure: Annotated[list[str] | None, typer.Option("--measure", "-m", help="只运行这些措施的用例")] = None,
    file: Annotated[list[Path] | None, typer.Option("--file", "-f", help="只加载并测试这些规则文件（编写中的文件）")] = None,
    json_output: JsonFlag = False,
) -> None:
    """运行每项措施的手算测试用例（类似 openfisca test）。"""
    from huiqi.calculator.testing import run_pack_tests
    from huiqi.corpus.library import library_index
    from huiqi.rules.pack import build_pack, load_pack

    for path in file or []:
        if not path.is_file():
            fail(f"找不到规则文件：{path}")
    pack = build_pack("files", file, library_index()) if file else load_pack()
    outcomes = run_pack_tests(pack, measure)
    failed = [o for o in outcomes if not o.passed]
    if json_output:
        emit_json([o.__dict__ for o in outcomes])
    else:
        for o in failed:
            out.print(f"[red]✗[/] {o.file} {o.measure_id}「{o.case}」：{'；'.join(o.problems)}")
        measures = len({o.measure_id for o in outcomes})
        out.print(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed（{measures} 项措施）")
    if failed:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    workers: Annotated[int, typer.Option(help="工作进程数")] = 1,
) -> None:
    """启动网页与 HTTP API（默认 http://127.0.0.1:8000）。"""
    import uvicorn

    from huiqi.storage.db import require_library

    require_library()
    out.print(f"惠企已启动：http://{host}:{port}/ （API 文档 /docs，按 Ctrl+C 停止）")
    uvicorn.run("huiqi.web.app:app", host=host, port=port, workers=workers, log_level="warning")


# ---------------------------------------------------------------- batch: a whole registry at once (免申即享)


@app.command()
def batch(
    registry: Annotated[Path, typer.Argument(help="登记表文件：.csv、.parquet 或 .xlsx（列名为事实名，或用 --mapping 对应）")],
    as_of: AsOf = None,
    measures: Annotated[str | None, typer.Option("--measures", help="只评估这些措施（逗号分隔的编号）")] = None,
    engine: Annotated[str, typer.Option("--engine", help="polars（单机，默认）或 spark（local[*] 或集群）")] = "polars",
    mapping: Annotated[Path | None, typer.Option("--mapping", help="列名与单位映射文件（YAML，见 docs/batch.md）")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="输出目录")] = Path("batch-out"),
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", min=1000, help="每块行数（内存随块大小而定）")] = 250_000,
    subject: Annotated[str, typer.Option("--subject", help="登记表主体：enterprise | person | institution")] = "enterprise",
    excel: Annotated[bool, typer.Option("--excel/--no-excel", help="同时输出 Excel（汇总与推送清单）")] = True,
    all_unknown: Annotated[bool, typer.Option("--all-unknown", help="结果中也逐行写出因登记表缺列而待定的主体（文件会很大）")] = False,
    json_output: JsonFlag = False,
) -> None:
    """免申即享：对整个登记表逐一评估措施，输出推送清单、汇总与错误报告。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from huiqi.batch.engine import BatchError
    from huiqi.batch.registry import count_rows, load_mapping
    from huiqi.batch.run import run_batch
    from huiqi.rules.pack import load_pack

    day = parse_date(as_of)
    if engine not in ("polars", "spark"):
        fail(f"--engine 取值无效：{engine!r}，应为 polars 或 spark")
    if subject not in ("enterprise", "person", "institution"):
        fail(f"--subject 取值无效：{subject!r}，应为 enterprise、person 或 institution")
    if not registry.is_file():
        fail(f"找不到登记表文件：{registry}")
    ids = [m.strip() for m in measures.split(",") if m.strip()] if measures else None
    try:
        rule_map = load_mapping(mapping)
        total = count_rows(registry)
        with Progress(TextColumn("[bold]评估中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, disable=json_output or (total or 0) < 50_000) as bar:
            task = bar.add_task("rows", total=total)
            summary = run_batch(load_pack(), registry, day, out_dir, ids, subject, rule_map, chunk_rows, engine, excel, "all" if all_unknown else "local", lambda n: bar.advance(task, n))
    except BatchError as exc:
        fail(str(exc))
    data = summary.as_dict()
    if json_output:
        emit_json(data)
        return
    out.print(f"[green]✓[/] 已评估 {summary.rows_evaluated:,} 行 × {summary.measures} 项措施（评估日 {day.isoformat()}，{summary.engine}，{summary.seconds} 秒）")
    out.print(f"  读取 {summary.rows_read:,} 行；含无法读取数值的行 {summary.rows_with_errors:,}（{summary.error_cells:,} 处，见 errors.csv，这些值按“未知”处理）；评估 {summary.rows_evaluated:,} 行")
    _print_batch_top(out_dir)
    if summary.absent_facts:
        shown = "、".join(summary.absent_facts[:8]) + ("等" if len(summary.absent_facts) > 8 else "")
        out.print(f"[dim]登记表没有以下列，相关措施对所有主体为“待补充信息”：{shown}（共 {len(summary.absent_facts)} 列，详见 summary_by_measure）[/]")
    out.print(f"[dim]输出目录：{out_dir}（results.parquet、summary_by_measure、push_list_*、errors.csv、summary.json）[/]")


def _print_batch_top(out_dir: Path) -> None:
    import polars as pl

    from huiqi.calculator.evaluate import format_yuan

    table_path = out_dir / "summary_by_measure.parquet"
    if not table_path.exists():
        return
    top = pl.read_parquet(table_path).filter(pl.col("eligible") > 0).sort("amount_max_total", descending=True).head(10)
    if top.height == 0:
        out.print("没有主体符合任何措施。")
        return
    table = Table(title="符合主体最多金额的措施（前 10 项）")
    for column in ("措施", "符合", "待补充信息", "待推送", "金额合计", "未知事实挡住的资金"):
        table.add_column(column)
    for r in top.iter_rows(named=True):
        table.add_row(r["title"], f"{r['eligible']:,}", f"{r['unknown']:,}", f"{r['to_push']:,}", format_yuan(r["amount_max_total"]), format_yuan(r["held_back"]))
    out.print(table)


@registry_app.command("synth")
def registry_synth(
    n: Annotated[int, typer.Option("--n", min=1, help="行数（企业数）")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="随机种子（相同种子得到相同登记表）")] = 0,
    out_path: Annotated[Path, typer.Option("--out", help="输出文件：.parquet 或 .csv")] = Path("registry.parquet"),
    malformed_rate: Annotated[float, typer.Option("--malformed-rate", min=0.0, max=1.0, help="含无法读取数值的行比例（仅 CSV）")] = 0.0,
    year: Annotated[int | None, typer.Option("--year", help="参考年份：按年事实覆盖该年及前四年（默认今年）")] = None,
    facts: Annotated[str, typer.Option("--facts", help="core：常见登记表的列；all：规则包中全部企业事实")] = "core",
    json_output: JsonFlag = False,
) -> None:
    """生成带种子的合成企业登记表（行业、规模、营收、研发、资质、所在区；含缺失值与少量错误值）。"""
    from huiqi.batch import synth
    from huiqi.rules.pack import load_pack

    if out_path.suffix.lower() not in (".parquet", ".csv"):
        fail(f"--out 应为 .parquet 或 .csv 文件：{out_path}")
    if facts not in ("core", "all"):
        fail(f"--facts 取值无效：{facts!r}，应为 core 或 all")
    if malformed_rate and out_path.suffix.lower() != ".csv":
        fail("--malformed-rate 只用于 CSV（Parquet 的列有类型，写不进错误值）")
    frame = synth.synthesize(load_pack(), n, seed=seed, year=year, facts=facts)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    spoiled = synth.write(frame, out_path, malformed_rate, seed)
    data = {"path": str(out_path), "rows": frame.height, "columns": frame.width, "malformed_cells": spoiled, "seed": seed}
    if json_output:
        emit_json(data)
        return
    out.print(f"[green]✓[/] 已生成 {frame.height:,} 行 × {frame.width} 列：{out_path}" + (f"（含 {spoiled:,} 处错误值）" if spoiled else ""))


# ---------------------------------------------------------------- entry point


def main() -> None:
    """Run the CLI, turning known errors into one line on stderr and a non-zero exit."""
    from huiqi.rules.pack import PackError
    from huiqi.search.engine import EmptyQuery
    from huiqi.storage.db import DatabaseMissing

    try:
        app(standalone_mode=False)
    except (UserError, DatabaseMissing, EmptyQuery, PackError) as exc:
        err.print(f"[red]错误：[/]{exc}", highlight=False)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("已取消")
        sys.exit(130)
    except Exception as exc:  # click usage errors and anything unexpected: one line, no traceback
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        err.print(f"[red]内部错误：[/]{type(exc).__name__}: {exc}", highlight=False)
        sys.exit(1)
