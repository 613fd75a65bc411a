"""Inline SVG charts for the performance page: geometry computed here, drawn by the template.

No script and no inline style (the site's Content-Security-Policy forbids both): bars are <rect>
elements with presentation attributes and CSS classes from admin.css. Horizontal bars, so labels
stay readable on a phone.
"""

from __future__ import annotations

from dataclasses import dataclass

from huiqi.admin.dashboard import Figures
from huiqi.admin.money import yuan_text
from huiqi.admin.workflow import STATES
from huiqi.rules.pack import load_pack

WIDTH, LABEL_WIDTH, ROW = 440, 120, 30


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: int
    width: int
    css: str


@dataclass(frozen=True)
class Chart:
    title: str
    height: int
    bars: list[Bar]
    summary: str  # the same figures as text, for screen readers and for anyone who prefers numbers

    @property
    def label_width(self) -> int:
        return LABEL_WIDTH

    @property
    def width(self) -> int:
        return WIDTH


def bar_chart(title: str, items: list[tuple[str, int, str]], as_money: bool = True) -> Chart:
    """One bar per (label, value, css class), scaled to the largest value."""
    top = max((value for _, value, _ in items), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 110
    bars = [Bar(label, yuan_text(value) if as_money else str(value), i * ROW + 6, max(1, round(span * value / top)) if value else 0, css)
            for i, (label, value, css) in enumerate(items)]
    summary = "；".join(f"{b.label} {b.value_text}" for b in bars) or "暂无数据"
    return Chart(title, max(ROW, len(items) * ROW) + 8, bars, summary)


def for_figures(f: Figures) -> list[Chart]:
    committed_unpaid = max(0, f.committed_fen - f.paid_fen)
    industry = load_pack().registry.specs.get("industry")
    industry_words = (industry.value_labels if industry else None) or {}
    return [
        bar_chart("预算执行", [("已拨付", f.paid_fen, "paid"), ("已安排未拨付", committed_unpaid, "committed"), ("预算余额", f.left_fen, "left"),
                              ("已追回", f.clawed_back_fen, "clawed")]),
        bar_chart("补助金额按区", [(k, v, "district") for k, v in sorted(f.by_district.items(), key=lambda kv: -kv[1])]),
        bar_chart("补助金额按行业", [(industry_words.get(k, k), v, "industry") for k, v in sorted(f.by_industry.items(), key=lambda kv: -kv[1])]),
        bar_chart("申请状态（件）", [(STATES.get(k, k), v, "status") for k, v in sorted(f.by_status.items())], as_money=False),
    ]
