"""Reading a registry (CSV, Parquet or Excel) into typed fact columns, chunk by chunk, keeping every row.

A bureau's file names its columns its own way and writes money in 万元, yes/no as 是/否 and dates
as 2021年3月5日. A mapping file (YAML) renames columns to fact names and converts units:

    id: 统一社会信用代码            # the column that identifies a row (becomes row_id)
    name: 企业名称                  # shown in push lists
    columns:
      所属区: district
      所属行业: {fact: industry, values: {软件业: software_it}}   # adds to the fact's own Chinese labels
      2025年营业收入（万元）: {fact: revenue_2025, unit: 万元}
      是否高新技术企业: national_high_tech
      成立日期: established_on
      已享受措施: received

Columns already named by fact (revenue_2025, employees) need no mapping. A value that cannot be
read is reported (row, column, value, reason in Chinese) and becomes unknown: the row is still
evaluated, with that fact unknown. Nothing is dropped: rows read = rows evaluated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from huiqi.batch.columns import BOOL, DATE, FLOAT, INT, kinds_for
from huiqi.batch.engine import ROW, BatchError
from huiqi.rules.facts import FIRST_DATE, LAST_DATE
from huiqi.rules.model import FactSpec
from huiqi.rules.pack import Pack

UNITS = {"元": 1.0, "千元": 1e3, "万元": 1e4, "百万元": 1e6, "亿元": 1e8, "%": 0.01, "百分比": 0.01, "人": 1.0, "个": 1.0}
BLANKS = ["", "-", "--", "—", "——", "/", "null", "NULL", "None", "NA", "N/A", "n/a", "#N/A", "nan", "NaN", "无数据", "不详"]
TRUE_WORDS = ["是", "有", "对", "真", "√", "✓", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "1", "1.0"]
FALSE_WORDS = ["否", "无", "不是", "没有", "假", "×", "✗", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "0", "0.0"]
PASS_THROUGH = ("row_id", "name", "received", "applied")  # columns kept as text, not facts
ERROR_COLUMNS = {"行号": pl.Int64, "编号": pl.String, "列名": pl.String, "事实": pl.String, "原值": pl.String, "原因": pl.String}


@dataclass
class ColumnRule:
    source: str  # the column as the file names it
    target: str  # the flat fact name (or row_id / name / received / applied)
    scale: float = 1.0  # multiply numbers by this (万元 → 10000)
    values: dict[str, Any] = field(default_factory=dict)  # labels → enum codes or booleans


@dataclass
class Mapping:
    rules: dict[str, ColumnRule] = field(default_factory=dict)  # by source column

    def target(self, source: str) -> str:
        rule = self.rules.get(source)
        return rule.target if rule else source


def load_mapping(path: Path | None) -> Mapping:
    """Read a mapping file; no file means the columns are already named by fact."""
    if path is None:
        return Mapping()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BatchError(f"找不到映射文件：{path}") from None
    except yaml.YAMLError as exc:
        raise BatchError(f"映射文件 {path} 不是有效的 YAML：{exc}") from None
    if not isinstance(raw, dict):
        raise BatchError(f"映射文件 {path} 顶层应为映射（id / name / columns）")
    mapping = Mapping()
    for key in ("id", "name"):
        if raw.get(key):
            mapping.rules[str(raw[key])] = ColumnRule(str(raw[key]), "row_id" if key == "id" else "name")
    for source, spec in (raw.get("columns") or {}).items():
        mapping.rules[str(source)] = _rule(str(source), spec, path)
    return mapping


def _rule(source: str, spec: Any, path: Path) -> ColumnRule:
    if isinstance(spec, str):
        return ColumnRule(source, spec)
    if not isinstance(spec, dict) or "fact" not in spec:
        raise BatchError(f"映射文件 {path}：列“{source}”应写作 事实名 或 {{fact: 事实名, unit: 万元, values: {{...}}}}")
    scale = float(spec.get("scale", 1.0))
    unit = spec.get("unit")
    if unit is not None:
        if unit not in UNITS:
            raise BatchError(f"映射文件 {path}：列“{source}”的单位“{unit}”无法识别（可用：{'、'.join(UNITS)}）")
        scale *= UNITS[unit]
    return ColumnRule(source, str(spec["fact"]), scale, {str(k): v for k, v in (spec.get("values") or {}).items()})


# ---------------------------------------------------------------- reading in chunks


def count_rows(path: Path) -> int | None:
    """Rows in the file without reading it all (for the progress bar); None when not cheap to know."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    if suffix == ".csv":
        with path.open("rb") as f:
            lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 22), b""))
        return max(0, lines - 1)
    return None


