"""The administration side end to end in Debian's Chromium (Playwright) against a running huiqi server:
a call is published, three enterprises apply, two are reviewed and ranked (the third is returned for
correction), the list is publicised and paid, one is clawed back with a 失信 record.

Screenshots land in var/screenshots/admin-*.png.
"""

from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
from browser_support import SHOTS, launched_chromium, require_chromium
from openpyxl import load_workbook

from huiqi.admin.forms import form_values
from huiqi.web.local_server import running_server
from test_admin_support import PASSWORD, PDF, TODAY, fresh_database, rd_profile, seed_people

require_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("admin-browser")
    url = fresh_database("sqlite", folder)
    saved = os.environ.get("HUIQI_DATABASE_URL")
    os.environ["HUIQI_DATABASE_URL"] = url
    try:
        seed_people()
    finally:
        if saved is None:
            os.environ.pop("HUIQI_DATABASE_URL")
        else:
            os.environ["HUIQI_DATABASE_URL"] = saved
    env = {**os.environ, "HUIQI_DATABASE_URL": url, "HUIQI_HOME": str(folder), "HUIQI_UPLOADS": str(folder / "uploads")}
    log = folder / "server.log"
    with log.open("w") as out, running_server(env, log_level="info", output=out) as base:
        yield base, log


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as b:
        yield b


