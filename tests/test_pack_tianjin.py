"""The Tianjin pack: it loads with every quote verified, every measure carries hand-computed cases that
pass, and realistic subjects get the answers computed by hand from the text."""

import json
from datetime import date
from pathlib import Path

import pytest

from huiqi.calculator.match import match
from huiqi.calculator.testing import run_pack_tests
from huiqi.corpus.library import load_library
from huiqi.rules.pack import load_pack

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def pack():
    return load_pack("tianjin")


def test_every_measure_has_cases_and_they_all_pass(pack):
    assert len(pack.measures) >= 500
    assert all(m.spec.tests for m in pack.measures.values())
    outcomes = run_pack_tests(pack)
    failed = [(o.measure_id, o.case, o.problems) for o in outcomes if not o.passed]
    assert not failed, failed[:5]
    assert len(outcomes) >= 2000


def test_every_document_and_compilation_section_is_encoded(pack):
    cited_docs = {c.doc_id for m in pack.measures.values() for c in m.citations}
    assert {d.id for d in load_library().documents} <= cited_docs
    cited_entries = {c.label for m in pack.measures.values() for c in m.citations if c.doc_id == "kjzc2020"}
    assert {label.split("-")[0] for label in cited_entries} == {"一", "二", "三"}


def test_every_measure_serves_persons_enterprises_or_institutions(pack):
    kinds = {m.spec.beneficiary for m in pack.measures.values()}
    assert kinds == {"enterprise", "person", "institution"}


def report(pack, name, as_of):
    profile = pack.registry.validate(json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8")))
    return {r.id: r for r in match(pack, profile, as_of).results}


def test_robot_manufacturer_in_2022(pack):
    results = report(pack, "robot-manufacturer", date(2022, 6, 30))
    # 津工信规〔2020〕3号 二、（一）1．: project of 1800万 ≥ 1000万, equipment 1200万 × 10% = 120万
    assert results["tj.smart-mfg.upgrade-equipment"].amount.exact == 1_200_000
    # same item, tech centre R&D equipment: 150万 × 20% = 30万 (cap 200万)
    assert results["tj.smart-mfg.tech-center-rd-equipment"].amount.exact == 300_000
    # 津科规〔2021〕4号 第七条: not first recognised in 2021, no other category → 1.5%;
    # 1020万 × 1.5% = 153,000; growth (1020-910)/910 = 110/910; increment 153,000 × 110/910 = 18,494.505…;
    # final 171,494.505… paid as 171,494.51
    rd = results["tj.rd-post-subsidy.general"]
    assert rd.status == "eligible" and rd.amount.exact == 171_494.51
    # high-tech income tax: (25% − 15%) × taxable income 2400万 = 240万 a year
    assert results["tj.kjzc.1-1.high-tech-cit-rate"].amount.exact == 2_400_000


def test_hightech_whose_rd_fell(pack):
    results = report(pack, "hightech-rd-fell", date(2023, 6, 30))
    # 420万 × 1.5% = 63,000; growth −30% → increment 63,000 × (−30%) × 2 = −37,800; final 25,200
    rd = results["tj.rd-post-subsidy.general"]
    assert rd.amount.exact == 25_200
    assert results["tj.rd-post-subsidy.general"].status == "eligible"
    # three years on, the 办法 (valid until 2024-12-31) has expired
    assert report(pack, "hightech-rd-fell", date(2025, 6, 30))["tj.rd-post-subsidy.general"].status == "expired"


def test_young_software_company(pack):
    results = report(pack, "young-software-company", date(2024, 6, 30))
    # 国家科技型中小企业 2.5% × 260万 = 65,000; growth (260-210)/210 = 50/210; 65,000 × 260/210 = 80,476.190…
    assert results["tj.rd-post-subsidy.general"].amount.exact == 80_476.19
    # 六税两费 halved for a small low-profit enterprise: 36,000 × 50% = 18,000
    assert results["tj.relief.six-taxes-two-fees"].amount.exact == 18_000


def test_phd_of_35_can_settle_and_gets_the_doctoral_award(pack):
    results = report(pack, "phd-35", date(2024, 6, 30))
    assert results["tj.talent-strategy.settlement-degree"].status == "eligible"
    assert results["tj.haihe.settlement-degree"].status == "expired"  # amended by the 2021 opinion
    assert results["tj.haihe.doctoral-graduate-award"].amount.exact == 50_000
    assert results["tj.postdoc.admission-age"].status == "eligible"


def test_senior_technician_who_won_a_city_competition(pack):
    results = report(pack, "senior-technician", date(2024, 6, 30))
    assert results["tj.competition.city"].amount.exact == 20_000
    # 大师带徒 and 名师带徒 cannot be combined: the larger (24,000) is counted
    assert results["tj.high-skill.master-apprentice-dashi"].counted
    assert not results["tj.high-skill.master-apprentice-mingshi"].counted
