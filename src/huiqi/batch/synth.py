"""A seeded synthetic enterprise registry for tests and benchmarks (`huiqi registry synth`).

Rows are made enterprise by enterprise from one latent size, so employees, revenue and R&D move
together as they do in real registries: most firms are micro or small, R&D is zero for many and a
few percent of revenue for technology firms, credentials are rare and cluster where they should.
Yearly facts cover the reference year and the four before it (`revenue_2022` … `revenue_2026`).

`facts="core"` gives the columns a bureau typically holds (about 60); `facts="all"` adds every other
enterprise fact of the pack with a plausible generic distribution, so that every measure is
exercised (parity tests). Some cells are missing; `malformed_rate` (CSV only) puts unreadable values
in some rows — 约50万, 2021年13月45日, 不确定 — to exercise the errors report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from huiqi.rules.model import FactSpec
from huiqi.rules.pack import Pack

DISTRICTS = ["和平区", "河东区", "河西区", "南开区", "河北区", "红桥区", "东丽区", "西青区", "津南区", "北辰区", "武清区", "宝坻区", "宁河区", "静海区", "蓟州区", "滨海新区"]
DISTRICT_WEIGHTS = [4, 4, 6, 6, 4, 2, 6, 8, 6, 7, 8, 5, 3, 5, 3, 23]
INDUSTRY_WEIGHTS = {"manufacturing": 22, "software_it": 9, "scientific_research": 7, "construction": 7, "wholesale_retail": 20, "transport_logistics": 6, "accommodation_catering": 5, "finance": 2, "real_estate": 3, "agriculture": 2, "energy": 1, "culture_tourism": 3, "services": 10, "other": 3}
SIZES = ["micro", "small", "medium", "large"]
SIZE_WEIGHTS = [0.60, 0.28, 0.09, 0.03]
SIZE_EMPLOYEES = {"micro": (6, 0.7), "small": (60, 0.7), "medium": (450, 0.4), "large": (2500, 0.8)}  # lognormal median, sigma
TECH_INDUSTRIES = ("manufacturing", "software_it", "scientific_research")
CORE_MISSING = 0.03
OTHER_MISSING = 0.15
YEARS_BACK = 4


@dataclass
class Firms:
    """The latent draws every column is derived from."""

    n: int
    rng: np.random.Generator
    year: int
    size: np.ndarray  # index into SIZES
    industry: np.ndarray  # industry codes
    tech: np.ndarray  # a technology firm (more R&D, credentials)
    employees: np.ndarray
    revenue: np.ndarray  # revenue of the reference year's previous year, in yuan


def synthesize(pack: Pack, n: int, seed: int = 0, year: int | None = None, facts: str = "core", received_rate: float = 0.05) -> pl.DataFrame:
    """A typed registry frame: one row per enterprise, fact columns by their flat names."""
    rng = np.random.default_rng(seed)
    year = year or date.today().year
    firms = _firms(n, rng, year)
    columns: dict[str, pl.Series] = {
        "row_id": pl.Series("row_id", [f"9112{seed % 10000:04d}{i:010d}" for i in range(n)]),
        "name": pl.Series("name", _names(rng, n)),
    }
    core = _core(firms)
    columns.update(core)
    if facts == "all":
        for spec in pack.registry.specs.values():
            if "enterprise" in spec.subject:
                for column, series in _generic(spec, firms).items():
                    columns.setdefault(column, series)
    columns["received"] = _received(pack, firms, received_rate)
    frame = pl.DataFrame(list(columns.values()))
    return _blank(frame, rng, core=set(core))


def _firms(n: int, rng: np.random.Generator, year: int) -> Firms:
    size = rng.choice(len(SIZES), size=n, p=SIZE_WEIGHTS)
    names = list(INDUSTRY_WEIGHTS)
    weights = np.array(list(INDUSTRY_WEIGHTS.values()), dtype=float)
    industry = np.array(names)[rng.choice(len(names), size=n, p=weights / weights.sum())]
    tech_p = np.where(np.isin(industry, TECH_INDUSTRIES), 0.35, 0.05)
    tech = rng.random(n) < tech_p
    medians = np.array([SIZE_EMPLOYEES[s][0] for s in SIZES])[size]
    sigmas = np.array([SIZE_EMPLOYEES[s][1] for s in SIZES])[size]
    employees = np.maximum(1, np.round(medians * np.exp(rng.normal(0, sigmas)))).astype(np.int64)
    per_head = 6e5 * np.exp(rng.normal(0, 0.8, n))  # revenue per employee
    revenue = np.round(employees * per_head, -2)
    return Firms(n, rng, year, size, industry, tech, employees, revenue)


def _names(rng: np.random.Generator, n: int) -> list[str]:
    first = list("华津海河滨中新泰瑞宏博创远恒鑫达诚信安康盛兴")
    kinds = ["科技", "机械", "电子", "软件", "新材料", "物流", "贸易", "生物", "智能", "环保"]
    a, b, c = rng.integers(0, len(first), n), rng.integers(0, len(first), n), rng.integers(0, len(kinds), n)
    return [f"天津{first[i]}{first[j]}{kinds[k]}有限公司" for i, j, k in zip(a, b, c)]


def _core(firms: Firms) -> dict[str, pl.Series]:
    """The columns a bureau's registry typically holds, with correlated realistic values."""
    n, rng, year = firms.n, firms.rng, firms.year
    size_names = np.array(SIZES)[firms.size]
    tech = firms.tech
    out: dict[str, object] = {
        "registered_in_tianjin": rng.random(n) < 0.97,
        "independent_legal_person": rng.random(n) < 0.95,
        "individual_business": rng.random(n) < 0.02,
        "district": np.array(DISTRICTS)[rng.choice(len(DISTRICTS), size=n, p=np.array(DISTRICT_WEIGHTS) / sum(DISTRICT_WEIGHTS))],
        "industry": firms.industry,
        "enterprise_size": size_names,
        "above_designated_size": (firms.size >= 1) & (rng.random(n) < 0.6),
        "small_low_profit": (firms.size <= 1) & (rng.random(n) < 0.7),
        "employees": firms.employees,
        "tech_staff": np.round(firms.employees * np.where(tech, 0.3, 0.05) * rng.random(n)).astype(np.int64),
        "total_assets": np.round(firms.revenue * np.exp(rng.normal(0.2, 0.6, n)), -2),
        "serious_violation_last_year": rng.random(n) < 0.01,
        "dishonest_record": rng.random(n) < 0.01,
        "abnormal_operation_listed": rng.random(n) < 0.03,
        "national_high_tech": tech & (rng.random(n) < 0.45),
        "tech_sme": tech & (firms.size <= 2) & (rng.random(n) < 0.5),
        "chuying": tech & (firms.size <= 1) & (rng.random(n) < 0.12),
        "dengling": tech & (rng.random(n) < 0.04),
        "tech_leader": tech & (firms.size >= 2) & (rng.random(n) < 0.05),
        "tech_leader_cultivation": tech & (rng.random(n) < 0.03),
        "specialized_sme_city": (firms.size <= 2) & (rng.random(n) < 0.04),
        "little_giant_national": (firms.size <= 2) & (rng.random(n) < 0.005),
        "city_enterprise_tech_center": tech & (firms.size >= 1) & (rng.random(n) < 0.1),
        "first_set_product": (firms.industry == "manufacturing") & (rng.random(n) < 0.02),
    }
    est_days = (rng.exponential(9.0, n) * 365.25).astype(np.int64)
    ref = np.datetime64(f"{year}-01-01")
    out["established_on"] = np.maximum(ref - est_days.astype("timedelta64[D]"), np.datetime64("1980-01-01")).astype("datetime64[D]")
    hightech_years = rng.integers(0, 6, n)
    since = np.array([np.datetime64(f"{year - y}-{m:02d}-15") for y, m in zip(hightech_years, rng.integers(1, 13, n))], dtype="datetime64[D]") if n else np.array([], dtype="datetime64[D]")
    out["national_high_tech_since"] = since
    # smart-manufacturing upgrade projects: a few manufacturers, total investment spanning the 10M threshold
    has_project = (firms.industry == "manufacturing") & (rng.random(n) < 0.15)
    total = np.round(np.exp(rng.normal(np.log(8e6), 1.0, n)), -3)
    out["smart_upgrade_total_investment"] = np.where(has_project, total, 0.0)
    out["smart_upgrade_equipment_investment"] = np.where(has_project, np.round(total * rng.uniform(0.4, 0.9, n), -3), 0.0)
    # yearly finances, for the reference year and the four before it
    intensity = np.where(tech, np.exp(rng.normal(np.log(0.045), 0.5, n)), np.exp(rng.normal(np.log(0.008), 0.9, n)))
    intensity = np.where(~tech & (rng.random(n) < 0.5), 0.0, intensity)
    level = firms.revenue.copy()
    for back in range(1, YEARS_BACK + 1):  # year - 1 is the latest full year
        y = year - back
        out[f"revenue_{y}"] = np.round(level, -2)
        out[f"sales_revenue_{y}"] = np.round(level * rng.uniform(0.85, 1.0, n), -2)
        out[f"main_business_revenue_{y}"] = np.round(level * rng.uniform(0.8, 0.98, n), -2)
        rd = np.round(level * intensity * np.exp(rng.normal(0, 0.15, n)), -2)
        out[f"rd_expense_{y}"] = rd
        out[f"rd_expense_domestic_{y}"] = np.round(rd * rng.uniform(0.9, 1.0, n), -2)
        out[f"high_tech_revenue_{y}"] = np.where(tech, np.round(level * rng.uniform(0.4, 0.9, n), -2), 0.0)
        profit = level * rng.normal(0.06, 0.08, n)
        out[f"net_profit_{y}"] = np.round(profit, -2)
        out[f"taxable_income_{y}"] = np.round(profit * 1.05, -2)
        out[f"tax_paid_{y}"] = np.round(level * rng.uniform(0.01, 0.05, n), -2)
        level = level / np.exp(rng.normal(0.06, 0.2, n))  # one year earlier: smaller on average
    return {name: pl.Series(name, values) for name, values in out.items()}


