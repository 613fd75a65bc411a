"""The command line as a user runs it: a real process, JSON contracts, one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def huiqi(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "huiqi", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture()
def env(db_url, tmp_path):
    return {"HUIQI_DATABASE_URL": db_url, "HUIQI_HOME": str(tmp_path)}


def test_search_json_contract(env):
    result = huiqi("search", "买机器人有补贴吗", "--json", "--limit", "3", env_extra=env)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    for hit in hits:
        assert {"id", "kind", "doc_title", "doc_number", "label", "text", "snippet", "score", "status"} <= set(hit)
        assert hit["kind"] in ("document", "compilation_entry", "provision")


def test_search_as_of_changes_status(env):
    old = json.loads(huiqi("search", "研发投入后补助", "--doc", "jinkegui-2021-4", "--as-of", "2023-01-01", "--json", "-k", "1", env_extra=env).stdout)
    new = json.loads(huiqi("search", "研发投入后补助", "--doc", "jinkegui-2021-4", "--as-of", "2026-01-01", "--json", "-k", "1", env_extra=env).stdout)
    assert old[0]["status"] == "in_force" and new[0]["status"] == "expired"


def test_docs_json_contract(env):
    result = huiqi("docs", "--json", env_extra=env)
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)
    kinds = {i["kind"] for i in items}
    assert kinds == {"document", "compilation", "reference"}
    doc = next(i for i in items if i["kind"] == "document")
    assert {"id", "title", "doc_number", "effective_from", "effective_until", "repeals", "status", "provision_count"} <= set(doc)
    ref = next(i for i in items if i["kind"] == "reference")
    assert {"doc_number", "title", "cited_by"} <= set(ref)


def test_show_provision_with_context(env):
    result = huiqi("show", "jinkegui-2021-4/第七条（三）", "--json", env_extra=env)
    item = json.loads(result.stdout)
    assert item["label"] == "第七条（三）" and "500万元" in item["text"]
    assert item["context"]["parent"]["label"] == "第七条"
    human = huiqi("show", "kjzc2020/一-1", env_extra=env)
    assert human.returncode == 0 and "国家级高新技术企业认定" in human.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "no-such-id"], "找不到编号为 no-such-id"),
        (["search", "补贴", "--as-of", "2026-13-01"], "日期格式错误"),
        (["search", "   "], "查询内容不能为空"),
        (["search", "补贴", "--beneficiary", "cat"], "--beneficiary 取值无效"),
    ],
)
def test_bad_input_gets_one_line_and_nonzero_exit(env, args, message):
    result = huiqi(*args, env_extra=env)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_missing_database_is_a_clear_error(tmp_path):
    result = huiqi("search", "补贴", env_extra={"HUIQI_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert result.returncode == 1
    assert "请先运行 huiqi init" in result.stderr and "Traceback" not in result.stderr


def test_bad_profile_names_the_field(tmp_path, env):
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"subject": "enterprise", "facts": {"employees": -5}}), encoding="utf-8")
    result = huiqi("match", str(bad), env_extra=env)
    assert result.returncode == 1
    assert "facts.employees" in result.stderr and "不能为负数" in result.stderr
    broken = tmp_path / "q.json"
    broken.write_text("{not json", encoding="utf-8")
    result = huiqi("match", str(broken), env_extra=env)
    assert "不是有效的 JSON：第 1 行" in result.stderr


def test_schema_documents_facts(env):
    schema = json.loads(huiqi("schema", env_extra=env).stdout)
    facts = schema["$defs"]["Facts"]["properties"]
    assert "employees" in facts and "职工总数" in facts["employees"]["description"]


EXAMPLE = "examples/robot-manufacturer.json"


def test_match_json_contract_and_amounts(env):
    result = huiqi("match", EXAMPLE, "--as-of", "2022-06-30", "--json", env_extra=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"as_of", "results", "total_yuan", "total_max_yuan"} <= set(data)
    by_id = {r["measure_id"]: r for r in data["results"]}
    upgrade = by_id["tj.smart-mfg.upgrade-equipment"]
    assert (upgrade["status"], upgrade["amount_yuan"], upgrade["per"]) == ("eligible", 1_200_000, "one_off")
    assert upgrade["source"]["doc_number"] == "津工信规〔2020〕3号" and "10%" in upgrade["source"]["quote"]
    assert {r["status"] for r in data["results"]} <= {"eligible", "ineligible", "unknown", "expired", "not_yet_in_force"}
    unknown = next(r for r in data["results"] if r["status"] == "unknown")
    assert unknown["missing"] and len(unknown["missing"]) == len(unknown["missing_labels"])


def test_match_for_people_lists_eligible_with_citations(env):
    result = huiqi("match", EXAMPLE, "--as-of", "2022-06-30", env_extra=env)
    assert "符合" in result.stdout and "依据：" in result.stdout and "最值得补充的信息" in result.stdout


def test_explain_traces_each_step(env):
    result = huiqi("explain", "tj.rd-post-subsidy.general", "examples/hightech-rd-fell.json", "--as-of", "2023-06-30", "--json", env_extra=env)
    data = json.loads(result.stdout)
    assert data["amount_yuan"] == 25_200
    assert any(step["kind"] == "condition" for step in data["trace"])
    missing = huiqi("explain", "tj.no-such", EXAMPLE, env_extra=env)
    assert missing.returncode == 1 and "找不到措施" in missing.stderr


def test_rules_json_lists_the_whole_pack(env):
    measures = json.loads(huiqi("rules", "--json", env_extra=env).stdout)
    assert len(measures) >= 500
    m = next(x for x in measures if x["id"] == "tj.rd-post-subsidy.general")
    assert {"title", "sources", "beneficiary", "kind", "conditions", "amount", "limits", "validity", "department"} <= set(m)
    assert m["validity"]["until"] == "2024-12-31"


def test_measure_catalogue_in_docs_is_current(env):
    result = huiqi("rules", "--markdown", env_extra=env)
    current = (Path(__file__).resolve().parent.parent / "docs" / "measures.md").read_text(encoding="utf-8")
    assert result.stdout == current, "docs/measures.md is stale: regenerate with `huiqi rules --markdown > docs/measures.md`"
