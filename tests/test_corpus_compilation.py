"""The parse of 天津市科技创新政策要点汇编（2020年版） (002_33bf23e9d5955842.txt), pinned entry by entry."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

import huiqi
from huiqi.corpus.compilation import parse_compilation
from huiqi.corpus.model import CompilationEntry, DocRef, Document
from huiqi.corpus.text import squeeze_cjk_spaces

SOURCE_FILE = "002_33bf23e9d5955842.txt"
SOURCE_PATH = Path(huiqi.__file__).parent / "data" / "corpus" / SOURCE_FILE

# label, 政策名称, 主管处室 / 相关部门 — every entry, in file order.
EXPECTED = [
    ("一-1", "国家级高新技术企业认定", "市科技局高新技术处"),
    ("一-2", "国家科技型中小企业认定", "市科技局资源配置与管理处"),
    ("一-3", "天津市雏鹰企业", "市科技局资源配置与管理处、市科技局科技金融处"),
    ("一-4", "天津市瞪羚企业", "市科技局资源配置与管理处"),
    (
        "一-5",
        "科技领军(培育)企业认定及支持项目",
        "市科技局资源配置与管理处、市科技局高新技术处、市科技局社会发展与农村科技处、市科技局生物医药处、市科技局科技成果与技术市场处",
    ),
    ("一-6", "企业研发投入后补助", "市科技局战略规划与政策法规处"),
    ("一-7", "天津市众创空间", "市科技局区域创新处"),
    ("一-8", "天津市科技企业孵化器", "市科技局区域创新处"),
    ("一-9", "国家级孵化器", ""),  # the cell only says 按照科技部工作部署
    ("一-10", "天津市产业技术研究院", "市科技局区域创新处"),
    ("一-11", "企业科技特派员", "市科技局基础研究处"),
    ("一-12", "天津杰出青年基金", "市科技局基础研究处"),
    ("二-1", "天津市技术领先型企业", "市科技局资源配置与管理处"),
    ("二-2", "技术先进型服务企业认定", "市科技局科技成果与技术市场处"),
    ("二-3", "天使投资引导基金参股子基金", "市科技局科技金融处"),
    ("二-4", "天使投资引导基金直接投资", "市科技局科技金融处"),
    ("二-5", "创业投资引导基金参股子基金", "市科技局科技金融处"),
    ("二-6", "瞪羚企业、科技领军企业和领军培育企业股改奖励", "市科技局科技金融处"),
    ("二-7", "融资担保产品", "天津科融融资担保有限公司、市中小企业信用融资担保中心"),
    ("二-8", "中小企业股改", "市金融局资本市场处"),
    ("二-9", "企业上市", "市金融局资本市场处"),
    ("二-10", "天津市技术创新中心", "市科技局区域创新处"),
    ("二-11", "市级企业重点实验室认定", "市科技局基础研究处"),
    ("二-12", "天津市创新创业大赛", "市科技局区域创新处"),
    ("二-13", "科技创新券", "市科技局区域创新处"),
    ("二-14", "技术合同认定登记", "市科技局科技成果与技术市场处"),
    ("二-15", "农业科技特派员", "市科技局社会发展与农村科技处"),
    ("二-16", "创新人才推进计划", "市科技局引智育才工作处"),
    ("二-17", "引进国(境)外专家项目", "市科技局引智育才工作处"),
    ("二-18", "天津市高层次外专项目", "市科技局引智育才工作处"),
    ("二-19", "天津市海河友谊奖", "市科技局引智育才工作处"),
    ("二-20", "天津市高层次外国专家商业医疗保险专项资助", "市科技局引智育才工作处"),
    ("二-21", "高端人才外籍子女就读国际学校专项资助", "市科技局引智育才工作处"),
    ("二-22", "鼓励各类人员自主创业", "市人社局就业促进处"),
    ("二-23", "加大创业担保贷款支持力度", "市人社局就业促进处"),
    ("二-24", "给予创业支持", "市人社局就业促进处"),
    ("二-25", "鼓励中小微企业吸纳高校毕业生就业", "市人社局就业促进处"),
    ("二-26", "鼓励企业招用农民工", "市人社局就业促进处"),
    ("二-27", "给予企业返岗复工包车费补贴", "市人社局就业促进处"),
    ("二-28", "支持企业职工职业技能培训", "市人社局职业能力建设处"),
    ("二-29", "暂缓调整最低工资标准", "市人社局劳动关系处"),
    ("二-30", "鼓励企业稳定职工队伍", "市人社局就业促进处、市人社局失业保险处"),
    ("二-31", "特许放宽社保政策", "市人社局养老保险处、市人社局失业保险处、市人社局工伤保险处"),
    ("二-32", "加大失业保险稳岗返还力度", "市人社局失业保险处"),
    ("二-33", "阶段性减免和缓缴社会保险费", "市人社局养老保险处、市人社局失业保险处、市人社局工伤保险处"),
    ("二-34", "给予高校毕业生灵活就业社保补贴", "市人社局就业促进处"),
    ("二-35", "科学技术普及重点项目、科学技术普及一般项目", "市科技局引智育才工作处"),
    ("二-36", "市级科普基地认定", "市科技局引智育才工作处"),
    ("二-37", "农业科技帮扶提升", "市科技局社会发展与农村科技处"),
    ("二-38", "“一带一路”科技创新合作行动计划", "市科技局合作交流处"),
    ("三-1-1", "科技成果处置与奖励", "市科技局、市教委"),
    ("三-1-2", "绩效分配自主权", "市财政局、市人社局、市教委、市科技局"),
    ("三-1-3", "财政科研经费管理", "市财政局"),
    ("三-1-4", "离岗创业", "市人社局、市教委、市科技局"),
    ("三-1-5", "出国管理", "市外办、市财政局"),
    ("三-1-6", "因公出国(境)培训", "市科技局、市外办"),
    ("三-1-7", "尽职尽责", "市教委、市审计局、市国资委、市财政局、市科技局"),
    ("三-1-8", "人才评价与职称改革", "市人社局、市教委、市科技局、市卫生健康委"),
    (
        "三-1-9",
        "人才服务",
        "市人才办、市人社局、市教委、市财政局、市住房城乡建设委、市科技局、市公安局、市住房公积金管理中心",
    ),
    ("三-2-1", "扩大高校和科研院所收入分配自主权", "市人社局、市财政局、市教委、科研院所主管部门"),
    ("三-2-2", "建立健全体现知识价值的薪酬体系和收入增长机制", "市国资委、市财政局、市科技局"),
    ("三-2-3", "建立鼓励科研人员兼职或离岗创新创业的政策体系", "市人社局、市教委、科研院所管理部门"),
    (
        "三-2-4",
        "依法依规保障科研人员通过科技成果转化获得奖励和报酬",
        "市财政局、市教委、市市场监管委、科研院所管理部门、市税务局",
    ),
    ("三-2-5", "发挥财政科研项目资金的激励引导作用", "市财政局、市科技局、市教委、科研院所管理部门"),
    (
        "三-3-1",
        "完善有利于创新的评价激励制度",
        "市财政局、市人力社保局、市科学技术局、市教委、市国资委、市属科研事业单位主管部门等",
    ),
    ("三-3-2", "强化项目绩效评价", "市科学技术局、市委宣传部、市委网信办、市发展改革委、市工业和信息化局等"),
    (
        "三-3-3",
        "完善分级责任担当机制",
        "市科学技术局、市委宣传部、市委网信办、市发展改革委、市工业和信息化局、市教委、市国资委、"
        "市属科研事业单位主管部门、市委组织部、市人社局等",
    ),
    ("三-4-1", "优化科研项目评审管理", "市科技局、市委宣传部、市委网信办、市发展改革委、市工业和信息化局"),
    (
        "三-4-2",
        "改进科技人才评价方式",
        "市人社局、市委组织部、市教委、市科技局、市卫生健康委、市国资委党委、市财政局、市委宣传部、市科协、"
        "市属科研事业单位主管部门",
    ),
    ("三-4-3", "完善科研机构评估制度", "市科技局、市委编办、市人社局、市属科研事业单位主管部门、市财政局"),
    (
        "三-4-4",
        "加强监督评估和科研诚信体系建设",
        "市科技局、市委宣传部、市委网信办、市发展改革委、市工业和信息化局、市委组织部、市人社局、市教委、"
        "市卫生健康委、市国资委党委、市财政局、市科协、市委编办、市民政局、市属科研事业单位主管部门、市市场监管委",
    ),
]

TEXT_FIELDS = (
    "section_title",
    "category",
    "name",
    "conditions",
    "measures",
    "basis_text",
    "application_time",
    "department",
    "contact",
)
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(text: str) -> tuple[Document, list[CompilationEntry]]:
    return parse_compilation(text, SOURCE_FILE)


@pytest.fixture(scope="module")
def entries(parsed: tuple[Document, list[CompilationEntry]]) -> list[CompilationEntry]:
    return parsed[1]


@pytest.fixture(scope="module")
def by_label(entries: list[CompilationEntry]) -> dict[str, CompilationEntry]:
    return {entry.label: entry for entry in entries}


def test_document(parsed: tuple[Document, list[CompilationEntry]], text: str) -> None:
    document, _ = parsed
    assert document.id == "kjzc2020"
    assert document.title == "天津市科技创新政策要点汇编（2020年版）"
    assert document.doc_number is None
    assert document.issuer == "天津市科学技术局"
    assert (document.issued, document.effective_from, document.effective_until) == (None, None, None)
    assert document.provisions == []
    assert (document.source_file, document.start, document.end) == (SOURCE_FILE, 0, len(text))


def test_entry_counts(entries: list[CompilationEntry]) -> None:
    assert Counter(entry.section for entry in entries) == {"一": 12, "二": 38, "三": 21}
    assert len(entries) == 71


def test_every_entry_label_name_and_department(entries: list[CompilationEntry]) -> None:
    assert [(entry.label, entry.name, entry.department) for entry in entries] == EXPECTED


def test_identity_fields(entries: list[CompilationEntry]) -> None:
    titles = {
        "一": "科技领域引育新动能相关政策措施要点",
        "二": "统筹疫情防控和经济社会发展相关政策措施要点",
        "三": "深化科技体制改革相关政策措施要点",
    }
    for ordinal, entry in enumerate(entries):
        assert entry.ordinal == ordinal
        assert entry.label == f"{entry.section}-{entry.number}"
        assert entry.id == f"kjzc2020/{entry.label}"
        assert entry.section_title == titles[entry.section]
    assert len({entry.id for entry in entries}) == len(entries)


def test_numbering_restarts_per_section(entries: list[CompilationEntry]) -> None:
    for section, count in (("一", 12), ("二", 38)):
        assert [e.number for e in entries if e.section == section] == [str(n) for n in range(1, count + 1)]
    reform = [e.number for e in entries if e.section == "三"]
    assert reform[:3] == ["1-1", "1-2", "1-3"] and reform[-1] == "4-4"
    assert "三-1-1" in {e.label for e in entries}


def test_categories_are_carried_down_and_cleaned(by_label: dict[str, CompilationEntry]) -> None:
    expected = {
        "一-1": "创新型企业培育",  # printed "创新型 企业 培育"
        "一-2": "创新型企业培育",  # empty cell, carried down
        "一-7": "创新创业载体建设",
        "一-11": "其他",
        "二-1": "创新创业培育",
        "二-4": "创新型企业培育",  # printed "创 新 型 企 业 培 育"
        "二-8": "创新型企业培育",  # shifted row, carried down
        "二-10": "创新型载体建设",
        "二-12": "促进科技成果转化",
        "二-29": "惠企及人才相关",
        "二-35": "其他",  # printed "其" on this row and "他" on 二-36's
        "二-36": "其他",
        "二-38": "其他",
        "三-1-1": "",  # section 三 has no 支持类别
    }
    assert {label: by_label[label].category for label in expected} == expected


def test_no_html_and_no_stray_cjk_spaces(entries: list[CompilationEntry]) -> None:
    for entry in entries:
        for name in TEXT_FIELDS:
            value = getattr(entry, name)
            assert not HTML_TAG.search(value), (entry.label, name)
            assert "<p" not in value and "</p" not in value and "<ol" not in value
        for name in ("category", "name", "department"):
            assert squeeze_cjk_spaces(getattr(entry, name)) == getattr(entry, name), (entry.label, name)
        for ref in entry.basis_refs:
            assert "《" not in ref.title and "》" not in ref.title and " " not in ref.title


def test_offsets_cover_the_entry_rows(entries: list[CompilationEntry], text: str) -> None:
    previous_end = 0
    for entry in entries:
        raw = text[entry.start : entry.end]
        assert entry.start >= previous_end
        assert text[entry.start - 1] == "\n" and text[entry.end] == "\n"  # whole lines
        squashed = re.sub(r"\s+", "", raw)
        for name in entry.name.split("、") if entry.label == "二-35" else [entry.name]:
            assert re.sub(r"\s+", "", name) in squashed, entry.label
        previous_end = entry.end


def test_raw_names_are_in_the_slices(by_label: dict[str, CompilationEntry], text: str) -> None:
    assert "天津市 雏鹰企业" in text[by_label["一-3"].start : by_label["一-3"].end]
    assert "建立鼓励科研 人员兼职或离 岗创新创业的 政策体系" in text[by_label["三-2-3"].start : by_label["三-2-3"].end]


def test_multi_document_basis_is_split(by_label: dict[str, CompilationEntry]) -> None:
    entry = by_label["一-1"]
    assert entry.basis_text == (
        "依据文件:《高新技术企业认定管理办法》(国科发火〔2016〕32号)、《高新技术企业认定管理工作指引》"
        "(国科发火〔2016〕195号)、《中华人民共和国企业所得税法》(主席令第六十三号)"
    )
    assert entry.basis_refs == [
        DocRef("国科发火〔2016〕32号", "高新技术企业认定管理办法"),
        DocRef("国科发火〔2016〕195号", "高新技术企业认定管理工作指引"),
        DocRef("主席令第六十三号", "中华人民共和国企业所得税法"),
    ]
    assert "依据文件" not in entry.measures


@pytest.mark.parametrize(
    ("label", "refs"),
    [
        (  # no separator between the two documents, [] brackets
            "一-5",
            [
                DocRef("津政发〔2019〕17号", "天津市创新型企业领军计划"),
                DocRef("津科规〔2018〕4号", "天津市科技领军企业和领军培育企业认定补助办法(试行)"),
            ],
        ),
        (  # a document without 文号
            "一-7",
            [
                DocRef("津科规〔2017〕1号", "市科委市教委市财政局关于印发天津市众创空间备案管理与绩效评估办法的通知"),
                DocRef(None, "天津市科技企业孵化器、众创空间绩效评估工作方案"),
            ],
        ),
        (  # nested <> kept as printed
            "一-10",
            [
                DocRef("津政办发〔2018〕24号", "天津市人民政府办公厅关于加快产业技术研究院建设发展的若干意见"),
                DocRef("津科规〔2018〕7号", "市科委关于印发<天津市产业技术研究院认定与考核管理办法(试行)>的通知"),
            ],
        ),
        (  # numbered list over several <p>
            "二-2",
            [
                DocRef("财税〔2017〕79号", "财政部税务总局商务部科技部国家发展改革委关于将技术先进型服务企业所得税政策推广至全国实施的通知"),
                DocRef(
                    "财税〔2018〕44号",
                    "财政部税务总局商务部科技部国家发展改革委关于将服务贸易创新发展试点地区技术先进型服务企业所得税政策推广至全国实施的通知",
                ),
                DocRef("津科规〔2018〕1号", "市科委市商务委市财政局市国税局市地税局市发展改革委关于新修订印发天津市技术先进型服务企业认定管理办法的通知"),
            ],
        ),
        ("二-14", [DocRef("国科发政字〔2000〕63号", "技术合同认定登记管理暂行办法的通知")]),
        (  # the leading 指示精神 is not a document
            "二-15",
            [
                DocRef("国办发〔2016〕32号", "国务院办公厅关于深入推行科技特派员制度的若干意见"),
                DocRef("津科农〔2017〕24号", "天津市深入推行科技特派员制度行动方案"),
            ],
        ),
        (  # titles without 《》, containing parentheses
            "二-17",
            [
                DocRef("津外专发〔2017〕24号", "天津市引进国(境)外专家项目管理办法"),
                DocRef("津人社规字〔2018〕4号", "天津市引进国(境)外智力项目专项资金管理办法"),
            ],
        ),
        ("二-18", []),
        (
            "二-30",
            [
                DocRef(None, "天津市打赢新型冠状病毒感染肺炎疫情防控阻击战进一步促进经济社会持续健康发展若干措施"),
                DocRef("津人社办发〔2020〕26号", "关于进一步做好失业保险稳岗返还政策支持疫情防控工作的通知"),
            ],
        ),
        (
            "三-3-1",
            [DocRef("津政发〔2018〕27号", "天津市人民政府印发关于优化科研管理提升科研绩效若干措施的通知")],
        ),
        (
            "三-2-3",
            [
                DocRef(
                    "津党厅〔2018〕38号",
                    "中共天津市委办公厅天津市人民政府办公厅印发关于实行以增加知识价值为导向分配政策的实施意见的通知",
                )
            ],
        ),
    ],
)
def test_basis_refs(by_label: dict[str, CompilationEntry], label: str, refs: list[DocRef]) -> None:
    assert by_label[label].basis_refs == refs


def test_every_support_entry_with_a_basis_has_refs(entries: list[CompilationEntry]) -> None:
    without_basis = {e.label for e in entries if not e.basis_text}
    assert without_basis == {"二-7", "二-18", "二-20", "二-21", "二-35"}
    assert all(e.basis_refs for e in entries if e.basis_text)


def test_continuation_rows_are_merged(by_label: dict[str, CompilationEntry]) -> None:
    guarantee = by_label["二-7"]
    products = ["雏鹰贷", "瞪羚贷", "科技立项贷", "天使贷", "同心贷", "智能通", "科技通", "雏鹰融", "瞪企通", "复工复产应急贷"]
    lines = guarantee.conditions.split("\n")
    assert [line.split(":")[0] for line in lines] == products
    assert len(guarantee.measures.split("\n")) == len(products)
    assert guarantee.measures.split("\n")[0] == "单户最高300万元,担保费率降至1%以下,准信用,绿色快速审批通道"
    assert guarantee.application_time == "常年受理"
    assert guarantee.contact == "盛夏 15022508829、冯丽爽 15522500803"

    listing = by_label["二-9"]
    assert listing.measures.split("\n") == [f"市财政一次性补助{n}万元" for n in (100, 10, 200, 300, 500)]
    # "依据文件:同上" on the continuation rows is not repeated.
    assert listing.basis_text.count("依据文件") == 1

    stable = by_label["二-30"]
    assert len(stable.conditions.split("\n")) == 3
    assert stable.application_time == "执行至2021年7月31日；有效期至疫情结束后再顺延3个月；执行至2020年12月31日"
    assert stable.contact == "83218425、83218375"


def test_scattered_continuation_row(by_label: dict[str, CompilationEntry]) -> None:
    training = by_label["二-28"]
    assert training.conditions.split("\n")[1].startswith("本市行政区域内重要医用物资生产企业")
    assert training.measures.split("\n") == [
        "线上培训补贴:按照每人600元的标准给予企业职业技能培训补贴,每名职工只可享受一次",
        "以工代训补贴:每名职工每月给予1000元以工代训培训补贴,最长不超过3个月",
    ]


def test_continuation_row_with_its_own_name(by_label: dict[str, CompilationEntry]) -> None:
    science = by_label["二-35"]
    assert science.measures.split("\n") == ["科学技术普及重点项目：", "每项资助10-30万元。", "科学技术普及一般项目：", "每项资助3-10万。"]


@pytest.mark.parametrize(
    ("label", "name", "conditions", "measures", "time", "contact"),
    [
        (
            "二-8",
            "中小企业股改",
            "股改前经各区金融办(局)向市金融局进行前置备案并完成股份制改造的中小企业(已享受瞪羚企业、科技领军企业和领军培育企业股改奖励的企业除外)。",
            "市财政和企业所在区财政分别一次性补助20万元",
            "常年受理",
            "022-58980073",
        ),
        ("二-29", "暂缓调整最低工资标准", "2020年度", "我市暂不调整最低工资标准", "执行至疫情结束时止", "022-83218264"),
        (
            "二-34",
            "给予高校毕业生灵活就业社保补贴",
            "对毕业2年内的本市高校毕业生灵活就业或从事个体经营的",
            "给予最长2年社保补贴",
            "执行至疫情结束时止",
            "83218425",
        ),
    ],
)
def test_shifted_rows_are_realigned(
    by_label: dict[str, CompilationEntry],
    label: str,
    name: str,
    conditions: str,
    measures: str,
    time: str,
    contact: str,
) -> None:
    entry = by_label[label]
    assert (entry.name, entry.conditions, entry.measures, entry.application_time, entry.contact) == (
        name,
        conditions,
        measures,
        time,
        contact,
    )
    assert entry.category == ("创新型企业培育" if label == "二-8" else "惠企及人才相关")
    assert entry.basis_refs and entry.basis_refs[0].doc_number is not None


def test_last_column_is_split_by_content(by_label: dict[str, CompilationEntry]) -> None:
    eagle = by_label["一-3"]
    assert eagle.application_time == "企业认定常年受理；贷款政策受理通知 规定时间内"
    assert eagle.contact == "022-58832963、022-58832892"
    assert by_label["一-1"].application_time == "常年受理"
    assert by_label["一-1"].contact == "022-58832916"
    assert by_label["一-7"].application_time == "绩效评估时间为5-6月 备案时间为9-10月"
    assert by_label["一-9"].application_time == "按照科技部工作部署"
    assert by_label["二-12"].contact == "崔尧 15022771273"
    assert by_label["二-38"].application_time == "全年受理；5月"


def test_list_structure_is_kept(by_label: dict[str, CompilationEntry]) -> None:
    # <ol> items without markers are numbered; items with their own markers are not renumbered.
    assert by_label["一-7"].conditions.split("\n")[0] == "1. 运营主体在我市注册且运营满一年；"
    assert len(by_label["一-8"].conditions.split("\n")) == 6
    eagle = by_label["一-3"].conditions.split("\n")
    assert eagle[0] == "雏鹰企业要求:"
    assert "9.企业获得国家级或省部级科技计划项目(课题)立项。" in eagle
    assert "(4)企业从同一金融机构取得的多笔贷款或不同金融机构取得的贷款可合并计算。" in eagle
    assert by_label["一-1"].measures.split("\n")[0] == "1. 认定为国家高新技术企业(以下简称国家高企),减按15%的税率征收企业所得税。"
    assert "R&D" in by_label["一-5"].conditions


def test_basis_in_the_middle_of_measures(by_label: dict[str, CompilationEntry]) -> None:
    belt = by_label["二-38"]
    assert belt.measures.split("\n") == [
        "择优推荐申报科技部《发展中国家杰出青年科学家来华工作计划》,用于外籍专家在华住房补贴、生活补贴和保险这三项支出。",
        "组织认定中外联合研究中心(联合实验室)",
    ]
    assert belt.basis_refs == [DocRef("津科规〔2017〕5号", "市科委关于印发天津市“一带一路”科技创新合作行动计划(2017—2020年)的通知")]


def test_reform_entry_continued_after_page_break(by_label: dict[str, CompilationEntry], text: str) -> None:
    entry = by_label["三-3-3"]
    assert entry.measures.startswith("1、建立相关部门为高校和科研院所分担责任机制。")
    assert "2、强化高校、科研院所和科研人员的主体责任,完善鼓励法人担当负责的考核激励机制。" in entry.measures.split("\n")
    assert text[entry.start : entry.end].count("\t3-3\t") == 2
    assert (entry.conditions, entry.application_time, entry.contact) == ("", "", "")
    assert entry.basis_text == "天津市人民政府印发关于优化科研管理提升科研绩效若干措施的通知(津政发[2018]27号)"