def _generic(spec: FactSpec, firms: Firms) -> dict[str, pl.Series]:
    """A plausible column for any fact the core set does not cover."""
    years = [firms.year - back for back in range(0, YEARS_BACK + 1)] if spec.yearly else [None]
    out = {}
    for y in years:
        column = spec.name if y is None else f"{spec.name}_{y}"
        out[column] = pl.Series(column, _values(spec, firms))
    return out


def _values(spec: FactSpec, firms: Firms) -> np.ndarray:
    n, rng, name = firms.n, firms.rng, spec.name
    if spec.type == "bool":
        rare = any(w in name for w in ("violation", "dishonest", "abnormal", "misconduct", "penal", "debt"))
        return rng.random(n) < (0.03 if rare else 0.35)
    if spec.type == "enum":
        values = spec.values or ["other"]
        return np.array(values)[rng.integers(0, len(values), n)]
    if spec.type == "date":
        days = rng.integers(0, 365 * 8, n).astype("timedelta64[D]")
        return (np.datetime64(f"{firms.year - 6}-01-01") + days).astype("datetime64[D]")
    if spec.type == "text":
        return np.array(["甲", "乙", "丙"])[rng.integers(0, 3, n)]
    if spec.type == "ratio":
        return np.round(rng.uniform(0, 0.6, n), 4)
    if spec.type == "integer":
        if name.endswith("_year"):
            return rng.integers(firms.year - 5, firms.year + 1, n).astype(np.int64)
        if "level" in name or "rank" in name:
            return rng.integers(1, 6, n).astype(np.int64)
        return np.round(np.exp(rng.normal(np.log(8), 1.2, n))).astype(np.int64)
    if spec.type == "number":
        if "score" in name:
            return np.round(rng.uniform(40, 100, n), 1)
        if "year" in name:
            return np.round(rng.uniform(0, 12, n), 1)
        return np.round(np.exp(rng.normal(np.log(12), 1.0, n)), 1)
    # money: scaled by the firm, rounded to hundreds of yuan; signed facts may be negative
    values = np.round(firms.revenue * 0.05 * np.exp(rng.normal(0, 1.5, n)), -2)
    if spec.signed:
        values = values * np.where(rng.random(n) < 0.2, -1, 1)
    return values


