"""`huiqi admin …`: migrate the database, create staff accounts, check the books.

Passwords are read from a hidden prompt or from standard input (--password-stdin, for scripts);
never from the command line, where they would land in the shell history and the process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

admin_app = typer.Typer(help="管理端：数据库迁移、工作人员账号、账目与审计核对", no_args_is_help=True)


@admin_app.command()
def migrate() -> None:
    """运行数据库迁移（Alembic），建立或升级管理端数据表。"""
    from huiqi.admin.migrate import current_revision, upgrade
    from huiqi.config import database_url

    upgrade()
    typer.echo(f"✓ 管理端数据表已是最新版本 {current_revision()}：{_safe_url(database_url())}")


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@admin_app.command("user-add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: Annotated[str, typer.Option("--role", help="applicant | district_reviewer | city_officer | finance | auditor")],
    name: Annotated[str, typer.Option("--name", help="显示名称，例如 津南区科技局 张三")],
    district: Annotated[str | None, typer.Option("--district", help="区级初审人员（及申报人）所在区")] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="申报人类型：enterprise | person")] = None,
    credit_code: Annotated[str | None, typer.Option("--credit-code", help="申报人统一社会信用代码")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取密码（供脚本使用）")] = False,
) -> None:
    """创建账号（密码以 Argon2id 散列保存）。"""
    from huiqi.admin import auth
    from huiqi.admin.db import require_schema, transaction
    from huiqi.admin.workflow import record

    password = sys.stdin.readline().rstrip("\n") if password_stdin else typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    require_schema()
    try:
        with transaction() as db:
            user = auth.create_user(db, username, password, role, name, district=district, subject=subject, credit_code=credit_code)
            record(db, None, "user", user.id, "create", detail={"username": username, "role": role, "by": "cli"})
    except auth.AccountError as exc:
        from huiqi.cli import fail

        fail(f"{exc.field}：{exc}")
    typer.echo(f"✓ 已创建 {auth.ROLES[role]} {username}（编号 {user.id}）")


@admin_app.command()
def check() -> None:
    """核对账目与审计：预算未超支、申请不重复、每份申请的流转记录完整可回放。"""
    from huiqi.admin.db import require_schema, transaction
    from huiqi.admin.integrity import check as run_check
    from huiqi.admin.money import yuan_text

    require_schema()
    with transaction() as db:
        report = run_check(db)
    for c in report.calls:
        flag = "超支" if c["call_id"] in report.over_budget else "正常"
        typer.echo(f"通知 {c['call_id']}：预算 {yuan_text(c['budget_fen'])}，已安排 {yuan_text(c['committed_fen'])}，已拨付 {yuan_text(c['paid_fen'])} · {flag}")
    typer.echo(f"申请 {report.applications} 份，重复 {report.duplicates}；审计记录 {report.audit_entries} 条，流转不完整的申请 {len(report.broken_trails)} 份")
    if not report.ok:
        raise typer.Exit(1)
