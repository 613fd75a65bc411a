"""Registry in, results out: mapping and units, unreadable values, counts that add up, push lists, summaries."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from typer.testing import CliRunner

from huiqi.batch import registry, synth
from huiqi.batch.run import run_batch
from huiqi.cli import app
from huiqi.rules.pack import load_pack

runner = CliRunner()
AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def pack():
    return load_pack()


def test_mapping_converts_names_units_booleans_dates_and_labels(pack, tmp_path):
    mapping_file = tmp_path / "map.yaml"
    mapping_file.write_text(
        """
id: 统一社会信用代码
name: 企业名称
columns:
  2025年营业收入（万元）: {fact: revenue_2025, unit: 万元}
  是否高新技术企业: national_high_tech
  成立日期: established_on
  所属行业: {fact: industry, values: {软件业: software_it}}
  职工人数: employees
""",
        encoding="utf-8",
    )
    chunk = pl.DataFrame(
        {
            "统一社会信用代码": ["A", "B", "C", "D", "E"],
            "企业名称": ["甲", "乙", "丙", "丁", "戊"],
            "2025年营业收入（万元）": ["1,200", "3.5", "-", "约50万", "-3"],
            "是否高新技术企业": ["是", "否", "Y", "不确定", ""],
            "成立日期": ["2021年3月5日", "2021/3/5", "20210305", "2021-03-05", "2021-02-30"],
            "所属行业": ["制造业", "软件业", "manufacturing", "批发零售", "外星产业"],
            "职工人数": ["12", "12.0", "12.5", "", "7"],
        }
    )
    result = registry.normalise(chunk, registry.load_mapping(mapping_file), pack, start_row=1)
    frame = result.frame
    assert frame["row_id"].to_list() == ["A", "B", "C", "D", "E"]
    assert frame["revenue_2025"].to_list() == [12_000_000.0, 35_000.0, None, None, None]
    assert frame["national_high_tech"].to_list() == [True, False, True, None, None]
    assert frame["established_on"].to_list() == [date(2021, 3, 5)] * 4 + [None]
    assert frame["industry"].to_list() == ["manufacturing", "software_it", "manufacturing", "wholesale_retail", None]
    assert frame["employees"].to_list() == [12, 12, None, None, 7]
    errors = {(r["行号"], r["列名"]): r for r in result.errors.iter_rows(named=True)}
    assert set(errors) == {(4, "2025年营业收入（万元）"), (5, "2025年营业收入（万元）"), (4, "是否高新技术企业"), (5, "成立日期"), (5, "所属行业"), (3, "职工人数")}
    assert errors[(4, "2025年营业收入（万元）")]["原值"] == "约50万"
    assert errors[(4, "2025年营业收入（万元）")]["原因"] == "应为数值"
    assert "负数" in errors[(5, "2025年营业收入（万元）")]["原因"]
    assert errors[(3, "职工人数")]["原因"] == "应为整数"
    assert errors[(5, "成立日期")]["编号"] == "E"


def test_bad_mapping_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  营收: {fact: revenue_2025, unit: 斤}\n", encoding="utf-8")
    with pytest.raises(registry.BatchError, match="单位"):
        registry.load_mapping(bad)


def test_run_accounts_for_every_row_and_writes_outputs(pack, tmp_path):
    frame = synth.synthesize(pack, 3000, seed=5, year=2026)
    csv = tmp_path / "registry.csv"
    spoiled = synth.write(frame, csv, malformed_rate=0.02, seed=5)
    assert spoiled > 0
    out = tmp_path / "out"
    summary = run_batch(pack, csv, AS_OF, out, chunk_rows=1000)
    assert summary.rows_read == summary.rows_evaluated == 3000
    errors = pl.read_csv(out / "errors.csv")
    assert errors.height == summary.error_cells > 0
    assert errors["行号"].n_unique() == summary.rows_with_errors
    assert set(errors.columns) == {"行号", "编号", "列名", "事实", "原值", "原因"}
    # a row with an unreadable value is still evaluated: it has results like every other row
    results = pl.read_parquet(out / "results.parquet")
    bad_row = int(errors["行号"][0])
    assert bad_row in set(results["row"].to_list()) or summary.rows_evaluated == 3000
    by_measure = pl.read_parquet(out / "summary_by_measure.parquet")
    totals = by_measure.select(pl.sum_horizontal("eligible", "unknown", "ineligible", "expired", "not_yet_in_force").alias("n"))["n"]
    assert (totals == 3000).all()  # every row has exactly one status per measure
    written = results.group_by("measure_id", "status").len()
    for r in written.filter(pl.col("status") == "eligible").iter_rows(named=True):
        assert by_measure.filter(pl.col("measure_id") == r["measure_id"])["eligible"].item() == r["len"]
    # push lists: eligible and not yet received, one file per measure with any
    pushed = by_measure.filter(pl.col("to_push") > 0)
    assert pushed.height > 0
    for r in pushed.iter_rows(named=True):
        stem = "push_list_" + r["measure_id"]
        assert (out / f"{stem}.parquet").exists() and (out / f"{stem}.xlsx").exists()
        assert pl.read_parquet(out / f"{stem}.parquet").height == r["to_push"]
    for name in ("summary_by_measure.xlsx", "summary_by_district.parquet", "summary_by_industry.xlsx", "summary.json"):
        assert (out / name).exists()
    district = pl.read_parquet(out / "summary_by_district.parquet")
    assert district["rows"].sum() == 3000
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["rows_read"] == data["rows_evaluated"] == 3000


def test_received_rows_are_not_pushed(pack, tmp_path):
    measure = "tj.kjzc.1-1.high-tech-recognition"
    frame = pl.DataFrame({"row_id": ["a", "b"], "national_high_tech": [True, True], "received": [None, measure]})
    path = tmp_path / "r.parquet"
    frame.write_parquet(path)
    out = tmp_path / "out"
    run_batch(pack, path, AS_OF, out, [measure], excel=False)
    results = pl.read_parquet(out / "results.parquet")
    if results.filter(pl.col("status") == "eligible").height:
        push = pl.read_parquet(out / f"push_list_{measure}.parquet")
        assert "b" not in push["row_id"].to_list()


def test_excel_registry_is_read(pack, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["编号", "是否国家高新技术企业", "成立日期"])
    sheet.append(["X1", "是", date(2020, 5, 1)])
    sheet.append(["X2", "不清楚", "2019年1月2日"])
    path = tmp_path / "r.xlsx"
    book.save(path)
    mapping = registry.Mapping({"编号": registry.ColumnRule("编号", "row_id"), "是否国家高新技术企业": registry.ColumnRule("是否国家高新技术企业", "national_high_tech"), "成立日期": registry.ColumnRule("成立日期", "established_on")})
    chunks = list(registry.read_chunks(path, 10))
    result = registry.normalise(chunks[0], mapping, pack, 1)
    assert result.frame["established_on"].to_list() == [date(2020, 5, 1), date(2019, 1, 2)]
    assert result.errors["行号"].to_list() == [2]


def test_cli_synth_and_batch(tmp_path):
    registry_file = tmp_path / "r.csv"
    done = runner.invoke(app, ["registry", "synth", "--n", "500", "--seed", "3", "--out", str(registry_file), "--malformed-rate", "0.05", "--year", "2026", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["rows"] == 500
    out = tmp_path / "out"
    done = runner.invoke(app, ["batch", str(registry_file), "--as-of", "2026-06-30", "--out", str(out), "--no-excel", "--json"])
    assert done.exit_code == 0, done.output
    data = json.loads(done.output)
    assert data["rows_read"] == data["rows_evaluated"] == 500
    assert data["rows_with_errors"] > 0


def test_cli_batch_errors_are_one_line(tmp_path):
    done = runner.invoke(app, ["batch", str(tmp_path / "none.csv"), "--as-of", "2026-06-30"])
    assert done.exit_code != 0