def _received(pack: Pack, firms: Firms, rate: float) -> pl.Series:
    """A few rows list measures they already received (once-only measures), comma-separated."""
    once = [m.id for m in pack.for_subject("enterprise") if m.spec.once_per_subject] or [m.id for m in pack.for_subject("enterprise")][:3]
    rng = firms.rng
    has = rng.random(firms.n) < rate
    picks = rng.integers(0, max(1, len(once)), (firms.n, 2))
    values = [",".join(dict.fromkeys(once[j] for j in row)) if h and once else None for h, row in zip(has, picks)]
    return pl.Series("received", values, dtype=pl.String)


def _blank(frame: pl.DataFrame, rng: np.random.Generator, core: set[str]) -> pl.DataFrame:
    """Leave some cells empty: a registry never has every fact for every firm."""
    n = frame.height
    keep = {"row_id", "name", "received", "district", "industry", "registered_in_tianjin"}
    exprs = []
    for column in frame.columns:
        if column in keep:
            continue
        rate = CORE_MISSING if column in core else OTHER_MISSING
        mask = pl.Series(rng.random(n) < rate)
        exprs.append(pl.when(mask).then(None).otherwise(pl.col(column)).alias(column))
    return frame.with_columns(exprs) if exprs else frame


# ---------------------------------------------------------------- writing, with malformed cells for CSV


