"""The rule language: a small, safe expression language over a subject's facts.

Expressions are written in a Python-like syntax so analysts can read them
(`rd_expense[-1] >= 0.04 * revenue[-1] and employees <= 500`), parsed with the
standard `ast` module into our own small node types, and never passed to `eval`.
Only the constructs below are accepted; anything else is a load-time error.

    literals      123, 0.5, 30%, '制造业', true/false, [a, b], date('2022-01-01')
    facts         employees, revenue[-1] (the year before the evaluation date; [0] is its year)
    arithmetic    + - * /   (x / 0 is unknown)
    comparisons   == != < <= > >=, `x in [..]`, `x not in [..]`
    logic         and or not   (Kleene three-valued: unknown and false = false)
    functions     min max clamp abs floor if_ known years_since years_until year month

Three-valued semantics: `None` stands for unknown. Arithmetic and comparisons
with an unknown operand are unknown; `and`/`or`/`not` follow Kleene logic. The
same meaning is compiled to column expressions by the batch engine.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Union

Value = Union[bool, int, float, str, date, list, None]


class RuleSyntaxError(ValueError):
    """An expression that is not valid in the rule language."""


# ---------------------------------------------------------------- nodes


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Fact:
    name: str
    year_offset: int | None = None  # revenue[-1] -> -1; plain facts -> None

    def column(self, as_of_year: int) -> str:
        """The flat fact name this reference resolves to on a date (revenue[-1] in 2026 -> revenue_2025)."""
        if self.year_offset is None:
            return self.name
        return f"{self.name}_{as_of_year + self.year_offset}"


@dataclass(frozen=True)
class AsOf:
    """The evaluation date."""


@dataclass(frozen=True)
class Arith:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >= in notin
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class ListLit:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


Node = Union[Const, Fact, AsOf, Arith, Neg, Compare, BoolOp, Not, ListLit, Call]

FUNCTIONS: dict[str, tuple[int, int]] = {  # name -> (min args, max args)
    "min": (2, 8),
    "max": (2, 8),
    "clamp": (3, 3),
    "abs": (1, 1),
    "floor": (1, 1),
    "if_": (3, 3),
    "known": (1, 1),
    "years_since": (1, 1),
    "years_until": (1, 1),
    "year": (1, 1),
    "month": (1, 1),
    "date": (1, 1),
}

COMPARE_DECIMALS = 9  # numbers are compared after rounding to this many decimals

_CMP_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in", ast.NotIn: "notin"}
_ARITH_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_NAMES = {"true": True, "false": False, "True": True, "False": False}


# ---------------------------------------------------------------- parsing


def parse(source: str | int | float | bool) -> Node:
    """Parse an expression (numbers and booleans from YAML are accepted as constants)."""
    if isinstance(source, bool | int | float):
        return Const(source)
    text = _PERCENT.sub(lambda m: f"({m.group(1)}/100)", source.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise RuleSyntaxError(f"表达式语法错误：{source!r}（{exc.msg}）") from None
    return _fold_percent(_convert(tree.body, source))


def _convert(node: ast.AST, source: str) -> Node:
    def fail(what: str) -> RuleSyntaxError:
        return RuleSyntaxError(f"表达式中不允许{what}：{source!r}")

    match node:
        case ast.Constant(value=value) if isinstance(value, bool | int | float | str):
            return Const(value)
        case ast.Name(id=name):
            if name in _NAMES:
                return Const(_NAMES[name])
            if name == "as_of":
                return AsOf()
            if name in FUNCTIONS:
                raise fail(f"把函数名 {name} 当作事实")
            return Fact(name)
        case ast.Subscript(value=ast.Name(id=name), slice=index):
            offset = _year_offset(index)
            if offset is None:
                raise fail("年份以外的下标（应写作 revenue[-1]）")
            return Fact(name, offset)
        case ast.BinOp(op=op, left=left, right=right) if type(op) in _ARITH_OPS:
            return Arith(_ARITH_OPS[type(op)], _convert(left, source), _convert(right, source))
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            inner = _convert(operand, source)
            if isinstance(inner, Const) and isinstance(inner.value, int | float):
                return Const(-inner.value)
            return Neg(inner)
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return Not(_convert(operand, source))
        case ast.BoolOp(op=op, values=values):
            return BoolOp("and" if isinstance(op, ast.And) else "or", tuple(_convert(v, source) for v in values))
        case ast.Compare(left=left, ops=ops, comparators=comparators):
            # a < b <= c  ->  (a < b) and (b <= c)
            operands = [_convert(left, source)] + [_convert(c, source) for c in comparators]
            parts = []
            for i, op in enumerate(ops):
                if type(op) not in _CMP_OPS:
                    raise fail(f"比较运算 {type(op).__name__}")
                parts.append(Compare(_CMP_OPS[type(op)], operands[i], operands[i + 1]))
            return parts[0] if len(parts) == 1 else BoolOp("and", tuple(parts))
        case ast.List(elts=elts) | ast.Tuple(elts=elts):
            return ListLit(tuple(_convert(e, source) for e in elts))
        case ast.Call(func=ast.Name(id=name), args=args, keywords=[]) if name in FUNCTIONS:
            low, high = FUNCTIONS[name]
            if not low <= len(args) <= high:
                raise RuleSyntaxError(f"函数 {name} 需要 {low}–{high} 个参数：{source!r}")
            converted = tuple(_convert(a, source) for a in args)
            if name == "date":
                return Const(_date_literal(converted[0], source))
            return Call(name, converted)
        case ast.Call(func=ast.Name(id=name)):
            raise fail(f"未知函数 {name}")
    raise fail(f" {type(node).__name__} 结构")


def _year_offset(index: ast.AST) -> int | None:
    match index:
        case ast.Constant(value=int() as value):
            return value
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() as value)):
            return -value
    return None


def _date_literal(arg: Node, source: str) -> date:
    if not (isinstance(arg, Const) and isinstance(arg.value, str)):
        raise RuleSyntaxError(f"date() 需要形如 '2022-01-01' 的字符串：{source!r}")
    try:
        return date.fromisoformat(arg.value)
    except ValueError:
        raise RuleSyntaxError(f"无效日期 {arg.value!r}：{source!r}") from None


def _fold_percent(node: Node) -> Node:
    """Fold the (30/100) that a written percentage becomes into the constant 0.3."""
    if isinstance(node, Arith):
        left, right = _fold_percent(node.left), _fold_percent(node.right)
        if node.op == "/" and isinstance(left, Const) and isinstance(right, Const) and right.value == 100:
            if isinstance(left.value, int | float) and not isinstance(left.value, bool):
                return Const(round(left.value / 100, 12))
        return Arith(node.op, left, right)
    if isinstance(node, Neg):
        return Neg(_fold_percent(node.operand))
    if isinstance(node, Compare):
        return Compare(node.op, _fold_percent(node.left), _fold_percent(node.right))
    if isinstance(node, BoolOp):
        return BoolOp(node.op, tuple(_fold_percent(o) for o in node.operands))
    if isinstance(node, Not):
        return Not(_fold_percent(node.operand))
    if isinstance(node, ListLit):
        return ListLit(tuple(_fold_percent(i) for i in node.items))
    if isinstance(node, Call):
        return Call(node.func, tuple(_fold_percent(a) for a in node.args))
    return node


# ---------------------------------------------------------------- analysis


def children(node: Node) -> tuple[Node, ...]:
    match node:
        case Arith(left=left, right=right) | Compare(left=left, right=right):
            return (left, right)
        case Neg(operand=operand) | Not(operand=operand):
            return (operand,)
        case BoolOp(operands=operands):
            return operands
        case ListLit(items=items):
            return items
        case Call(args=args):
            return args
    return ()


_KEPT: dict[int, Node] = {}  # every node with cached work stays alive, so no other node can ever get its id
_FACTS: dict[int, list[Fact]] = {}


def facts_in(node: Node) -> list[Fact]:
    """Fact references in the expression, in order of first appearance, without repeats (cached per node)."""
    found = _FACTS.get(id(node))
    if found is None:
        _KEPT[id(node)] = node
        found = _FACTS[id(node)] = _collect_facts(node)
    return found


def _collect_facts(node: Node) -> list[Fact]:
    found: list[Fact] = []

    def walk(n: Node) -> None:
        if isinstance(n, Fact) and n not in found:
            found.append(n)
        for child in children(n):
            walk(child)

    walk(node)
    return found


# ---------------------------------------------------------------- evaluation


Env = Mapping[str, Any]  # flat fact name -> value (absent or None = unknown)


def evaluate(node: Node, env: Env, as_of: date) -> Value:
    """Evaluate with three-valued semantics; None means unknown."""
    f = _COMPILED.get((id(node), as_of.year))
    if f is None:
        f = compiled(node, as_of.year)
    return f(env, as_of)


Compiled = Callable[[Env, date], Value]
_COMPILED: dict[tuple[int, int], Compiled] = {}


def compiled(node: Node, year: int) -> Compiled:
    """The node as a Python closure for evaluations in `year` (year-relative facts resolved once), cached."""
    key = (id(node), year)
    f = _COMPILED.get(key)
    if f is None:
        _KEPT[id(node)] = node
        f = _COMPILED[key] = _compile(node, year)
    return f


def columns(node: Node, year: int) -> tuple[str, ...]:
    """The flat fact names the expression reads in `year` (revenue[-1] in 2026 -> revenue_2025), cached."""
    key = (id(node), year)
    found = _COLUMNS.get(key)
    if found is None:
        _KEPT[id(node)] = node
        found = _COLUMNS[key] = tuple(fact.column(year) for fact in facts_in(node))
    return found


_COLUMNS: dict[tuple[int, int], tuple[str, ...]] = {}


def _compile(node: Node, year: int) -> Compiled:
    """Closures specialised by shape: the operator is resolved here, once, not on every evaluation."""
    match node:
        case Const(value=value):
            return lambda env, as_of: value
        case Fact():
            column = node.column(year)
            return lambda env, as_of: env.get(column)
        case AsOf():
            return lambda env, as_of: as_of
        case Arith(op=op, left=left, right=right):
            return _compile_arith(op, _compile(left, year), _compile(right, year))
        case Neg(operand=operand):
            f = _compile(operand, year)
            return lambda env, as_of: _negate(f(env, as_of))
        case Compare(op=op, left=left, right=right):
            return _compile_compare(op, left, right, year)
        case BoolOp(op=op, operands=operands):
            return _compile_boolop(op, tuple(_compile(o, year) for o in operands))
        case Not(operand=operand):
            f = _compile(operand, year)
            return lambda env, as_of: _invert(f(env, as_of))
        case ListLit(items=items):
            fs = [_compile(i, year) for i in items]
            return lambda env, as_of: [f(env, as_of) for f in fs]
        case Call(func=func, args=args):
            fs = [_compile(a, year) for a in args]
            return lambda env, as_of: _call(func, [f(env, as_of) for f in fs], as_of)
    raise TypeError(f"unknown node {node!r}")


def _compile_arith(op: str, lf: Compiled, rf: Compiled) -> Compiled:
    combine = _ARITHMETIC[op]

    def arith(env: Env, as_of: date) -> Value:
        left = lf(env, as_of)
        if left is None:
            return None
        right = rf(env, as_of)
        return None if right is None else combine(left, right)

    return arith


def _subtract(left: Any, right: Any) -> Any:
    if isinstance(left, date) and isinstance(right, date):
        return (left - right).days
    return left - right


def _divide(left: Any, right: Any) -> Any:
    return None if right == 0 else left / right


_ARITHMETIC: dict[str, Callable[[Any, Any], Value]] = {"+": operator.add, "-": _subtract, "*": operator.mul, "/": _divide}


def _compile_compare(op: str, left: Node, right: Node, year: int) -> Compiled:
    if op in ("in", "notin"):
        lf, rf = _compile(left, year), _compile(right, year)
        wanted = op == "in"

        def membership(env: Env, as_of: date) -> bool | None:
            value, options = lf(env, as_of), rf(env, as_of)
            return None if value is None or options is None else (value in options) is wanted

        return membership
    test = _COMPARATORS[op]
    if isinstance(left, Fact) and isinstance(right, Const) and _is_number(right.value):
        # the commonest shape, `revenue[-1] >= 20000000`: one dictionary read and one comparison
        column, bound = left.column(year), round(right.value, COMPARE_DECIMALS)

        def fact_against_number(env: Env, as_of: date) -> bool | None:
            value = env.get(column)
            if value is None:
                return None
            return test(round(value, COMPARE_DECIMALS), bound) if _is_number(value) else test(value, bound)

        return fact_against_number
    lf, rf = _compile(left, year), _compile(right, year)

    def compare(env: Env, as_of: date) -> bool | None:
        lv = lf(env, as_of)
        if lv is None:
            return None
        rv = rf(env, as_of)
        if rv is None:
            return None
        if _is_number(lv) and _is_number(rv):
            # 15% growth computed as (115 - 100) / 100 is 0.1499999…: compare as the text means, to 9 decimals
            return test(round(lv, COMPARE_DECIMALS), round(rv, COMPARE_DECIMALS))
        return test(lv, rv)

    return compare


def _compile_boolop(op: str, fs: tuple[Compiled, ...]) -> Compiled:
    """Kleene and/or: an operand equal to `settles` (false for and, true for or) decides at once."""
    settles = op == "or"

    def combine(env: Env, as_of: date) -> bool | None:
        unknown = False
        for f in fs:
            value = f(env, as_of)
            if value is None:
                unknown = True
            elif bool(value) is settles:
                return settles
        return None if unknown else not settles

    return combine


def _negate(value: Value) -> Value:
    return None if value is None else -value


def _invert(value: Value) -> bool | None:
    return None if value is None else not value


def _is_number(value: Value) -> bool:
    return type(value) in _NUMBER_TYPES  # exact types: a bool is an int subclass but not a number here


_NUMBER_TYPES = (int, float)
_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _call(func: str, args: list[Value], as_of: date) -> Value:
    if func == "known":
        return args[0] is not None
    if func == "if_":
        cond, then, otherwise = args
        return None if cond is None else (then if cond else otherwise)
    if any(a is None for a in args):
        return None
    if func == "min":
        return min(args)
    if func == "max":
        return max(args)
    if func == "clamp":
        value, low, high = args
        return max(low, min(high, value))
    if func == "abs":
        return abs(args[0])
    if func == "floor":
        return math.floor(args[0])
    if func == "years_since":
        return whole_years(args[0], as_of)
    if func == "years_until":
        return whole_years(as_of, args[0])
    if func == "year":
        return args[0].year
    if func == "month":
        return args[0].month
    raise TypeError(f"unknown function {func}")


def whole_years(start: date, end: date) -> int:
    """Completed years from start to end (an age, or years since registration)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


