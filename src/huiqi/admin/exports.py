"""Publicity lists (公示名单), payment batches (拨付清单) and the performance figures as Excel and PDF.

The same approach as huiqi.web.export: openpyxl for workbooks, reportlab with the Adobe CID font
STSong-Light for Chinese PDFs (no font file shipped). Amounts are exact: Decimal yuan from integer fen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from huiqi.admin.dashboard import Figures
from huiqi.admin.models import Application, Call, PaymentBatch
from huiqi.admin.money import yuan_decimal, yuan_text
from huiqi.admin.ranking import POOL_WORDS
from huiqi.admin.workflow import STATES
from huiqi.web.export import FONT, XLSX_TYPE

__all__ = ["XLSX_TYPE", "Sheet", "publicity_sheet", "payment_sheet", "dashboard_sheets", "to_xlsx", "to_pdf"]


@dataclass
class Sheet:
    """A titled table: the unit both exporters write. Money columns hold Decimal yuan."""

    title: str
    heading: str
    columns: Sequence[str]
    rows: list[list[Any]]
    notes: Sequence[str] = ()
    money_columns: Sequence[int] = ()


def publicity_sheet(call: Call, apps: list[Application], ends_on: Any) -> Sheet:
    rows = [[i, a.name, a.credit_code or "", a.district, POOL_WORDS.get(a.pool or "", ""), a.rank or "", yuan_decimal(a.requested_fen),
             yuan_decimal(a.granted_fen), a.ranking_note or ""] for i, a in enumerate(apps, 1)]
    notes = [f"公示期：{call.publicity_starts_on} 至 {ends_on}（{call.publicity_days} 天）。对名单有异议的，请在公示期内向市科技局反映。",
             "依据：津科规〔2021〕4号 第五条（排序原则）、第十三条（生成拟补助名单）、第十四条（公示结果）。"]
    return Sheet("公示名单", f"{call.title} 拟补助企业名单公示", ("序号", "名称", "统一社会信用代码", "所在区", "类别", "排名", "核定金额（元）", "拟补助金额（元）", "说明"),
                 rows, notes, money_columns=(6, 7))


def payment_sheet(call: Call, batch: PaymentBatch, apps: list[tuple[Application, int]]) -> Sheet:
    rows = [[i, a.name, a.credit_code or "", a.district, yuan_decimal(amount), STATES[a.status]] for i, (a, amount) in enumerate(apps, 1)]
    notes = [f"拨付批次 {batch.id}，文号/编号：{batch.reference}，合计 {yuan_text(batch.total_fen)}，{len(apps)} 家。",
             "依据：津科规〔2021〕4号 第十六条 资金拨付（市科技局会同市财政局联文下达补助资金计划，通过现行财政资金拨付渠道拨付）。"]
    return Sheet("拨付清单", f"{call.title} 补助资金拨付清单", ("序号", "名称", "统一社会信用代码", "所在区", "拨付金额（元）", "状态"), rows, notes, money_columns=(4,))


def dashboard_sheets(figures: Figures) -> list[Sheet]:
    days = figures.days_summary()
    summary = [["年度预算", yuan_decimal(figures.budget_fen)], ["已安排（拟补助及以后）", yuan_decimal(figures.committed_fen)],
               ["预算余额", yuan_decimal(figures.left_fen)], ["已拨付", yuan_decimal(figures.paid_fen)], ["已追回", yuan_decimal(figures.clawed_back_fen)],
               ["追回笔数", figures.clawbacks], ["提交至拨付天数（中位数）", days["median"]], ["提交至拨付天数（平均）", days["mean"]]]
    summary += [[f"不予支持：{k}", v] for k, v in figures.rejections.items()]
    summary += [[f"状态：{STATES.get(k, k)}", v] for k, v in figures.by_status.items()]
    return [
        Sheet("汇总", f"{figures.title} 绩效", ("指标", "数值"), summary, ("依据：津科规〔2021〕4号 第十九条 绩效管理。",)),
        Sheet("按区", "补助金额按区", ("所在区", "金额（元）"), [[k, yuan_decimal(v)] for k, v in sorted(figures.by_district.items())], money_columns=(1,)),
        Sheet("按行业", "补助金额按行业", ("行业", "金额（元）"), [[k, yuan_decimal(v)] for k, v in sorted(figures.by_industry.items())], money_columns=(1,)),
    ]


def to_xlsx(sheets: list[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title)
        ws.append([sheet.heading])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(list(sheet.columns))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append(row)
        for row in ws.iter_rows(min_row=3, max_row=2 + len(sheet.rows)):
            for index in sheet.money_columns:
                row[index].number_format = "#,##0.00"
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        for note in sheet.notes:
            ws.append([note])
        for index, column in enumerate(sheet.columns):
            ws.column_dimensions[chr(ord("A") + index)].width = max(12, min(40, len(column) * 2 + 4))
        ws.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(sheets: list[Sheet]) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    title = ParagraphStyle("title", parent=base, fontSize=15, leading=22, spaceAfter=6)
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    story: list[Any] = []
    for sheet in sheets:
        story.append(Paragraph(escape(sheet.heading), title))
        cells = [[Paragraph(escape(c), base) for c in sheet.columns]]
        cells += [[Paragraph(escape(_pdf_cell(v, i in sheet.money_columns)), base) for i, v in enumerate(row)] for row in sheet.rows]
        table = Table(cells, repeatRows=1)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story += [table, Spacer(1, 3 * mm)]
        story += [Paragraph(escape(note), small) for note in sheet.notes]
        story.append(Spacer(1, 6 * mm))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
                      title=sheets[0].heading if sheets else "惠企").build(story)
    return buffer.getvalue()


def _pdf_cell(value: Any, money: bool) -> str:
    if value is None:
        return ""
    if money:
        return yuan_text(int(value * 100))
    return str(value)