MALFORMED = {
    "float": ["约50万", "12.3.4", "五百万", "1,2,3元"],
    "int": ["十二", "12人左右", "3.5"],
    "bool": ["不确定", "待定", "2"],
    "date": ["2021年13月45日", "2020/02/30", "去年"],
    "str": ["未知行业"],
}


def write(frame: pl.DataFrame, path: Path, malformed_rate: float = 0.0, seed: int = 0) -> int:
    """Write the registry (Parquet or CSV); for CSV, spoil `malformed_rate` of the rows. Returns cells spoiled."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame.write_parquet(path)
        return 0
    if suffix != ".csv":
        raise ValueError(f"不支持的输出格式 {path.suffix}（应为 .parquet 或 .csv）")
    text = frame.with_columns(_csv_text(frame, c) for c in frame.columns)
    spoiled = 0
    if malformed_rate > 0:
        text, spoiled = _spoil(frame, text, malformed_rate, np.random.default_rng(seed + 1))
    text.write_csv(path)
    return spoiled


def _csv_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    dtype = frame.schema[column]
    if dtype == pl.Boolean:  # bureaus write 是/否
        return pl.when(pl.col(column)).then(pl.lit("是")).when(~pl.col(column)).then(pl.lit("否")).alias(column)
    return pl.col(column).cast(pl.String)


def _spoil(frame: pl.DataFrame, text: pl.DataFrame, rate: float, rng: np.random.Generator) -> tuple[pl.DataFrame, int]:
    kinds = {pl.Float64: "float", pl.Int64: "int", pl.Boolean: "bool", pl.Date: "date"}
    candidates = [c for c in frame.columns if frame.schema[c] in kinds or c == "industry"]
    rows = np.flatnonzero(rng.random(frame.height) < rate)
    if not len(rows) or not candidates:
        return text, 0
    chosen = rng.integers(0, len(candidates), len(rows))
    updates: dict[str, tuple[list[int], list[str]]] = {}
    for row, ci in zip(rows, chosen):
        column = candidates[ci]
        kind = "str" if column == "industry" else kinds[frame.schema[column]]
        bad = MALFORMED[kind][int(rng.integers(0, len(MALFORMED[kind])))]
        updates.setdefault(column, ([], []))
        updates[column][0].append(int(row))
        updates[column][1].append(bad)
    for column, (idx, values) in updates.items():
        series = text[column].to_list()
        for i, v in zip(idx, values):
            series[i] = v
        text = text.with_columns(pl.Series(column, series, dtype=pl.String))
    return text, len(rows)
