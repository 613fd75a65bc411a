"""End to end in a real browser: Debian's Chromium driven by Playwright against a running huiqi server.

Screenshots land in var/screenshots/ (phone and desktop) so a person can look at the pages.
"""

from __future__ import annotations

import io
import re
import os
import shutil
import subprocess

import pytest
from browser_support import SHOTS, launched_chromium, require_chromium
from openpyxl import load_workbook

require_chromium()

from playwright.sync_api import Page, expect  # noqa: E402

from huiqi.web.local_server import running_server  # noqa: E402


@pytest.fixture(scope="module")
def server(db_url, tmp_path_factory):
    env = {**os.environ, "HUIQI_DATABASE_URL": db_url, "HUIQI_HOME": str(tmp_path_factory.mktemp("home"))}
    with running_server(env) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as b:
        yield b


@pytest.fixture(params=["phone", "desktop"])
def page(browser, request):
    size = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}[request.param]
    context = browser.new_context(viewport=size, locale="zh-CN", accept_downloads=True)
    pg = context.new_page()
    pg.device = request.param  # type: ignore[attr-defined]
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    context.close()
    assert not errors, errors


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}-{page.device}.png"), full_page=True)  # type: ignore[attr-defined]


def test_search_from_home_then_open_the_document(server, page: Page):
    page.goto(server + "/")
    shot(page, "home")
    page.get_by_label("问政策").fill("买机器人有补贴吗")
    page.get_by_label("问政策").press("Enter")
    expect(page.locator("#result-count")).to_contain_text("买机器人有补贴吗")
    first = page.locator(".hit").first
    expect(first.locator("mark").first).to_be_visible()
    expect(first).to_contain_text("机器人")
    shot(page, "search")
    first.locator("a.hit-title").click()
    expect(page.locator(".banner")).to_be_visible()
    expect(page.locator("h1")).to_contain_text("智能制造")
    assert "#p-" in page.url
    shot(page, "document")


def test_search_filters_by_beneficiary(server, page: Page):
    page.goto(server + "/search?q=补贴")
    page.get_by_label("对象").select_option("person")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"beneficiary=person"))
    expect(page.locator(".hit").first).to_be_visible()


def test_calculator_end_to_end_with_exports(server, page: Page, tmp_path):
    page.goto(server + "/calculator")
    page.get_by_label("评估日期").fill("2023-06-30")
    page.get_by_label("在天津市注册").select_option("true")
    page.get_by_label("所属行业").select_option("manufacturing")
    page.get_by_label("营业收入（2022年）").fill("12000")
    page.get_by_label("营业收入（2022年）").press("Tab")
    expect(page.locator("#f-yearly_revenue_2022-echo")).to_contain_text("¥120,000,000")
    page.get_by_label("研发费用（2022年）").fill("600")
    page.get_by_label("研发费用（2022年）").press("Tab")
    expect(page.locator("#totals")).to_contain_text("合计")
    expect(page.locator(".result").first).to_be_visible()
    shot(page, "calculator")

    with page.expect_download() as pdf_info:
        page.get_by_role("button", name="导出 PDF").click()
    pdf_path = tmp_path / "r.pdf"
    pdf_info.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True).stdout if shutil.which("pdftotext") else ""
    if text:
        assert "惠企政策计算报告" in text and "2023-06-30" in text

    with page.expect_download() as xlsx_info:
        page.get_by_role("button", name="导出 Excel").click()
    xlsx_path = tmp_path / "r.xlsx"
    xlsx_info.value.save_as(xlsx_path)
    book = load_workbook(io.BytesIO(xlsx_path.read_bytes()))
    assert book["汇总"]["B2"].value == "2023-06-30"
    assert book["措施明细"].max_row > 1

    page.get_by_role("button", name="复制分享链接").click()
    assert "#p=" in page.url
    shared = page.url
    page.goto("about:blank")
    page.goto(shared)
    expect(page.get_by_label("营业收入（2022年）")).to_have_value("12000")


def test_measure_page_shows_quote_and_link_into_document(server, page: Page):
    page.goto(server + "/measures")
    page.locator(".measure-list a").first.click()
    expect(page.locator("blockquote.quote").first).to_be_visible()
    shot(page, "measure")
    page.locator("blockquote.quote footer a").first.click()
    expect(page.locator(".reader")).to_be_visible()


def test_calculator_trace_loads_when_opened(server, page: Page):
    page.goto(server + "/calculator#s=enterprise")
    page.get_by_label("评估日期").fill("2022-06-30")
    page.get_by_label("在天津市注册").select_option("true")
    page.get_by_label("所属行业").select_option("manufacturing")
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")  # the last answer's results are on the page
    card = page.locator(".result").first
    expect(card).to_be_visible()
    card.get_by_text("计算过程").click()
    expect(card.locator("ol.trace li").first).to_be_visible()