def read_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The file as frames of at most `chunk_rows` rows, in order (memory bounded by the chunk)."""
    if not path.exists():
        raise BatchError(f"找不到登记表文件：{path}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        yield from _parquet_chunks(path, chunk_rows)
    elif suffix == ".csv":
        yield from _csv_chunks(path, chunk_rows)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _excel_chunks(path, chunk_rows)
    else:
        raise BatchError(f"不支持的登记表格式：{path.suffix}（应为 .csv、.parquet 或 .xlsx）")


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        yield pl.from_arrow(batch)  # type: ignore[misc]


def _csv_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """CSV as text columns (every value is checked by `normalise`), UTF-8 with or without BOM, or GB18030."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as f:
        header = next(csv.reader(f), None)
    if not header:
        return
    header = [h.lstrip("\ufeff") for h in header]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(encoding=encoding, block_size=1 << 24, column_names=header, skip_rows=1),
        convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header}, strings_can_be_null=False, quoted_strings_can_be_null=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
    )
    pending: list[pl.DataFrame] = []
    size = 0
    for batch in reader:
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        pending.append(frame)
        size += frame.height
        while size >= chunk_rows:
            whole = pl.concat(pending)
            yield whole.slice(0, chunk_rows)
            rest = whole.slice(chunk_rows)
            pending, size = ([rest] if rest.height else []), rest.height
    if size:
        yield pl.concat(pending)


