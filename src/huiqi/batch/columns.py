"""Compiling the rule language to column expressions: Polars on one machine, Spark SQL on a cluster.

`compile_node` turns a `lang.Node` into a column expression with the same three-valued meaning as
`lang.evaluate` (null stands for unknown). It is written once, over a small set of column operations
(`Ops`); `PolarsOps` and `SparkOps` implement them. No Python UDFs: everything runs inside the engine.

Where the engines differ from the rule language, the operations say so and guard:
- x / 0 is unknown (Polars gives inf/NaN, Spark errors in ANSI mode): `when(right == 0, null)`.
- min/max/clamp propagate unknowns (Polars min_horizontal and Spark least/greatest skip nulls).
- `if_(unknown, a, b)` is unknown (SQL CASE would take the else branch).
- Numbers are compared after rounding to 9 decimals (`lang.COMPARE_DECIMALS`), as the calculator does.
- A condition's value is Python truthiness (`bool(value)`), so numbers and texts are tested != 0 / != ''.
Kleene and/or are native in both (Polars &,| on booleans; Spark SQL AND/OR).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from huiqi.rules import lang
from huiqi.rules.facts import FactRegistry

# value kinds, inferred statically so that absent columns become typed nulls and truthiness is right
BOOL, INT, FLOAT, STR, DATE, LIST, NULL = "bool", "int", "float", "str", "date", "list", "null"
SPEC_KINDS = {"bool": BOOL, "integer": INT, "money": FLOAT, "number": FLOAT, "ratio": FLOAT, "date": DATE, "enum": STR, "text": STR}

Expr = Any  # pl.Expr or pyspark.sql.Column


class CompileError(ValueError):
    """An expression the column compiler does not support (reported when the plan is built)."""


# ---------------------------------------------------------------- operations


VARIES = object()  # `Ops.constant` of an expression whose value depends on the row


class Ops:
    """Column operations both engines provide; subclasses map them to Polars or Spark.

    Constants are folded while the plan is built: a fact column the registry lacks is a null
    literal, and the Kleene connectives, null tests, CASE and coalesce over literals give literals
    (`x AND false` is false, `is_null(null)` is true, a CASE whose first condition is true is its
    value). A measure that reads an absent fact thus often compiles to a constant status with no
    per-row work, and the engines' plans shrink. Subclasses implement the underscored primitives
    and the operations without a fold (col, is_in, least …).
    """

    name = "abstract"

    def __init__(self) -> None:
        self._constants: dict[int, tuple[Expr, Any]] = {}  # id → (literal, its value); the literal keeps the id alive
        self._nulls: dict[str, Expr] = {}  # one null literal per kind, so that equal branches are the same object

    def _lit(self, value: Any, kind: str) -> Expr: raise NotImplementedError
    def _null(self, kind: str) -> Expr: raise NotImplementedError
    def _chain(self, branches: Sequence[tuple[Expr, Expr]], otherwise: Expr) -> Expr: raise NotImplementedError
    def _is_null(self, e: Expr) -> Expr: raise NotImplementedError
    def _coalesce(self, es: Sequence[Expr]) -> Expr: raise NotImplementedError
    def col(self, name: str) -> Expr: raise NotImplementedError
    def is_in(self, e: Expr, values: list[Any]) -> Expr: raise NotImplementedError
    def least(self, es: Sequence[Expr]) -> Expr: raise NotImplementedError  # ignores nulls
    def greatest(self, es: Sequence[Expr]) -> Expr: raise NotImplementedError
    def abs(self, e: Expr) -> Expr: raise NotImplementedError
    def year(self, e: Expr) -> Expr: raise NotImplementedError
    def month(self, e: Expr) -> Expr: raise NotImplementedError
    def day(self, e: Expr) -> Expr: raise NotImplementedError
    def days_between(self, later: Expr, earlier: Expr) -> Expr: raise NotImplementedError
    def to_float(self, e: Expr) -> Expr: raise NotImplementedError
    def to_int(self, e: Expr) -> Expr: raise NotImplementedError
    def round(self, e: Expr, digits: int) -> Expr: raise NotImplementedError  # half to even, like Python's round
    def round_half_up(self, e: Expr, digits: int) -> Expr: raise NotImplementedError  # half away from zero
    def floor(self, e: Expr) -> Expr: raise NotImplementedError
    def str_list(self, items: Sequence[tuple[str, Expr | None]]) -> Expr: raise NotImplementedError
    def list_contains(self, e: Expr, value: str) -> Expr: raise NotImplementedError

    # constants

    def lit(self, value: Any, kind: str) -> Expr:
        return self._known(self._lit(value, kind), value)

    def null(self, kind: str) -> Expr:
        if kind not in self._nulls:
            self._nulls[kind] = self._known(self._null(kind), None)
        return self._nulls[kind]

    def _known(self, e: Expr, value: Any) -> Expr:
        self._constants[id(e)] = (e, value)
        return e

    def constant(self, e: Expr) -> Any:
        """The value of a literal made by `lit` / `null` (None for null), else VARIES."""
        entry = self._constants.get(id(e))
        return entry[1] if entry is not None and entry[0] is e else VARIES

    def is_unknown(self, *es: Expr) -> bool:
        """Some expression is the null literal (then a strict operation over them is null too)."""
        return any(self.constant(e) is None for e in es)

    # folding the three-valued connectives

    def is_null(self, e: Expr) -> Expr:
        value = self.constant(e)
        return self._is_null(e) if value is VARIES else self.lit(value is None, BOOL)

    def and_(self, a: Expr, b: Expr) -> Expr:
        return self.all_of([a, b])

    def or_(self, a: Expr, b: Expr) -> Expr:
        return self.any_of([a, b])

    def _connect(self, es: Sequence[Expr], absorbing: bool) -> Expr:
        """Kleene AND (absorbing False) or OR (absorbing True): the neutral literal and repeated nulls are dropped."""
        kept: list[Expr] = []
        unknown = False
        for e in es:
            value = self.constant(e)
            if value is absorbing:
                return self.lit(absorbing, BOOL)
            if value is None and not unknown:
                unknown = True
                kept.append(e)
            elif value is VARIES:
                kept.append(e)
        if not kept:
            return self.lit(not absorbing, BOOL)
        return kept[0] if len(kept) == 1 else self._connective(kept, "and" if absorbing is False else "or")

    def _connective(self, es: Sequence[Expr], op: str) -> Expr:
        out = es[0]
        for e in es[1:]:
            out = (out & e) if op == "and" else (out | e)
        return out

    def sum(self, es: Sequence[Expr]) -> Expr:
        out = es[0]
        for e in es[1:]:
            out = out + e
        return out

    def not_(self, e: Expr) -> Expr:
        value = self.constant(e)
        if value is VARIES:
            return ~e
        return self.null(BOOL) if value is None else self.lit(not value, BOOL)

    def when(self, cond: Expr, then: Expr, otherwise: Expr) -> Expr:
        return self.chain([(cond, then)], otherwise)

    def chain(self, branches: Sequence[tuple[Expr, Expr]], otherwise: Expr) -> Expr:
        """CASE WHEN … (a null condition is not met): branches that can never be taken are dropped."""
        kept = []
        for cond, then in branches:
            value = self.constant(cond)
            if value is True:
                otherwise = then
                break
            if value is VARIES:
                kept.append((cond, then))
        while kept and kept[-1][1] is otherwise:  # WHEN c THEN x ELSE x is x
            kept.pop()
        return self._chain(kept, otherwise) if kept else otherwise

    def coalesce(self, *es: Expr) -> Expr:
        kept = [e for e in es if self.constant(e) is not None]
        for i, e in enumerate(kept):
            if self.constant(e) is not VARIES:  # a known value: the ones after it are never reached
                kept = kept[: i + 1]
                break
        if not kept:
            return es[0]
        return kept[0] if len(kept) == 1 else self._coalesce(kept)

    # derived, shared by both engines

    def not_null(self, e: Expr) -> Expr:
        return self.not_(self.is_null(e))

    def fill_false(self, e: Expr) -> Expr:
        return self.coalesce(e, self.lit(False, BOOL))

    def all_of(self, es: Sequence[Expr]) -> Expr:
        """Kleene AND of several values (empty: true)."""
        return self._connect(es, False)

    def any_of(self, es: Sequence[Expr]) -> Expr:
        """Kleene OR of several values (empty: false)."""
        return self._connect(es, True)

    def any_null(self, es: Sequence[Expr]) -> Expr:
        return self.any_of([self.is_null(e) for e in es])


class PolarsOps(Ops):
    name = "polars"
    DTYPES = {BOOL: pl.Boolean, INT: pl.Int64, FLOAT: pl.Float64, STR: pl.String, DATE: pl.Date, NULL: pl.Null}

    def _lit(self, value: Any, kind: str) -> pl.Expr:
        if kind == LIST:
            return pl.lit(value)
        return pl.lit(value, dtype=self.DTYPES[kind])

    def _null(self, kind: str) -> pl.Expr:
        return pl.lit(None, dtype=self.DTYPES.get(kind, pl.Null))

    def col(self, name: str) -> pl.Expr:
        return pl.col(name)

    def _chain(self, branches: Sequence[tuple[pl.Expr, pl.Expr]], otherwise: pl.Expr) -> pl.Expr:
        out: Any = pl
        for cond, then in branches:
            out = out.when(cond).then(then)
        return out.otherwise(otherwise)

    def _is_null(self, e: pl.Expr) -> pl.Expr:
        return e.is_null()

    def _coalesce(self, es: Sequence[pl.Expr]) -> pl.Expr:
        return pl.coalesce(list(es))

    def is_in(self, e: pl.Expr, values: list[Any]) -> pl.Expr:
        return e.is_in(values)  # a null value stays null

    def least(self, es: Sequence[pl.Expr]) -> pl.Expr:
        return pl.min_horizontal(list(es))

    def greatest(self, es: Sequence[pl.Expr]) -> pl.Expr:
        return pl.max_horizontal(list(es))

    def abs(self, e: pl.Expr) -> pl.Expr:
        return e.abs()

    def year(self, e: pl.Expr) -> pl.Expr:
        return e.dt.year().cast(pl.Int64)

    def month(self, e: pl.Expr) -> pl.Expr:
        return e.dt.month().cast(pl.Int64)

    def day(self, e: pl.Expr) -> pl.Expr:
        return e.dt.day().cast(pl.Int64)

    def days_between(self, later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
        return (later - earlier).dt.total_days()

    def to_float(self, e: pl.Expr) -> pl.Expr:
        return e.cast(pl.Float64)

    def to_int(self, e: pl.Expr) -> pl.Expr:
        return e.cast(pl.Int64)

    def round(self, e: pl.Expr, digits: int) -> pl.Expr:
        return e.round(digits)

    def round_half_up(self, e: pl.Expr, digits: int) -> pl.Expr:
        return e.round(digits, mode="half_away_from_zero")

    def floor(self, e: pl.Expr) -> pl.Expr:
        return e.floor().cast(pl.Int64)

    def str_list(self, items: Sequence[tuple[str, pl.Expr | None]]) -> pl.Expr:
        """Names whose guard holds on the row, in order, first occurrence kept."""
        if not items:
            return pl.lit([], dtype=pl.List(pl.String))
        parts = [pl.lit(name, dtype=pl.String) if guard is None else pl.when(guard).then(pl.lit(name, dtype=pl.String)) for name, guard in items]
        return pl.concat_list(parts).list.drop_nulls().list.unique(maintain_order=True)

    def list_contains(self, e: pl.Expr, value: str) -> pl.Expr:
        return e.list.contains(value).fill_null(False)


class Sql:
    """A Spark SQL expression as text, with Python operators building bigger ones.

    The Spark engine builds its expressions as SQL text rather than `pyspark.sql.Column`s: one
    Column is one py4j round trip per operation, and a pack is tens of thousands of operations,
    while text is parsed once per column inside the JVM (`F.expr`). The meaning is the same.
    """

    __slots__ = ("text",)
    __hash__ = None  # type: ignore[assignment]  # == builds an expression

    def __init__(self, text: str):
        self.text = text

    def _op(self, op: str, other: Any) -> Sql:
        return Sql(f"({self.text} {op} {_sql(other)})")

    def __and__(self, other: Any) -> Sql: return self._op("AND", other)
    def __or__(self, other: Any) -> Sql: return self._op("OR", other)
    def __invert__(self) -> Sql: return Sql(f"(NOT {self.text})")
    def __eq__(self, other: Any) -> Sql: return self._op("=", other)  # type: ignore[override]
    def __ne__(self, other: Any) -> Sql: return self._op("!=", other)  # type: ignore[override]
    def __lt__(self, other: Any) -> Sql: return self._op("<", other)
    def __le__(self, other: Any) -> Sql: return self._op("<=", other)
    def __gt__(self, other: Any) -> Sql: return self._op(">", other)
    def __ge__(self, other: Any) -> Sql: return self._op(">=", other)
    def __add__(self, other: Any) -> Sql: return self._op("+", other)
    def __sub__(self, other: Any) -> Sql: return self._op("-", other)
    def __mul__(self, other: Any) -> Sql: return self._op("*", other)
    def __truediv__(self, other: Any) -> Sql: return self._op("/", other)
    def __neg__(self) -> Sql: return Sql(f"(- {self.text})")

    def __repr__(self) -> str:
        return f"Sql({self.text[:80]!r})"


def _sql(value: Any) -> str:
    if isinstance(value, Sql):
        return value.text
    return _sql_literal(value)


def _sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)"
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"  # Java's parseDouble: the same double as Python's
    if isinstance(value, date):
        return f"DATE'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise CompileError(f"不支持的常量：{value!r}")


class SparkOps(Ops):
    """The operations as Spark SQL text (evaluated by Spark: no Python runs on the executors)."""

    name = "spark"
    TYPES = {BOOL: "BOOLEAN", INT: "BIGINT", FLOAT: "DOUBLE", STR: "STRING", DATE: "DATE", NULL: "STRING"}

    def _lit(self, value: Any, kind: str) -> Sql:
        if kind == LIST:
            return Sql("array(" + ", ".join(_sql_literal(v) for v in value) + ")")
        if kind == FLOAT:
            return Sql(_sql_literal(float(value)))
        if kind == INT:
            return Sql(_sql_literal(int(value)))
        return Sql(_sql_literal(value))

    def _null(self, kind: str) -> Sql:
        return Sql(f"CAST(NULL AS {self.TYPES.get(kind, 'STRING')})")

    def col(self, name: str) -> Sql:
        return Sql(f"`{name}`")

    def _chain(self, branches: Sequence[tuple[Sql, Sql]], otherwise: Sql) -> Sql:
        arms = " ".join(f"WHEN {c.text} THEN {t.text}" for c, t in branches)
        return Sql(f"(CASE {arms} ELSE {otherwise.text} END)")

    def _is_null(self, e: Sql) -> Sql:
        return Sql(f"({e.text} IS NULL)")

    def _connective(self, es: Sequence[Sql], op: str) -> Sql:
        # flat, not nested two by two: Spark's SQL parser slows down sharply with nesting depth
        return Sql("(" + f" {op.upper()} ".join(e.text for e in es) + ")")

    def sum(self, es: Sequence[Sql]) -> Sql:
        return Sql("(" + " + ".join(e.text for e in es) + ")")

    def _coalesce(self, es: Sequence[Sql]) -> Sql:
        return Sql("coalesce(" + ", ".join(e.text for e in es) + ")")

    def is_in(self, e: Sql, values: list[Any]) -> Sql:
        return Sql(f"({e.text} IN (" + ", ".join(_sql_literal(v) for v in values) + "))")  # SQL IN: null gives null

    def least(self, es: Sequence[Sql]) -> Sql:
        return Sql("least(" + ", ".join(e.text for e in es) + ")")

    def greatest(self, es: Sequence[Sql]) -> Sql:
        return Sql("greatest(" + ", ".join(e.text for e in es) + ")")

    def abs(self, e: Sql) -> Sql:
        return Sql(f"abs({e.text})")

    def year(self, e: Sql) -> Sql:
        return Sql(f"CAST(year({e.text}) AS BIGINT)")

    def month(self, e: Sql) -> Sql:
        return Sql(f"CAST(month({e.text}) AS BIGINT)")

    def day(self, e: Sql) -> Sql:
        return Sql(f"CAST(dayofmonth({e.text}) AS BIGINT)")

    def days_between(self, later: Sql, earlier: Sql) -> Sql:
        return Sql(f"CAST(datediff({later.text}, {earlier.text}) AS BIGINT)")

    def to_float(self, e: Sql) -> Sql:
        return Sql(f"CAST({e.text} AS DOUBLE)")

    def to_int(self, e: Sql) -> Sql:
        return Sql(f"CAST({e.text} AS BIGINT)")

    def round(self, e: Sql, digits: int) -> Sql:
        return Sql(f"bround({e.text}, {digits})")  # HALF_EVEN, as Python's round

    def round_half_up(self, e: Sql, digits: int) -> Sql:
        return Sql(f"round({e.text}, {digits})")  # HALF_UP, as the calculator's Decimal rounding

    def floor(self, e: Sql) -> Sql:
        return Sql(f"CAST(floor({e.text}) AS BIGINT)")

    def str_list(self, items: Sequence[tuple[str, Sql | None]]) -> Sql:
        if not items:
            return Sql("CAST(array() AS ARRAY<STRING>)")
        parts = [_sql_literal(name) if guard is None else f"CASE WHEN {guard.text} THEN {_sql_literal(name)} END" for name, guard in items]
        return Sql("array_distinct(array_compact(array(" + ", ".join(parts) + ")))")  # keeps first occurrences in order

    def list_contains(self, e: Sql, value: str) -> Sql:
        return Sql(f"coalesce(array_contains({e.text}, {_sql_literal(value)}), FALSE)")


# ---------------------------------------------------------------- compiling expressions


@dataclass
class Compiled:
    expr: Expr
    kind: str


@dataclass
class Scope:
    """What an expression can see: the evaluation date, the registry's columns and the measure's lets."""

    ops: Ops
    as_of: date
    registry: FactRegistry
    columns: frozenset[str]  # flat fact columns present in the input
    lets: dict[str, Compiled] = field(default_factory=dict)
    let_nodes: dict[str, lang.Node] = field(default_factory=dict)
    prefix: str = "_"
    sink: list[tuple[str, Expr]] = field(default_factory=list)  # where `atom` puts new columns
    count: int = 0

    def atom(self, expr: Expr) -> Expr:
        """Materialise a sub-expression as a column and refer to it by name (a constant stays a literal).

        Inlining would copy a let or a condition into every place that reads it (guards, tiers,
        limits) and the expression trees would grow exponentially; a column is computed once.
        """
        if self.ops.constant(expr) is not VARIES:
            return expr
        self.count += 1
        name = f"{self.prefix}{self.count}"
        self.sink.append((name, expr))
        return self.ops.col(name)

    def fact_kind(self, name: str) -> str:
        spec = self.registry.specs.get(name)
        return SPEC_KINDS[spec.type] if spec else NULL

    def column_expr(self, fact: lang.Fact) -> Compiled:
        """A fact column; one the input lacks is unknown on every row (a typed null)."""
        kind = self.fact_kind(fact.name)
        column = fact.column(self.as_of.year)
        if column in self.columns:
            return Compiled(self.ops.col(column), kind)
        return Compiled(self.ops.null(kind), kind)

    def column_present(self, column: str) -> bool:
        return column in self.columns


def compile_node(node: lang.Node, scope: Scope) -> Compiled:
    ops = scope.ops
    match node:
        case lang.Const(value=value):
            return _const(value, ops)
        case lang.Fact(name=name) if name in scope.lets:
            return scope.lets[name]
        case lang.Fact():
            return scope.column_expr(node)
        case lang.AsOf():
            return Compiled(ops.lit(scope.as_of, DATE), DATE)
        case lang.Arith(op=op, left=left, right=right):
            return _arith(op, compile_node(left, scope), compile_node(right, scope), ops)
        case lang.Neg(operand=operand):
            inner = compile_node(operand, scope)
            return inner if ops.is_unknown(inner.expr) else Compiled(-inner.expr, inner.kind)
        case lang.Compare(op=op, left=left, right=right):
            return _compare(op, left, right, scope)
        case lang.BoolOp(op=op, operands=operands):
            values = [truthy(compile_node(o, scope), ops) for o in operands]
            return Compiled(ops.all_of(values) if op == "and" else ops.any_of(values), BOOL)
        case lang.Not(operand=operand):
            return Compiled(ops.not_(truthy(compile_node(operand, scope), ops)), BOOL)
        case lang.Call(func=func, args=args):
            return _call(func, args, scope)
        case lang.ListLit():
            raise CompileError(f"列表只能用于 in / not in：{lang.render(node)}")
    raise CompileError(f"无法编译的表达式：{node!r}")


def truthy(value: Compiled, ops: Ops) -> Expr:
    """Python truthiness as a nullable boolean: conditions and if_ test `bool(value)`."""
    if value.kind == BOOL:
        return value.expr
    if ops.is_unknown(value.expr):
        return ops.null(BOOL)
    if value.kind in (INT, FLOAT):
        return value.expr != ops.lit(0, value.kind)
    if value.kind == STR:
        return value.expr != ops.lit("", STR)
    if value.kind == DATE:  # a date is always truthy, unless unknown
        return ops.when(ops.is_null(value.expr), ops.null(BOOL), ops.lit(True, BOOL))
    return ops.null(BOOL)


def _const(value: Any, ops: Ops) -> Compiled:
    if value is None:
        return Compiled(ops.null(NULL), NULL)
    kind = _value_kind(value)
    return Compiled(ops.lit(value, kind), kind)


def _value_kind(value: Any) -> str:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STR
    if isinstance(value, date):
        return DATE
    raise CompileError(f"不支持的常量：{value!r}")


def _numeric_kind(*kinds: str) -> str:
    known = [k for k in kinds if k != NULL]
    if DATE in known and all(k == DATE for k in known):
        return DATE
    return FLOAT if FLOAT in known else (INT if known else NULL)


def _arith(op: str, left: Compiled, right: Compiled, ops: Ops) -> Compiled:
    if ops.is_unknown(left.expr, right.expr):
        kind = FLOAT if op == "/" else INT if op == "-" and left.kind == DATE and right.kind == DATE else _numeric_kind(left.kind, right.kind)
        return Compiled(ops.null(kind), kind)
    if op == "/":
        guarded = ops.when(right.expr == ops.lit(0, INT), ops.null(FLOAT), ops.to_float(left.expr) / ops.to_float(right.expr))
        return Compiled(guarded, FLOAT)
    if op == "-" and left.kind == DATE and right.kind == DATE:  # date - date is a number of days
        return Compiled(ops.days_between(left.expr, right.expr), INT)
    a, b = left.expr, right.expr
    if left.kind == BOOL:
        a = ops.to_int(a)
    if right.kind == BOOL:
        b = ops.to_int(b)
    result = {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b}[op]()
    return Compiled(result, _numeric_kind(left.kind, right.kind))


def _compare(op: str, left_node: lang.Node, right_node: lang.Node, scope: Scope) -> Compiled:
    ops = scope.ops
    left = compile_node(left_node, scope)
    if op in ("in", "notin"):
        if not (isinstance(right_node, lang.ListLit) and all(isinstance(i, lang.Const) for i in right_node.items)):
            raise CompileError(f"in / not in 的右边必须是常量列表：{lang.render(right_node)}")
        values = [i.value for i in right_node.items]  # type: ignore[union-attr]
        inside = ops.null(BOOL) if ops.is_unknown(left.expr) else ops.is_in(left.expr, values)
        return Compiled(inside if op == "in" else ops.not_(inside), BOOL)
    right = compile_node(right_node, scope)
    a, b = left.expr, right.expr
    if ops.is_unknown(a, b):
        return Compiled(ops.null(BOOL), BOOL)
    if left.kind in (INT, FLOAT) and right.kind in (INT, FLOAT):
        # `lang._compile_compare`: numbers are compared as the text means them, rounded to 9 decimals
        a = ops.round(a, lang.COMPARE_DECIMALS) if left.kind == FLOAT else a
        b = ops.round(b, lang.COMPARE_DECIMALS) if right.kind == FLOAT else b
    result = {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b, ">": lambda: a > b, ">=": lambda: a >= b}[op]()
    return Compiled(result, BOOL)


STRICT_FUNCTIONS = ("abs", "floor", "years_since", "years_until", "year", "month")  # unknown with an unknown argument


def _call(func: str, args: tuple[lang.Node, ...], scope: Scope) -> Compiled:
    ops = scope.ops
    values = [compile_node(a, scope) for a in args]
    exprs = [v.expr for v in values]
    if func == "known":
        return Compiled(ops.not_null(exprs[0]), BOOL)
    if func == "if_":
        cond, then, otherwise = values
        test = truthy(cond, ops)
        kind = _numeric_kind(then.kind, otherwise.kind) if {then.kind, otherwise.kind} <= {INT, FLOAT, NULL} else (then.kind if then.kind != NULL else otherwise.kind)
        chosen = ops.chain([(ops.is_null(test), ops.null(kind)), (test, then.expr)], otherwise.expr)
        return Compiled(chosen, kind)
    if func in STRICT_FUNCTIONS and ops.is_unknown(*exprs):
        kind = values[0].kind if func == "abs" else INT
        return Compiled(ops.null(kind), kind)
    if func in ("min", "max", "clamp"):
        kind = _numeric_kind(*(v.kind for v in values))
        if func == "min":
            raw = ops.least(exprs)
        elif func == "max":
            raw = ops.greatest(exprs)
        else:
            value, low, high = exprs
            raw = ops.greatest([low, ops.least([high, value])])
        # least/greatest skip nulls; the rule language says any unknown argument makes it unknown
        return Compiled(ops.when(ops.any_null(exprs), ops.null(kind), raw), kind)
    if func == "abs":
        return Compiled(ops.abs(exprs[0]), values[0].kind)
    if func == "floor":
        return Compiled(ops.floor(exprs[0]), INT)
    if func == "years_since":
        return Compiled(_whole_years(exprs[0], ops.lit(scope.as_of, DATE), ops), INT)
    if func == "years_until":
        return Compiled(_whole_years(ops.lit(scope.as_of, DATE), exprs[0], ops), INT)
    if func == "year":
        return Compiled(ops.year(exprs[0]), INT)
    if func == "month":
        return Compiled(ops.month(exprs[0]), INT)
    raise CompileError(f"未知函数 {func}")


def _whole_years(start: Expr, end: Expr, ops: Ops) -> Expr:
    """Completed years from start to end, as `lang.whole_years`: one less before the anniversary."""
    years = ops.year(end) - ops.year(start)
    before = (ops.month(end) < ops.month(start)) | ((ops.month(end) == ops.month(start)) & (ops.day(end) < ops.day(start)))
    return years - ops.to_int(before)


# ---------------------------------------------------------------- unknown facts


def unknown_columns(node: lang.Node, guard: Expr | None, scope: Scope) -> list[tuple[str, Expr | None]]:
    """Candidate missing columns under an unknown expression, each with the row condition that it is missing.

    Mirrors `evaluate._unknown_columns`: facts in order of first appearance; a let whose value is
    unknown is followed to its own facts; a column the input lacks is missing on every row.
    """
    ops = scope.ops
    found: list[tuple[str, Expr | None]] = []
    for fact in lang.facts_in(node):
        if fact.name in scope.let_nodes:
            let_guard = both(guard, ops.is_null(scope.lets[fact.name].expr), ops)
            found.extend(unknown_columns(scope.let_nodes[fact.name], let_guard, scope))
            continue
        column = fact.column(scope.as_of.year)
        if scope.column_present(column):
            found.append((column, both(guard, ops.is_null(ops.col(column)), ops)))
        else:
            found.append((column, guard))
    return found


def both(a: Expr | None, b: Expr | None, ops: Ops) -> Expr | None:
    """Conjunction of two row conditions, where None means "always"."""
    if a is None:
        return b
    if b is None:
        return a
    return ops.and_(a, b)


def kinds_for(registry: FactRegistry, columns: Mapping[str, Any]) -> dict[str, str]:
    """The kind of each flat column of a registry (revenue_2025 → float), for reading and checking."""
    out: dict[str, str] = {}
    for column in columns:
        spec = registry.specs.get(column)
        if spec is None:
            base, _, year = column.rpartition("_")
            spec = registry.specs.get(base) if year.isdigit() else None
            if spec is not None and not spec.yearly:
                spec = None
        if spec is not None:
            out[column] = SPEC_KINDS[spec.type]
    return out
