"""Reading a 免申即享 push list: the enterprises a batch run found eligible, one profile each.

Accepted forms (the batch module's push list can be written in any of them):
- JSON: a list of {"enterprise_id": "9112…", "name": "…", "profile": {…profile…}}
- CSV (UTF-8, header row) or Parquet: columns enterprise_id, name, profile (the profile as JSON text)
`enterprise_id` is the 统一社会信用代码: the applicant account with that credit code receives the notice.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import PurePath
from typing import Any

from huiqi.admin.errors import Invalid

MAX_ROWS = 100_000


def parse(file_name: str, data: bytes) -> list[dict[str, Any]]:
    kind = PurePath(file_name or "").suffix.lower()
    readers = {".json": _json_rows, ".csv": _csv_rows, ".parquet": _parquet_rows}
    if kind not in readers:
        raise Invalid("file", "推送名单应为 .json、.csv 或 .parquet 文件")
    try:
        rows = readers[kind](data)
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise Invalid("file", f"推送名单无法读取：{type(exc).__name__}") from None
    if len(rows) > MAX_ROWS:
        raise Invalid("file", f"推送名单超过 {MAX_ROWS} 行")
    return [_row(i, row) for i, row in enumerate(rows, 1)]


def _json_rows(data: bytes) -> list[Any]:
    rows = json.loads(data.decode("utf-8"))
    if not isinstance(rows, list):
        raise ValueError("not a list")
    return rows


def _csv_rows(data: bytes) -> list[Any]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _parquet_rows(data: bytes) -> list[Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise Invalid("file", "读取 Parquet 名单需要安装 pyarrow；也可以改用 JSON 或 CSV") from None
    try:
        return pq.read_table(io.BytesIO(data)).to_pylist()
    except pa.ArrowException as exc:
        raise ValueError(str(exc)) from None


def _row(number: int, row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise Invalid("file", f"第 {number} 行应为对象")
    enterprise_id = str(row.get("enterprise_id") or "").strip()
    if not enterprise_id or len(enterprise_id) > 40 or "\x00" in enterprise_id:
        raise Invalid("file", f"第 {number} 行缺少有效的 enterprise_id（统一社会信用代码）")
    profile = row.get("profile")
    if isinstance(profile, str):
        try:
            profile = json.loads(profile)
        except json.JSONDecodeError:
            raise Invalid("file", f"第 {number} 行 profile 不是有效的 JSON") from None
    if not isinstance(profile, dict):
        raise Invalid("file", f"第 {number} 行缺少 profile（主体档案）")
    name = str(row.get("name") or profile.get("name") or enterprise_id).replace("\x00", "")[:200]
    return {"enterprise_id": enterprise_id, "name": name, "profile": profile}