def _encoding(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(1 << 16)
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # a character cut at the end of the sample
            return "utf-8"
        return "gb18030"


def _excel_chunks(path: Path, chunk_rows: int) -> Iterator[pl.DataFrame]:
    """The first sheet, header in the first row; cells become text (dates as YYYY-MM-DD) and are checked like CSV."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else f"列{i + 1}" for i, h in enumerate(next(rows, ()) or ())]
        batch: list[list[str]] = []
        for row in rows:
            if row is None or all(v is None for v in row):
                continue
            batch.append([_cell_text(v) for v in list(row)[: len(header)]] + [""] * (len(header) - len(row)))
            if len(batch) >= chunk_rows:
                yield pl.DataFrame(batch, schema={h: pl.String for h in header}, orient="row")
                batch = []
        if batch:
            yield pl.DataFrame(batch, schema={h: pl.String for h in header}, orient="row")
    finally:
        book.close()


def _cell_text(value: Any) -> str:
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- normalising one chunk


@dataclass
class Normalised:
    frame: pl.DataFrame  # typed fact columns + row_id/name/received/applied + _row
    errors: pl.DataFrame  # 行号, 编号, 列名, 事实, 原值, 原因
    unused: list[str]  # source columns that are neither facts nor known extras


def normalise(chunk: pl.DataFrame, mapping: Mapping, pack: Pack, start_row: int) -> Normalised:
    """Rename, convert and check every column of a chunk; unreadable cells become null and are reported."""
    frame = chunk.with_row_index(ROW, offset=start_row).with_columns(pl.col(ROW).cast(pl.Int64))
    targets = {source: mapping.target(source) for source in chunk.columns}
    kinds = kinds_for(pack.registry, {t: None for t in targets.values()})
    exprs: list[pl.Expr] = []
    checks: list[tuple[str, str, pl.Expr, pl.Expr, str]] = []  # (source, fact, original text, converted, reason)
    unused = []
    seen: set[str] = set()
    for source, target in targets.items():
        if target in seen:
            raise BatchError(f"多个列都映射到“{target}”，请检查映射文件")
        seen.add(target)
        rule = mapping.rules.get(source, ColumnRule(source, target))
        if target in PASS_THROUGH:
            exprs.append(_text(pl.col(source), chunk.schema[source]).alias(target))
        elif target in kinds:
            spec = _spec(pack, target)
            converted, problems = _convert(pl.col(source), chunk.schema[source], kinds[target], spec, rule)
            exprs.append(converted.alias(target))
            original = _text(pl.col(source), chunk.schema[source])
            checks.extend((source, target, original, bad, reason) for bad, reason in problems)
        else:
            unused.append(source)
    typed = frame.select(pl.col(ROW), *exprs)
    errors = _errors(frame, typed, checks)
    return Normalised(typed, errors, unused)


def _spec(pack: Pack, column: str) -> FactSpec:
    spec = pack.registry.specs.get(column)
    if spec is None:
        spec = pack.registry.specs[column.rpartition("_")[0]]
    return spec


def _text(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.String:
        return col
    if isinstance(dtype, pl.List):
        return col.list.eval(pl.element().cast(pl.String)).list.join(",")
    return col.cast(pl.String)


def _blank(text: pl.Expr) -> pl.Expr:
    return text.is_null() | text.str.strip_chars().is_in(BLANKS)


def _convert(col: pl.Expr, dtype: pl.DataType, kind: str, spec: FactSpec, rule: ColumnRule) -> tuple[pl.Expr, list[tuple[pl.Expr, str]]]:
    """The typed column and the checks: (row is bad, reason in Chinese)."""
    if dtype == pl.String:
        text = col.str.strip_chars()
        blank = _blank(col)
        value = _parse(text, kind, spec, rule)
        unreadable = ~blank & value.is_null()
    else:  # already typed (Parquet): cast, and check what does not cast
        value = _cast_typed(col, dtype, kind, spec, rule)
        unreadable = col.is_not_null() & value.is_null()
    problems = [(unreadable, _reason(kind, spec))]
    if kind in (INT, FLOAT) and not spec.signed:
        negative = value.is_not_null() & (value < 0)
        problems.append((negative, f"{spec.label}不能为负数"))
        value = pl.when(negative).then(None).otherwise(value)
    if kind == DATE:
        odd = value.is_not_null() & ((value < FIRST_DATE) | (value > LAST_DATE))
        problems.append((odd, "日期不合理"))
        value = pl.when(odd).then(None).otherwise(value)
    return value, problems


def _reason(kind: str, spec: FactSpec) -> str:
    if kind == BOOL:
        return "无法识别为是/否"
    if kind == DATE:
        return "无法识别为日期（可写作 2021-03-05、2021/3/5、2021年3月5日 或 20210305）"
    if kind == INT:
        return "应为整数"
    if kind == FLOAT:
        return "应为数值"
    if spec.type == "enum":
        return f"取值不在允许范围内（{'、'.join((spec.value_labels or {}).get(v, v) for v in spec.values or [])}）"
    return "无法读取"


def _parse(text: pl.Expr, kind: str, spec: FactSpec, rule: ColumnRule) -> pl.Expr:
    if kind in (INT, FLOAT):
        cleaned = text.str.replace_all(r"[,，\s¥￥]", "").str.replace(r"元$", "")
        percent = cleaned.str.ends_with("%")
        number = cleaned.str.strip_suffix("%").cast(pl.Float64, strict=False)
        number = pl.when(percent).then(number / 100).otherwise(number) * rule.scale
        if kind == INT:
            return pl.when(number == number.round(0)).then(number.round(0).cast(pl.Int64, strict=False))
        return number
    if kind == BOOL:
        words = {**{w: True for w in TRUE_WORDS}, **{w: False for w in FALSE_WORDS}, **{k: bool(v) for k, v in rule.values.items()}}
        return text.replace_strict(list(words), list(words.values()), default=None, return_dtype=pl.Boolean)
    if kind == DATE:
        return _date(text)
    if spec.type == "enum":
        labels = {**{v: v for v in spec.values or []}, **{label: code for code, label in (spec.value_labels or {}).items()}, **{k: str(v) for k, v in rule.values.items()}}
        return text.replace_strict(list(labels), list(labels.values()), default=None, return_dtype=pl.String)
    return pl.when(_blank(text)).then(None).otherwise(text)


def _date(text: pl.Expr) -> pl.Expr:
    """2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日, 20210305, and 2021-03-05 00:00:00 from spreadsheets."""
    unified = text.str.replace(r"[ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?$", "").str.replace_all(r"[年月/.]", "-").str.replace(r"日$", "")
    compact = unified.str.replace(r"^(\d{4})(\d{2})(\d{2})$", "$1-$2-$3")
    return compact.str.to_date("%Y-%m-%d", strict=False)


def _cast_typed(col: pl.Expr, dtype: pl.DataType, kind: str, spec: FactSpec, rule: ColumnRule) -> pl.Expr:
    if kind in (INT, FLOAT) and dtype.is_numeric():
        value = col.cast(pl.Float64) * rule.scale
        if kind == INT:
            return pl.when(value == value.round(0)).then(value.round(0).cast(pl.Int64, strict=False))
        return value
    if kind == BOOL and (dtype == pl.Boolean or dtype.is_numeric()):
        return col.cast(pl.Boolean, strict=False)
    if kind == DATE and dtype == pl.Date:
        return col
    if kind == DATE and isinstance(dtype, pl.Datetime):
        return col.dt.date()
    return _parse(_text(col, dtype).str.strip_chars(), kind, spec, rule)


def _errors(frame: pl.DataFrame, typed: pl.DataFrame, checks: list[tuple[str, str, pl.Expr, pl.Expr, str]]) -> pl.DataFrame:
    if not checks:
        return pl.DataFrame(schema=ERROR_COLUMNS)
    ids = typed["row_id"].cast(pl.String) if "row_id" in typed.columns else pl.Series([None] * frame.height, dtype=pl.String)
    base = frame.with_columns(ids.alias("_id"))
    parts = [
        base.lazy()
        .filter(bad)
        .select(
            pl.col(ROW).alias("行号"),
            pl.col("_id").alias("编号"),
            pl.lit(source, dtype=pl.String).alias("列名"),
            pl.lit(fact, dtype=pl.String).alias("事实"),
            original.alias("原值"),
            pl.lit(reason, dtype=pl.String).alias("原因"),
        )
        for source, fact, original, bad, reason in checks
    ]
    return pl.concat(pl.collect_all(parts)).sort("行号", maintain_order=True)
