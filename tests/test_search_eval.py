"""Search quality on the evaluation set (benchmarks/search_eval.yaml): ids exist, Recall@5 holds."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from huiqi.search.evaluation import (
    PERSONAS,
    Question,
    evaluate,
    first_hit_rank,
    lineage_map,
    load_questions,
    missed,
    mrr_at,
    percentile,
    recall_at,
    related,
)

EVAL = Path(__file__).resolve().parent.parent / "benchmarks" / "search_eval.yaml"
MIN_RECALL_AT_5 = 0.90


@pytest.fixture(scope="module")
def questions() -> list[Question]:
    return load_questions(EVAL)


def test_eval_set_is_well_formed(questions):
    assert len(questions) >= 120
    assert len({q.q for q in questions}) == len(questions), "duplicate questions"
    assert {q.persona for q in questions} <= set(PERSONAS)
    assert all(q.answers and len(set(q.answers)) == len(q.answers) for q in questions)


def test_every_answer_id_exists(index, questions):
    known = {u.id for u in index.units}
    unknown = sorted({(q.q, a) for q in questions for a in q.answers if a not in known})
    assert not unknown, f"answer ids not in the library: {unknown}"


def test_every_document_is_covered(index, questions):
    answered = {a.split("/", 1)[0] for q in questions for a in q.answers}
    assert set(index.documents) <= answered, f"documents without questions: {set(index.documents) - answered}"
    sections = {a.split("/", 1)[1].split("-", 1)[0] for q in questions for a in q.answers if a.startswith("kjzc2020/")}
    assert {"一", "二", "三"} <= sections


def test_recall_at_5(index, questions):
    lineage = lineage_map(index.units)
    as_of = date.today()
    returned = [[hit["id"] for hit in index.search(q.q, limit=10, as_of=as_of)] for q in questions]
    results = evaluate(questions, returned, lineage)
    recall = recall_at(results, 5)
    misses = [(r.question.q, r.returned[:3]) for r in missed(results, 5)]
    assert recall >= MIN_RECALL_AT_5, f"Recall@5 {recall:.3f} < {MIN_RECALL_AT_5}; misses: {misses}"


def test_metric_helpers():
    lineage = {"d/一、": ("d/一、",), "d/一、1．": ("d/一、1．", "d/一、"), "d/一、10．": ("d/一、10．", "d/一、")}
    assert related("d/一、", "d/一、1．", lineage) and related("d/一、1．", "d/一、", lineage)
    assert not related("d/一、1．", "d/一、10．", lineage)
    assert related("k/二-1", "k/二-1") and not related("k/二-1", "k/二-13", {"k/二-1": ("k/二-1",), "k/二-13": ("k/二-13",)})
    assert first_hit_rank(["x/1", "d/一、", "d/一、1．"], ["d/一、1．"], lineage) == 2
    qs = [Question("a", ("d/一、1．",), "person"), Question("b", ("z/9",), "person")]
    results = evaluate(qs, [["x/1", "d/一、1．"], ["x/1"]], lineage)
    assert recall_at(results, 1) == 0.0 and recall_at(results, 5) == 0.5
    assert mrr_at(results, 10) == pytest.approx(0.25)
    assert [r.question.q for r in missed(results, 5)] == ["b"]
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 0.95) == 4.0