# ---------------------------------------------------------------- rendering


_OP_WORDS = {"and": " 且 ", "or": " 或 "}


def render(node: Node, labels: Mapping[str, str] | None = None) -> str:
    """A readable form of the expression for traces, with fact names replaced by their Chinese labels."""
    labels = labels or {}
    match node:
        case Const(value=value):
            return _render_const(value)
        case Fact(name=name, year_offset=offset):
            label = labels.get(name, name)
            return label if offset is None else f"{label}[{_year_word(offset)}]"
        case AsOf():
            return "评估日"
        case Arith(op=op, left=left, right=right):
            symbol = {"*": "×", "/": "÷"}.get(op, op)
            return f"({render(left, labels)} {symbol} {render(right, labels)})"
        case Neg(operand=operand):
            return f"-{render(operand, labels)}"
        case Compare(op=op, left=left, right=right):
            symbol = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "in": "属于", "notin": "不属于"}.get(op, op)
            return f"{render(left, labels)} {symbol} {render(right, labels)}"
        case BoolOp(op=op, operands=operands):
            return "(" + _OP_WORDS[op].join(render(o, labels) for o in operands) + ")"
        case Not(operand=operand):
            return f"非 {render(operand, labels)}"
        case ListLit(items=items):
            return "[" + "、".join(render(i, labels) for i in items) + "]"
        case Call(func=func, args=args):
            return f"{func}(" + ", ".join(render(a, labels) for a in args) + ")"
    return repr(node)


def _year_word(offset: int) -> str:
    return {0: "当年", -1: "上一年度", -2: "前两年", -3: "前三年"}.get(offset, f"{offset:+d}年")


def _render_const(value: Value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and 0 < abs(value) < 1:
        return f"{value * 100:g}%"
    if isinstance(value, int | float) and abs(value) >= 10000:
        return f"{value:,.0f}"
    if isinstance(value, str):
        return f"“{value}”"
    return str(value)
