"""Exports of a match report: an Excel workbook (openpyxl) and a PDF report with citations (reportlab).

The PDF uses the Adobe CID font STSong-Light, which PDF readers provide for Chinese text, so no font
file is shipped or downloaded.
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from xml.sax.saxutils import escape

from huiqi.calculator.evaluate import STATUS_WORDS, format_yuan
from huiqi.calculator.render import amount_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FONT = "STSong-Light"

COLUMNS = ("状态", "措施编号", "措施", "金额（元）", "最低（元）", "最高（元）", "口径", "依据文件", "文号", "条款", "原文", "主管部门", "受理时间", "需补充", "说明")


def _row(r: dict[str, Any]) -> list[Any]:
    s = r["source"]
    notes = [*r["notes"], *r["near_misses"]]
    return [
        STATUS_WORDS[r["status"]], r["measure_id"], r["title"], r["amount_yuan"], r["amount_min_yuan"], r["amount_max_yuan"],
        r.get("per_label") or "", s["doc_title"], s["doc_number"] or "", s["label"], s["quote"], r["department"] or "",
        r["window"] or "", "、".join(r["missing_labels"]), "；".join(notes),
    ]


def to_xlsx(report: dict[str, Any]) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    summary.append(["主体", report.get("name") or ""])
    summary.append(["评估日期", report["as_of"]])
    summary.append(["确定金额合计（元）", report["total_yuan"]])
    summary.append(["含区间上限合计（元）", report["total_max_yuan"]])
    for status, word in STATUS_WORDS.items():
        summary.append([f"{word}（项）", sum(1 for r in report["results"] if r["status"] == status)])
    for adjustment in report["adjustments"]:
        summary.append(["限额调整", adjustment["detail"]])
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 40

    sheet = book.create_sheet("措施明细")
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for result in report["results"]:
        sheet.append(_row(result))
    for letter, width in zip("ABCDEFGHIJKLMNO", (10, 30, 30, 14, 14, 14, 10, 30, 20, 14, 60, 18, 16, 30, 40)):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for cell in row[3:6]:
            cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"

    trace = book.create_sheet("计算过程")
    trace.append(["措施编号", "类型", "项目", "取值", "说明"])
    for result in report["results"]:
        for step in result["trace"]:
            trace.append([result["measure_id"], step["kind"], step["label"], _cell(step["value"]), step["detail"]])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return {True: "是", False: "否", None: "未知"}[value]
    return value


def to_pdf(report: dict[str, Any]) -> bytes:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=14, wordWrap="CJK")
    small = ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.HexColor("#555555"))
    title = ParagraphStyle("title", parent=base, fontSize=16, leading=22, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)

    story: list[Any] = [
        Paragraph("惠企政策计算报告", title),
        Paragraph(escape(f"主体：{report.get('name') or '未命名'}　评估日期：{report['as_of']}"), base),
        Paragraph(escape(f"确定金额合计：{format_yuan(report['total_yuan'])}；含区间上限：{format_yuan(report['total_max_yuan'])}"), base),
        Spacer(1, 4 * mm),
    ]
    for status in ("eligible", "unknown", "ineligible", "expired", "not_yet_in_force"):
        group = [r for r in report["results"] if r["status"] == status]
        if not group:
            continue
        story.append(Paragraph(f"{STATUS_WORDS[status]}（{len(group)} 项）", heading))
        rows = [[Paragraph(h, base) for h in ("措施", "金额/待遇", "依据")]]
        for r in group:
            s = r["source"]
            cite = f"{s['doc_title']} {s['doc_number'] or ''} {s['label']}<br/>“{escape(s['quote'])}”"
            extra = [*r["notes"], *r["near_misses"]]
            if r["missing_labels"]:
                extra.insert(0, "需补充：" + "、".join(r["missing_labels"]))
            what = escape(r["title"]) + (f"<br/><font size=7>{escape('；'.join(extra))}</font>" if extra else "")
            rows.append([Paragraph(what, base), Paragraph(escape(amount_text(r)), base), Paragraph(cite, small)])
        table = Table(rows, colWidths=[55 * mm, 40 * mm, 80 * mm], repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph("说明：金额依据所引条款计算；标注区间或“最高”的，由主管部门按规定确定具体金额。结果仅供参考，以主管部门审核为准。", small))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm, bottomMargin=15 * mm, title="惠企政策计算报告").build(story)
    return buffer.getvalue()
