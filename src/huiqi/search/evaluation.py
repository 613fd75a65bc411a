"""Search quality metrics over the evaluation set (benchmarks/search_eval.yaml).

Each question lists the provision ids that answer it. A returned hit counts as correct when it is one
of those ids, or an ancestor or descendant of one (the search engine keeps only the best-ranked of a
clause and the article containing it, so either level is the same answer). Ancestry comes from the
stored parent chain (`Unit.lineage` of the loaded index); without it, a same-document id prefix is
used as an approximation.

Used by `benchmarks/search_bench.py` and `tests/test_search_eval.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EVAL_PATH = Path(__file__).resolve().parents[3] / "benchmarks" / "search_eval.yaml"
PERSONAS = ("enterprise", "person", "institution", "officer")

Lineage = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Question:
    q: str
    answers: tuple[str, ...]
    persona: str


@dataclass
class QuestionResult:
    question: Question
    returned: list[str]
    rank: int | None  # 1-based rank of the first correct hit within the returned list, None if missed

    @property
    def reciprocal_rank(self) -> float:
        return 1.0 / self.rank if self.rank else 0.0


@dataclass
class Summary:
    questions: int
    recall_at: dict[int, float]
    mrr: float
    mrr_cutoff: int
    by_persona: dict[str, dict[str, float]] = field(default_factory=dict)


def load_questions(path: str | Path = EVAL_PATH) -> list[Question]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    questions = []
    for item in data["questions"]:
        answers = tuple(item["answers"])
        if not item.get("q") or not answers:
            raise ValueError(f"evaluation item without question or answers: {item!r}")
        questions.append(Question(q=str(item["q"]), answers=answers, persona=item.get("persona", "enterprise")))
    return questions


def lineage_map(units: Iterable[Any]) -> dict[str, tuple[str, ...]]:
    """id -> (id, parent, grandparent, ...) from the units of a loaded SearchIndex."""
    return {u.id: tuple(u.lineage) for u in units}


def _doc(unit_id: str) -> str:
    return unit_id.split("/", 1)[0]


def related(returned: str, answer: str, lineage: Lineage | None = None) -> bool:
    """True when `returned` is the answer itself, one of its ancestors or one of its descendants."""
    if returned == answer:
        return True
    if lineage is not None and (returned in lineage or answer in lineage):
        return answer in lineage.get(returned, ()) or returned in lineage.get(answer, ())
    if _doc(returned) != _doc(answer):
        return False
    return returned.startswith(answer) or answer.startswith(returned)


def first_hit_rank(returned: Sequence[str], answers: Iterable[str], lineage: Lineage | None = None) -> int | None:
    answers = tuple(answers)
    for rank, unit_id in enumerate(returned, start=1):
        if any(related(unit_id, a, lineage) for a in answers):
            return rank
    return None


def evaluate(
    questions: Sequence[Question],
    returned_ids: Sequence[Sequence[str]],
    lineage: Lineage | None = None,
) -> list[QuestionResult]:
    if len(questions) != len(returned_ids):
        raise ValueError("one list of returned ids per question is required")
    return [
        QuestionResult(question=q, returned=list(ids), rank=first_hit_rank(ids, q.answers, lineage))
        for q, ids in zip(questions, returned_ids)
    ]


def recall_at(results: Sequence[QuestionResult], k: int) -> float:
    """Share of questions with a correct hit in the top k."""
    if not results:
        return 0.0
    return sum(1 for r in results if r.rank is not None and r.rank <= k) / len(results)


def mrr_at(results: Sequence[QuestionResult], k: int = 10) -> float:
    """Mean reciprocal rank of the first correct hit, counting only the top k."""
    if not results:
        return 0.0
    return sum(1.0 / r.rank for r in results if r.rank is not None and r.rank <= k) / len(results)


def summarize(results: Sequence[QuestionResult], ks: Sequence[int] = (1, 5, 10), mrr_cutoff: int = 10) -> Summary:
    by_persona = {}
    for persona in PERSONAS:
        subset = [r for r in results if r.question.persona == persona]
        if subset:
            by_persona[persona] = {
                "questions": len(subset),
                **{f"recall@{k}": recall_at(subset, k) for k in ks},
                f"mrr@{mrr_cutoff}": mrr_at(subset, mrr_cutoff),
            }
    return Summary(
        questions=len(results),
        recall_at={k: recall_at(results, k) for k in ks},
        mrr=mrr_at(results, mrr_cutoff),
        mrr_cutoff=mrr_cutoff,
        by_persona=by_persona,
    )


def missed(results: Sequence[QuestionResult], k: int) -> list[QuestionResult]:
    """Questions without a correct hit in the top k, in evaluation-set order."""
    return [r for r in results if r.rank is None or r.rank > k]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1]); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[index]
