"""Pins the parse of 000_83169ce2e118738d.txt into documents and provisions."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path

import pytest

from huiqi.corpus.documents import parse_documents
from huiqi.corpus.model import Document, Provision
from huiqi.corpus.text import clean_text, is_page_marker, join_wrapped_lines

SOURCE = "000_83169ce2e118738d.txt"
SOURCE_PATH = Path(__file__).parents[1] / "src" / "huiqi" / "data" / "corpus" / SOURCE

# id, 文号, issued, effective_from, effective_until
DOCUMENTS = [
    ("tianjin-zhinengzhizao-tiaoli", None, date(2021, 9, 27), date(2021, 11, 1), None),
    ("jinzhengbangui-2022-4", "津政办规〔2022〕4号", None, None, None),
    ("jingongxingui-2020-3", "津工信规〔2020〕3号", None, None, date(2023, 5, 10)),
    ("jinzhengbangui-2020-16", "津政办规〔2020〕16号", None, None, None),
    ("jinkegui-2021-4", "津科规〔2021〕4号", None, None, date(2024, 12, 31)),
    ("jincaigui-2022-3", "津财规〔2022〕3号", None, None, None),
    ("jinfagaigongye-2022-145", "津发改工业〔2022〕145号", None, None, None),
    ("jinzhengbangui-2022-6", "津政办规〔2022〕6号", None, None, date(2023, 12, 31)),
    ("jinzhengfa-2022-12", "津政发〔2022〕12号", None, None, None),
    ("jinfagaigongye-2022-83", "津发改工业〔2022〕83号", None, None, None),
    ("jinguiziliyonghan-2020-427", "津规资利用函〔2020〕427号", None, None, None),
    ("jinzhengbanfa-2018-55", "津政办发〔2018〕55号", None, None, None),
    ("jinbinzhengbanfa-2022-7", "津滨政办发〔2022〕7号", None, None, None),
    ("jinzhengfa-2020-24", "津政发〔2020〕24号", None, None, None),
    ("tianjin-rencaigongyu-banfa", None, None, date(2019, 5, 1), date(2024, 4, 30)),
    ("jindangfa-2018-17", "津党发〔2018〕17号", None, None, None),
    ("jinrenshebanfa-2021-15", "津人社办发〔2021〕15号", None, None, None),
    ("jinjiaoweiguifan-2018-5", "津教委规范〔2018〕5号", date(2018, 12, 28), date(2018, 12, 28), date(2023, 12, 27)),
    ("jinrenshebanfa-2021-12", "津人社办发〔2021〕12号", None, None, None),
    ("jindangfa-2021-20", "津党发〔2021〕20号", None, None, None),
    ("jinrenshejufa-2021-17", "津人社局发〔2021〕17号", None, None, None),
    ("jinjiaozhengfa-2020-40", "津教政发〔2020〕40号", None, None, None),
    ("jinzhengbanfa-2017-26", "津政办发〔2017〕26号", date(2017, 2, 24), None, None),
    ("jinrenshebanfa-2021-61", "津人社办发〔2021〕61号", date(2021, 9, 8), None, None),
    ("jinrencaiban-2019-6-peiyang", "津人才办〔2019〕6号", None, None, None),
    ("jinrencaiban-2019-6-pingtai", "津人才办〔2019〕6号", None, None, None),
    ("jinrencaiban-2019-6-jingsai", "津人才办〔2019〕6号", None, None, None),
    ("jinrencaiban-2019-6-pingjia", "津人才办〔2019〕6号", None, None, None),
    ("jinrenshejufa-2019-26", "津人社局发〔2019〕26号", None, None, None),
    ("jinzhengfa-2021-1", "津政发〔2021〕1号", date(2021, 1, 5), None, None),
    ("jincaigui-2021-9", "津财规〔2021〕9号", None, None, date(2023, 12, 31)),
]

TITLES = [
    "天津市促进智能制造发展条例",
    "天津市促进首台（套）重大技术装备示范应用的若干措施",
    "市工业和信息化局落实天津市关于进一步支持发展智能制造的政策措施实施细则",
    "天津关于进一步支持发展智能制造的政策措施细则",
    "天津市企业研发投入后补助办法",
    "天津市中小企业发展专项资金管理办法",
    "天津市促进工业经济平稳增长的行动方案",
    "关于助企纾困和支持市场主体发展的若干措施",
    "天津市贯彻落实《扎实稳住经济的一揽子政策措施》实施方案",
    "关于振作天津市工业经济运行推动工业高质量发展的若干举措",
    "天津市城镇低效用地再开发工作实施意见（试行）",
    "天津市优化工业用地管理促进产业结构调整升级实施办法",
    "关于滨海新区促进高质量发展优化产业用地的管理办法",
    "天津市加强和改进招商引资工作若干举措",
    "天津市人才公寓认定支持办法（试行）",
    "天津市“海河英才”行动方案",
    "支持天津市人才创新创业联盟发展的若干措施",
    "市教委关于做好我市引进人才“绿卡A卡”持有人随迁子女入园入学工作的通知",
    "天津市“科创企业评职称”专项服务工作方案",
    "关于深入实施人才引领战略加快天津高质量发展的意见",
    "市人社局市工业和信息化局关于优化工程技术系列职称评价支持产业链高质量发展的通知",
    "天津市高校服务产业特色学科群建设计划",
    "天津市人民政府办公厅关于改革完善我市博士后制度的实施意见",
    "全面推行中国特色企业新型学徒制加强技能人才培训有关问题",
    "企业高技能人才培养实施细则",
    "企业高技能人才培养平台资助实施细则",
    "竞赛获奖者奖励资助实施细则",
    "技能人才分类评价实施细则",
    "天津市职业培训补贴管理暂行办法",
    "教育部天津市人民政府关于深化产教城融合打造新时代职业教育创新发展标杆的意见",
    "天津市小微企业融资担保业务降费奖补政策实施办法",
]

# (document id, label) → (level, heading, a fragment of the repaired text, or the whole text when exact)
PROVISIONS = [
    ("tianjin-zhinengzhizao-tiaoli", "第一章", "chapter", "总则", "第一条 为了促进智能制造发展"),
    ("tianjin-zhinengzhizao-tiaoli", "第三十七条", "article", None, "=本条例自2021年11月1日起施行。"),
    ("tianjin-zhinengzhizao-tiaoli", "第二十九条（九）", "item1", None, "=本市支持的智能制造领域其他项目。"),
    ("tianjin-zhinengzhizao-tiaoli", "第二十九条", "article", None, "重点支持下列项目：\n（一）制造业创新载体"),
    ("jinzhengbangui-2022-4", "一、", "item1", "优化采购环节", "优化采购环节\n（一）严格执行招标投标法规政策。"),
    ("jinzhengbangui-2022-4", "一、（一）", "item2", "严格执行招标投标法规政策", "消除招标环节的歧视性指标"),
    (
        "jingongxingui-2020-3",
        "二、（一）2．",
        "item3",
        None,
        "对国家级智能制造领域试点示范、新模式应用等项目，给予项目总投资30%的支持，最高1000万元",
    ),
    ("jingongxingui-2020-3", "二、（二）5．", "item3", "支持企业开展工业互联网内外网络和标识解析体系建设",
     "对获得国家试点示范或国家重大专项资金支持的项目，给予项目总投资30%的支持，最高2000万元"),
    ("jingongxingui-2020-3", "二、（二）7．", "item3", None, "对用户数在30万（含30万）到100万的企业给予600万元奖励"),
    ("jingongxingui-2020-3", "三、", "item1", "附则", "有效期至2023年5月10日"),
    ("jinkegui-2021-4", "第七条（二）2.", "item2", None, "增量补助额=基础补助额×上一年企业研发费用增长率×2"),
    ("jinkegui-2021-4", "第十五条", "article", "批复立项", "=批复立项。市科技局对公示无异议的补助方案批复立项。"),
    ("jincaigui-2021-9", "第十条", "article", None,
     "=本办法自发布之日起实施，有效期至2023年12月31日，2021年1月1日至本办法印发之日前参照本办法执行。"),
    ("jinzhengbanfa-2018-55", "三、（五）", "item2", "实行工业用地弹性年期出让制度", "受让方在付清出让金后，持出让合同"),
    ("jinguiziliyonghan-2020-427", "五、（一）3．（1）", "item4", "开发利用现状", "开发利用现状"),
    ("tianjin-rencaigongyu-banfa", "第十二条", "article", None, "=本办法自2019年5月1日起实施，有效期5年。"),
    ("jinjiaoweiguifan-2018-5", "序言", "preamble", None, "各区教育局：\n为深入贯彻落实"),
    ("jinjiaoweiguifan-2018-5", "结尾", "paragraph", None, "=本意见自印发之日起实施，有效期为五年。\n2018年12月28日"),
    ("jinrenshebanfa-2021-61", "结尾", "paragraph", None, "=市人社局 市财政局 市国资委\n市总工会 市工商联\n2021年9月8日"),
    ("jinrencaiban-2019-6-peiyang", "附件1", "annex", "“师带徒”计划", "资助名师总数不超过1000名"),
    ("jinrencaiban-2019-6-peiyang", "附件1六、（二）", "item2", None,
     "=区人社局审核合格后，市人社局按相关规定将奖励资助发放大师（名师）个人。"),
    ("jinrencaiban-2019-6-pingjia", "附件1的附件", "annex", "天津市技师、高级技师综合评审工作流程", "论文内容评分占总成绩的40%"),
    ("jinrencaiban-2019-6-pingjia", "附件2", "annex", "支持工程技术领域高技能人才与专业技术人才职业贯通发展", "参评工程系列"),
    ("jinzhengfa-2021-1", "附件1", "annex", "教育部支持政策清单", "=教育部支持政策清单"),
    ("jindangfa-2018-17", "八、（三十）", "item2", "严格责任追究", "列入诚信系统“黑名单”"),
]


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documents(text: str) -> list[Document]:
    return parse_documents(text, SOURCE)


@pytest.fixture(scope="module")
def by_id(documents: list[Document]) -> dict[str, Document]:
    return {document.id: document for document in documents}


def _provision(document: Document, label: str) -> Provision:
    matches = [provision for provision in document.provisions if provision.label == label]
    assert len(matches) == 1, f"{document.id}/{label}: {len(matches)} matches"
    return matches[0]


def test_text_repair_helpers() -> None:
    assert join_wrapped_lines(["给予项目总投资 3", "0%的支持，最高 1000 万元。"]) == "给予项目总投资30%的支持，最高1000万元。"
    assert join_wrapped_lines(["20", "21 年 1月 1 日"]) == "2021年1月1日"
    assert clean_text("第一章 总 则") == "第一章总则"
    assert clean_text("以 5G 等网络，限制,资助") == "以5G等网络，限制，资助"
    assert is_page_marker(" - 28 - ") and not is_page_marker("28")


def test_parse_is_fast(text: str) -> None:
    started = time.perf_counter()
    parse_documents(text, SOURCE)
    assert time.perf_counter() - started < 2


def test_documents_numbers_and_dates(documents: list[Document]) -> None:
    actual = [(d.id, d.doc_number, d.issued, d.effective_from, d.effective_until) for d in documents]
    assert actual == DOCUMENTS


def test_titles(documents: list[Document]) -> None:
    assert [document.title for document in documents] == TITLES
    assert all(document.source_file == SOURCE for document in documents)


def test_ids_are_unique_and_url_safe(documents: list[Document]) -> None:
    doc_ids = [document.id for document in documents]
    assert len(set(doc_ids)) == len(doc_ids)
    assert all(re.fullmatch(r"[a-z0-9-]+", doc_id) for doc_id in doc_ids)
    provision_ids = [p.id for d in documents for p in d.provisions]
    assert len(set(provision_ids)) == len(provision_ids)
    assert all(p.id == f"{d.id}/{p.label}" and p.doc_id == d.id for d in documents for p in d.provisions)


def test_issuers(by_id: dict[str, Document]) -> None:
    assert by_id["tianjin-zhinengzhizao-tiaoli"].issuer == "天津市第十七届人民代表大会常务委员会"
    assert by_id["jinjiaoweiguifan-2018-5"].issuer == "市教委"
    assert by_id["jinrenshejufa-2021-17"].issuer == "市人社局、市工业和信息化局"
    assert by_id["jinzhengbanfa-2017-26"].issuer == "天津市人民政府办公厅"
    assert by_id["jinrenshebanfa-2021-61"].issuer == "市人社局、市财政局、市国资委、市总工会、市工商联"
    assert by_id["jinzhengfa-2021-1"].issuer == "教育部、天津市人民政府"
    assert by_id["jinkegui-2021-4"].issuer == "天津市科学技术局"  # from the 文号's 机关代字
    assert by_id["tianjin-rencaigongyu-banfa"].issuer is None


def test_repeals(by_id: dict[str, Document]) -> None:
    assert by_id["jingongxingui-2020-3"].repeals == ["津工信规划〔2018〕4号"]
    assert by_id["jincaigui-2022-3"].repeals == ["津财建一〔2016〕23号", "津财规〔2018〕21号"]
    assert sum(bool(document.repeals) for document in by_id.values()) == 2


def test_departments_and_beneficiaries(by_id: dict[str, Document]) -> None:
    assert by_id["jinzhengbangui-2022-4"].departments[:3] == ["市工业和信息化局", "市财政局", "市住房城乡建设委"]
    assert by_id["jinkegui-2021-4"].departments == ["市科技局", "市税务局", "市财政局"]
    assert by_id["jinkegui-2021-4"].beneficiaries == ["enterprise"]
    assert by_id["jindangfa-2018-17"].beneficiaries[0] == "person"


def test_duplicate_copy_is_one_document(text: str, by_id: dict[str, Document]) -> None:
    land = [d for d in by_id.values() if d.title == "天津市优化工业用地管理促进产业结构调整升级实施办法"]
    assert [d.id for d in land] == ["jinzhengbanfa-2018-55"]
    main = land[0]
    assert len(main.copies) == 1
    copy_start, copy_end = main.copies[0]
    assert copy_end < main.start
    assert text[copy_start:].startswith("天津市优化工业用地管理促进产业结构调整升级")
    assert "津政办发〔2018〕55 号" in text[main.start : main.end]
    assert all(main.start <= p.start < p.end <= main.end for p in main.provisions)


def test_shared_number_group(by_id: dict[str, Document]) -> None:
    group = [d for d in by_id.values() if d.doc_number == "津人才办〔2019〕6号"]
    assert [d.title for d in group] == TITLES[24:28]
    assert [_provision(d, "第一条").text[:16] for d in group] == ["为贯彻落实《关于实施“海河工匠”"] * 4


@pytest.mark.parametrize(("doc_id", "label", "level", "heading", "expected"), PROVISIONS)
def test_provision_samples(
    by_id: dict[str, Document], doc_id: str, label: str, level: str, heading: str | None, expected: str
) -> None:
    provision = _provision(by_id[doc_id], label)
    assert (provision.level, provision.heading) == (level, heading)
    if expected.startswith("="):
        assert provision.text == expected[1:]
    else:
        assert expected in provision.text


def test_provision_counts(documents: list[Document]) -> None:
    assert sum(len(document.provisions) for document in documents) == 1030
    counts = {document.id: len(document.provisions) for document in documents}
    assert counts["tianjin-zhinengzhizao-tiaoli"] == 52  # 6 chapters, 37 articles, 9 items
    assert counts["jinzhengbangui-2022-4"] == 25  # preamble, 6 sections, 18 measures


def test_hierarchy(documents: list[Document]) -> None:
    for document in documents:
        ids = {p.id: p for p in document.provisions}
        assert [p.ordinal for p in document.provisions] == list(range(len(document.provisions)))
        for provision in document.provisions:
            if provision.parent_id is None:
                continue
            parent = ids[provision.parent_id]
            assert parent.start < provision.start and provision.end <= parent.end
            assert provision.text in parent.text or provision.text.splitlines()[0] in parent.text
            assert provision.label.startswith(parent.label) or parent.level == "chapter"


def test_articles_are_numbered_across_chapters(by_id: dict[str, Document]) -> None:
    regulation = by_id["tianjin-zhinengzhizao-tiaoli"]
    articles = [p.label for p in regulation.provisions if p.level == "article"]
    assert len(articles) == 37 and articles[8] == "第九条"
    assert _provision(regulation, "第九条").parent_id == "tianjin-zhinengzhizao-tiaoli/第二章"


def test_provisions_trace_back_to_the_original_text(text: str, documents: list[Document]) -> None:
    for document in documents:
        for provision in document.provisions:
            raw = text[provision.start : provision.end]
            repaired = "".join(clean_text(line) for line in raw.split("\n") if not is_page_marker(line))
            head = re.sub(r"\s", "", provision.text)[:12]
            assert head in re.sub(r"\s", "", repaired), provision.id


def test_repaired_text_has_no_export_artifacts(documents: list[Document]) -> None:
    artifact = re.compile(r"[\u4e00-\u9fff](?<![条章]) [\u4e00-\u9fff]|\d [年月日万%号]|- \d+ -")  # "第一条 为" is ours
    for document in documents:
        for provision in document.provisions:
            if provision.level != "paragraph":  # signatures keep the space between signing bodies
                assert not artifact.search(provision.text), provision.id


def test_every_body_line_is_in_a_provision(text: str, documents: list[Document]) -> None:
    """Only the header (title, 文号, adoption note) lies outside the provisions of a document."""
    for document in documents:
        spans = [(p.start, p.end) for p in document.provisions]
        body_start = min(start for start, _ in spans)
        for match in re.finditer(r"[^\s].*", text[body_start : document.end]):
            offset = body_start + match.start()
            if not is_page_marker(match.group(0)):
                assert any(start <= offset < end for start, end in spans), (document.id, match.group(0))