class Person:
    """One user in their own browser context (own cookie), watching for script errors and CSP violations."""

    def __init__(self, browser: Browser, base: str, username: str, viewport: dict[str, int] = DESKTOP):
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
        self.page: Page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        self.page.on("console", lambda m: self.problems.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: d.accept())
        self.base = base
        self.page.goto(base + "/admin/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page.locator("h1")).to_have_text("工作台")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"admin-{name}.png"), full_page=True)

    def open_call(self, title: str) -> None:
        self.page.goto(self.base + "/admin")
        self.page.get_by_role("link", name=title).click()

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


TITLE = "2023年度天津市企业研发投入后补助项目受理通知"


def _publish_call(browser: Browser, base: str) -> None:
    city = Person(browser, base, "city")
    city.page.get_by_role("link", name="新建申报通知").click()
    page = city.page
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("申报截止").fill((TODAY + timedelta(days=30)).isoformat())
    page.get_by_label("政策适用日期（计算器评估日）").fill("2023-06-30")
    page.get_by_label("年度预算（元）").fill("300000")
    city.shot("call-form")
    page.get_by_role("button", name="保存为草稿").click()
    expect(page.locator(".flash.ok")).to_contain_text("草稿")
    page.get_by_role("button", name="发布通知").click()
    expect(page.locator(".flash.ok")).to_contain_text("已发布")
    city.close()


def _apply(browser: Browser, base: str, key: str, viewport: dict[str, int]) -> None:
    ent = Person(browser, base, f"ent_{key}", viewport)
    ent.open_call(TITLE)
    ent.page.get_by_role("link", name="填写申请").click()
    form = ent.page.locator("#apply-form")
    for path, value in form_values(rd_profile(key)).items():
        field = form.locator(f'[name="{path}"]')
        if field.count() == 0:
            continue
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    ent.page.get_by_label("我已阅读并签署以上信用承诺").check()
    if key == "a":
        ent.shot("apply-phone" if viewport == PHONE else "apply")
    ent.page.get_by_role("button", name="保存并计算").click()
    expect(ent.page.locator("h2").filter(has_text="计算器预审")).to_contain_text("符合")
    for kind in ("《天津市企业研发投入后补助申报书》", "企业上一年度的研发支出辅助账汇总表"):
        ent.page.locator('select[name="kind"]').select_option(kind)
        ent.page.locator('input[type="file"]').set_input_files({"name": "材料.pdf", "mimeType": "application/pdf", "buffer": PDF})
        ent.page.get_by_role("button", name="上传").click()
        expect(ent.page.locator(".flash.ok")).to_contain_text("材料已上传")
    ent.page.get_by_role("button", name="提交申请").click()
    expect(ent.page.locator(".flash.ok")).to_contain_text("已提交")
    expect(ent.page.locator(".st").first).to_have_text("已提交，待区级初审")
    if key == "a":
        ent.shot("application")
    ent.close()


def _review(browser: Browser, base: str, username: str, names: list[str], button: str, reason: str = "") -> None:
    officer = Person(browser, base, username)
    for name in names:
        officer.page.goto(base + "/admin")
        officer.page.get_by_role("row").filter(has_text=name).get_by_role("link").first.click()
        if reason:
            officer.page.get_by_label("意见或理由").fill(reason)
        officer.page.get_by_role("button", name=button).click()
        expect(officer.page.locator(".flash.ok")).to_contain_text("已处理")
    officer.close()


def test_a_call_from_notice_to_payment_and_clawback(server, browser, tmp_path):
    base, log = server
    _publish_call(browser, base)
    for key, viewport in (("a", PHONE), ("b", DESKTOP), ("c", DESKTOP)):
        _apply(browser, base, key, viewport)

    _review(browser, base, "jinnan", ["甲科技有限公司", "乙制造股份公司"], "初审通过")
    _review(browser, base, "binhai", ["丙软件有限公司"], "退回补正", reason="研发支出辅助账汇总表未盖章，请补正")
    _review(browser, base, "city", ["甲科技有限公司", "乙制造股份公司"], "审核通过")

    city = Person(browser, base, "city")
    city.open_call(TITLE)
    city.page.get_by_role("button", name="排序，生成拟补助名单").click()
    ranking = city.page.locator("#ranking")
    # 规上 pool gets the whole 30万 (no 规下 applicant ranked): 甲 beats 乙 on both indicators → 甲 15万 in full, 乙 the remaining 15万
    expect(ranking.get_by_role("row").filter(has_text="甲科技有限公司")).to_contain_text("¥150,000.00")
    expect(ranking.get_by_role("row").filter(has_text="乙制造股份公司")).to_contain_text("部分补助")
    city.shot("ranking")
    city.page.get_by_label("公示开始日期（网站发布之日）").fill((TODAY - timedelta(days=7)).isoformat())
    city.page.get_by_role("button", name="登记公示").click()
    expect(city.page.locator(".flash.ok")).to_contain_text("已登记公示")
    with city.page.expect_download() as publicity:
        city.page.get_by_role("link", name="Excel").first.click()
    sheet = load_workbook(io.BytesIO(Path(publicity.value.path()).read_bytes())).active
    assert "拟补助企业名单公示" in sheet["A1"].value and any(row[1] == "甲科技有限公司" for row in sheet.iter_rows(values_only=True))
    city.page.get_by_role("button", name="公示期满，批复立项").click()
    expect(city.page.locator(".flash.ok")).to_contain_text("已批复立项")
    city.close()

    finance = Person(browser, base, "finance")
    finance.open_call(TITLE)
    finance.page.get_by_label("资金计划文号").fill("津科计〔2023〕12号")
    finance.page.get_by_role("button", name="拨付全部已批复项目").click()
    expect(finance.page.locator(".flash.ok")).to_contain_text("已生成拨付批次")
    expect(finance.page.locator("body")).to_contain_text("¥300,000.00")
    finance.shot("payment")
    with finance.page.expect_download() as batch:
        finance.page.get_by_role("link", name="PDF").last.click()
    assert Path(batch.value.path()).read_bytes().startswith(b"%PDF")
    finance.close()

    city = Person(browser, base, "city")
    city.page.get_by_role("row").filter(has_text="乙制造股份公司").get_by_role("link").first.click()
    city.page.get_by_label("追回理由").fill("经核查，虚报研发费用，骗取补助资金")
    city.page.get_by_label("失信记录截止日期（可不填）").fill((TODAY + timedelta(days=3 * 365)).isoformat())
    city.page.get_by_label("失信记录依据").fill("天津市社会信用条例及失信惩戒相关规定")
    city.page.get_by_role("button", name="追回").click()
    expect(city.page.locator(".flash.ok")).to_contain_text("已追回")
    expect(city.page.locator(".st").first).to_have_text("已追回")
    city.shot("clawback")
    city.open_call(TITLE)
    city.page.get_by_role("link", name="绩效看板").click()
    expect(city.page.locator(".kpis")).to_contain_text("¥300,000.00")
    expect(city.page.locator("figure.chart svg rect").first).to_be_visible()
    city.shot("dashboard")
    city.close()

    phone = Person(browser, base, "auditor", PHONE)
    phone.open_call(TITLE)
    phone.page.get_by_role("link", name="绩效看板").click()
    expect(phone.page.locator("figure.chart").first).to_be_visible()
    phone.shot("dashboard-phone")
    assert phone.page.get_by_role("button", name="排序，生成拟补助名单").count() == 0  # the auditor only reads
    phone.close()

    blocked = Person(browser, base, "ent_b", PHONE)
    expect(blocked.page.locator(".flash.bad")).to_contain_text("失信行为记录")
    blocked.shot("blocked-phone")
    blocked.close()
    assert PASSWORD not in log.read_text()  # the server's log never carries a password
