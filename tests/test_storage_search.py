from datetime import date

import pytest
from sqlalchemy import func, select

from huiqi.search.engine import EmptyQuery, snippet
from huiqi.storage import repo
from huiqi.storage.build import build_library
from huiqi.storage.db import session
from huiqi.storage.schema import DocumentRow, ProvisionRow, ReferenceRow

from conftest import TODAY


def counts(url):
    with session(url) as db:
        return tuple(db.scalar(select(func.count()).select_from(t)) for t in (DocumentRow, ProvisionRow, ReferenceRow))


def test_build_is_idempotent(db_url):
    before = counts(db_url)
    build_library(db_url)
    assert counts(db_url) == before
    assert before[0] >= 30 and before[1] > 900


def test_documents_listing_has_the_contract_fields(db_url):
    with session(db_url) as db:
        docs = repo.list_documents(db, TODAY)
    assert {"id", "title", "doc_number", "effective_from", "effective_until", "repeals", "status", "provision_count", "kind"} <= set(docs[0])
    rd = next(d for d in docs if d["doc_number"] == "津科规〔2021〕4号")
    assert rd["effective_until"] == "2024-12-31"
    assert rd["status"] == "expired"
    with session(db_url) as db:
        assert repo.list_documents(db, date(2023, 6, 1))[docs.index(rd)]["status"] == "in_force"
    compilation = next(d for d in docs if d["kind"] == "compilation")
    assert compilation["provision_count"] == 71


def test_compilation_entries_are_children_of_the_compilation(db_url):
    with session(db_url) as db:
        entry = repo.get_item(db, "kjzc2020/二-23", TODAY)
    assert entry["kind"] == "compilation_entry"
    assert entry["parent"] == "kjzc2020"
    assert entry["label"] == "二-23"


def test_references_link_basis_documents_to_entries(db_url):
    with session(db_url) as db:
        refs = repo.list_references(db)
    rd = [r for r in refs if r["doc_number"] == "津科规〔2018〕4号"]
    assert rd and rd[0]["kind"] == "reference" and rd[0]["cited_by"]
    hightech = next(r for r in refs if r["doc_number"] == "国科发火〔2016〕32号")
    assert "kjzc2020/一-1" in hightech["cited_by"]


def test_unknown_id_raises_not_found(db_url):
    with session(db_url) as db, pytest.raises(repo.NotFound):
        repo.get_item(db, "no-such-thing", TODAY)


@pytest.mark.parametrize(
    ("question", "answers"),
    [
        ("买机器人有补贴吗", {"jingongxingui-2020-3/二、（三）10．", "jinzhengbangui-2020-16/三、10．"}),
        ("研发投入后补助的基础补助比例", {"jinkegui-2021-4/第七条", "kjzc2020/一-6"}),
        ("高企认定条件", {"kjzc2020/一-1"}),
    ],
)
def test_colloquial_questions_find_the_clause(index, question, answers):
    ids = [hit["id"] for hit in index.search(question, limit=5, as_of=TODAY)]
    assert answers & set(ids), ids


def test_hits_carry_citation_fields(index):
    hit = index.search("雏鹰企业", limit=1, as_of=TODAY)[0]
    assert {"id", "doc_title", "doc_number", "label", "text", "snippet", "score", "status", "kind"} <= set(hit)
    assert "<mark>" in hit["snippet"]


def test_filters_narrow_the_results(index):
    only = index.search("补贴", limit=20, as_of=TODAY, doc="津科规〔2021〕4号")
    assert only and all(h["doc_number"] == "津科规〔2021〕4号" for h in only)
    persons = index.search("补贴", limit=20, as_of=TODAY, beneficiary="person")
    assert persons and all(h["doc_id"] != "jinkegui-2021-4" for h in persons)
    in_force = index.search("补贴", limit=20, as_of=TODAY, status="in_force")
    assert all(h["status"] == "in_force" for h in in_force)


def test_status_follows_the_query_date(index):
    [hit] = index.search("研发投入后补助", limit=1, as_of=date(2023, 1, 1), doc="津科规〔2021〕4号")
    assert hit["status"] == "in_force"
    [hit] = index.search("研发投入后补助", limit=1, as_of=TODAY, doc="津科规〔2021〕4号")
    assert hit["status"] == "expired"


def test_empty_query_is_an_error(index):
    with pytest.raises(EmptyQuery):
        index.search("  ", as_of=TODAY)


def test_snippet_escapes_html_and_marks_words():
    assert snippet("给予<b>机器人</b>补贴", ["机器人"]) == "给予&lt;b&gt;<mark>机器人</mark>&lt;/b&gt;补贴"
