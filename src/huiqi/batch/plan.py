"""One measure, compiled once per evaluation date into column expressions: status, amount, missing facts.

This mirrors `calculator.evaluate.Evaluator.evaluate` step by step, so a row of the registry gets
exactly the answer the single-profile calculator gives (the parity tests check it):

- a measure out of force on the date (validity depends on the date only) is expired / not yet in
  force, with no amount and nothing missing;
- lets are computed in order;
- the condition tree uses Kleene logic; `once_per_subject` turns a non-ineligible answer into
  ineligible when the row lists the measure (or the measure it amends) as received;
- the amount is computed only when the status is eligible or unknown, with the calculator's
  tier selection (`first` / `max`), cap and floor, discretion as a range [0, x], and rounding to
  fen (half up) at the end of every amount;
- the missing facts are the unknown condition atoms under unknown ancestors, in tree order, then
  the amount's unknown expressions in evaluation order, de-duplicated keeping first occurrence.

Limits across measures (exclusive groups, combined caps) are in `limits`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from huiqi.batch.columns import BOOL, FLOAT, VARIES, Compiled, Expr, Ops, Scope, both, compile_node, truthy, unknown_columns
from huiqi.calculator.evaluate import ELIGIBLE, EXPIRED, INELIGIBLE, NOT_YET, UNKNOWN, Evaluator
from huiqi.rules import lang
from huiqi.rules.facts import FactRegistry
from huiqi.rules.pack import CompiledAmount, CompiledCondition, CompiledMeasure, Pack

# status codes in the engines (small integers), and their names in the outputs
STATUSES = (ELIGIBLE, UNKNOWN, INELIGIBLE, NOT_YET, EXPIRED)
CODE = {status: i for i, status in enumerate(STATUSES)}
RECEIVED_COLUMN = "_received"  # the row's received/applied measure ids as a list of strings

Unknown = tuple[lang.Node, Expr | None]  # an expression that may be unknown, and the row condition that it is


@dataclass
class AmountPlan:
    exact: Expr
    low: Expr
    high: Expr
    unknown: list[Unknown] = field(default_factory=list)


@dataclass
class MeasurePlan:
    """Column expressions for one measure; `stages` must be added to the frame, in order, before reading them."""

    measure: CompiledMeasure
    lets: list[tuple[str, Expr]]  # one column each, in order (a let may read the ones before it)
    conditions: list[tuple[str, Expr]]  # condition atoms, one stage (they read facts and lets)
    amounts: list[tuple[str, Expr]]  # amount atoms, in order (each may read the ones before it; needed only on kept rows)
    guards: list[tuple[str, Expr]]  # the row conditions of the missing-fact candidates, one stage after the amounts
    status: Expr  # status code after once-only and validity
    active: Expr  # the calculator computed an amount (status before validity was eligible or unknown)
    exact: Expr
    low: Expr
    high: Expr
    missing: Expr  # list of flat fact names
    candidates: list[tuple[str, Expr | None]]  # (column, row condition that it is missing), in the calculator's order
    mask: Expr | None  # the missing facts as a bit set over `candidates` (see `_mask`)
    local: Expr  # some missing fact is a column the registry has (blank on this row), not one it lacks
    may_be_local: Expr  # a superset of `local` that reads no amount column (to filter before computing amounts)
    received: Expr  # the row lists this measure (or the one it amends) as received or applied
    static_status: str | None  # expired / not_yet_in_force on this date, whatever the row says

    @property
    def id(self) -> str:
        return self.measure.id

    def decode_mask(self, mask: int) -> list[str]:
        return list(dict.fromkeys(column for k, (column, _) in enumerate(self.candidates) if mask >> k & 1))

    def amount_levels(self, refs) -> list[list[tuple[str, Expr]]]:
        """The amount atoms grouped by dependency depth (`refs(expr)` names the columns an expression reads):
        the atoms of one level read only earlier levels, so each level is one projection."""
        level: dict[str, int] = {}
        groups: list[list[tuple[str, Expr]]] = []
        for name, expr in self.amounts:
            depth = 1 + max((level[r] for r in refs(expr) if r in level), default=-1)
            level[name] = depth
            while len(groups) <= depth:
                groups.append([])
            groups[depth].append((name, expr))
        return groups

    def stages(self, amounts: bool = True) -> list[list[tuple[str, Expr]]]:
        """The columns to add, stage by stage (each stage reads only the ones before it)."""
        stages = [[item] for item in self.lets] + [self.conditions]
        if amounts:
            stages.extend([item] for item in self.amounts)
        return [s for s in stages if s]

    def best(self, ops: Ops) -> Expr:
        """`MeasureResult.best_amount`: the exact figure, else the top of the range, else 0."""
        if self.measure.amount is None:
            return ops.lit(0.0, FLOAT)
        return ops.coalesce(self.exact, self.high, ops.lit(0.0, FLOAT))


def plan_measure(measure: CompiledMeasure, ops: Ops, as_of: date, registry: FactRegistry, columns: frozenset[str], has_received: bool, prefix: str = "_a") -> MeasurePlan:
    scope = Scope(ops, as_of, registry, columns, prefix=prefix)
    lets: list[tuple[str, Expr]] = []
    for name, _, node in measure.lets:
        value = compile_node(node, scope)
        scope.sink = lets
        scope.lets[name] = Compiled(scope.atom(value.expr), value.kind)
        scope.let_nodes[name] = node

    conditions: list[tuple[str, Expr]] = []
    scope.sink = conditions
    values: dict[int, Expr] = {}
    verdict = _values(measure.conditions, scope, values)
    atoms = _atoms(measure.conditions, values, None, ops)
    received = _received(measure, ops, has_received)
    blocked = received if measure.spec.once_per_subject else ops.lit(False, BOOL)
    status = ops.chain(
        [(blocked, ops.lit(CODE[INELIGIBLE], "int")), (ops.is_null(verdict), ops.lit(CODE[UNKNOWN], "int")), (verdict, ops.lit(CODE[ELIGIBLE], "int"))],
        ops.lit(CODE[INELIGIBLE], "int"),
    )
    active = ops.fill_false(ops.and_(ops.or_(ops.is_null(verdict), verdict), ops.not_(blocked)))

    amounts: list[tuple[str, Expr]] = []
    scope.sink = amounts
    unknown: list[Unknown] = list(atoms)
    null = ops.null(FLOAT)
    exact = low = high = null
    if measure.amount is not None:
        amount = _amount(measure.amount, scope)
        exact, low, high = (ops.when(active, e, null) for e in (amount.exact, amount.low, amount.high))
        unknown.extend((node, both(active, guard, ops)) for node, guard in amount.unknown)

    static_status, _ = Evaluator._validity(measure, as_of)
    if static_status is not None:  # out of force on that date: the calculator computes and asks nothing
        status = ops.lit(CODE[static_status], "int")
        exact = low = high = null
        unknown = []
    raw = [item for node, guard in unknown for item in unknown_columns(node, guard, scope)]
    guards: list[tuple[str, Expr]] = []
    scope.sink = guards
    seen: dict[int, Expr] = {}
    candidates = []
    for column, guard in raw:  # each distinct guard becomes one column: missing, mask and local all read it
        held = True if guard is None else ops.constant(guard)
        if held is not VARIES and not held:
            continue  # never missing on any row
        if held is VARIES and id(guard) not in seen:
            seen[id(guard)] = scope.atom(guard)
        candidates.append((column, None if held is True else seen[id(guard)]))
    missing = ops.str_list(candidates)
    local = ops.fill_false(ops.any_of([guard for column, guard in candidates if column in columns and guard is not None]))
    # before amounts are computed: the conditions' own local unknowns, or a blank cell an amount reads
    from_conditions = [item for node, guard in atoms for item in unknown_columns(node, guard, scope)]
    amount_columns = {c for c, _ in raw[len(from_conditions):] if c in columns}
    may_be_local = ops.fill_false(ops.any_of([g for c, g in from_conditions if c in columns and g is not None] + [ops.is_null(ops.col(c)) for c in sorted(amount_columns)]))
    return MeasurePlan(measure, lets, conditions, amounts, guards, status, active, exact, low, high, missing, candidates, _mask(candidates, ops), local, may_be_local, received, static_status)


def _mask(candidates: list[tuple[str, Expr | None]], ops: Ops) -> Expr | None:
    """The missing facts as a bit set over the candidates (None when there are too many for 63 bits).

    The list is a function of which candidates hold, so engines can carry one integer per row
    and turn the few distinct integers into lists afterwards (`MeasurePlan.decode_mask`), which is
    far cheaper than building a list on every row.
    """
    if len(candidates) > 63:
        return None
    fixed = ops.lit(sum(1 << k for k, (_, guard) in enumerate(candidates) if guard is None), "int")
    return ops.sum([fixed, *(ops.when(guard, ops.lit(1 << k, "int"), ops.lit(0, "int")) for k, (_, guard) in enumerate(candidates) if guard is not None)])


def _received(measure: CompiledMeasure, ops: Ops, has_received: bool) -> Expr:
    if not has_received:
        return ops.lit(False, BOOL)
    column = ops.col(RECEIVED_COLUMN)
    hit = ops.list_contains(column, measure.id)
    if measure.spec.amends:  # an amendment is the same benefit
        hit = ops.or_(hit, ops.list_contains(column, measure.spec.amends.measure))
    return hit


# ---------------------------------------------------------------- conditions


def _values(cond: CompiledCondition, scope: Scope, memo: dict[int, Expr]) -> Expr:
    """The value of each node of a condition tree (atoms become columns), remembered by node."""
    ops = scope.ops
    if cond.op == "when":
        assert cond.node is not None
        value = scope.atom(truthy(compile_node(cond.node, scope), ops))
    else:
        parts = [_values(part, scope, memo) for part in cond.parts]
        if not parts:
            value = ops.lit(cond.op == "all", BOOL)
        else:
            value = ops.all_of(parts) if cond.op == "all" else ops.any_of(parts)
    memo[id(cond)] = value
    return value


def _atoms(cond: CompiledCondition, memo: dict[int, Expr], ancestors_unknown: Expr | None, ops: Ops) -> list[Unknown]:
    """Condition atoms with the row condition under which they count as missing.

    An atom counts when it is unknown and every group above it is unknown (`Evaluator._conditions`
    passes unknown atoms up only through unknown groups).
    """
    here = both(ancestors_unknown, ops.is_null(memo[id(cond)]), ops)
    if cond.op == "when":
        assert cond.node is not None
        return [(cond.node, here)]
    return [atom for part in cond.parts for atom in _atoms(part, memo, here, ops)]


# ---------------------------------------------------------------- amounts


def _amount(amount: CompiledAmount, scope: Scope) -> AmountPlan:
    """`Evaluator._amount` as columns: (exact, low, high) and the expressions that may be unknown."""
    ops = scope.ops
    spec, nodes = amount.spec, amount.nodes
    null = ops.null(FLOAT)
    unknown: list[Unknown] = []

    def value(key: str) -> Expr:
        node = nodes[key]
        compiled = compile_node(node, scope).expr
        expr = compiled if ops.is_unknown(compiled) else ops.to_float(compiled)
        if isinstance(node, lang.Const):
            return expr
        expr = scope.atom(expr)
        unknown.append((node, ops.is_null(expr)))
        return expr

    def lit(x: float) -> Expr:
        return ops.lit(float(x), FLOAT)

    exact, low, high = null, null, null
    if spec.fixed is not None:
        exact = lit(spec.fixed)
    elif spec.formula is not None:
        exact = value("formula")
    elif spec.base is not None:
        exact = _product(value("base"), value("rate"), ops)
    elif spec.per_unit is not None:
        exact = _product(lit(spec.per_unit), value("count"), ops)
    elif spec.range is not None:
        low, high = lit(spec.range[0]), lit(spec.range[1])
    elif spec.up_to is not None:
        low, high = lit(0.0), value("up_to")
    else:
        exact, low, high, tier_unknown = _tiers(amount, scope)
        unknown.extend(tier_unknown)
    for key, pick in (("cap", ops.least), ("floor", ops.greatest)):
        if key in nodes:
            bound = value(key)
            # an unknown bound makes every figure unknown; otherwise each known figure is bounded
            exact, low, high = (ops.when(ops.or_(ops.is_null(bound), ops.is_null(e)), null, pick([e, bound])) for e in (exact, low, high))
            exact, low, high = (scope.atom(e) for e in (exact, low, high))
    if spec.discretionary:
        low = ops.when(ops.is_null(exact), low, lit(0.0))
        high = ops.coalesce(exact, high)
        exact = null
    low, high = ops.coalesce(exact, low), ops.coalesce(exact, high)
    # `evaluate._fen`: money is paid in fen, rounded half up, at the end of every amount (tiers too)
    exact, low, high = (e if ops.is_unknown(e) else scope.atom(ops.round_half_up(e, 2)) for e in (exact, low, high))
    return AmountPlan(exact, low, high, unknown)


def _product(a: Expr, b: Expr, ops: Ops) -> Expr:
    return ops.null(FLOAT) if ops.is_unknown(a, b) else a * b


def _tiers(amount: CompiledAmount, scope: Scope) -> tuple[Expr, Expr, Expr, list[Unknown]]:
    """`Evaluator._tiers`: pick `first` stops at the first tier that holds or is unknown; `max` weighs all."""
    ops = scope.ops
    null = ops.null(FLOAT)
    first = amount.spec.pick == "first"
    tiers = [(tier, scope.atom(truthy(compile_node(tier.when, scope), ops)), _amount(tier.amount, scope)) for tier in amount.tiers]
    unknown: list[Unknown] = []
    chosen: list[Expr] = []
    reached: Expr | None = None  # first: no earlier tier held or was unknown
    for tier, applies, _ in tiers:
        is_unknown = both(reached, ops.is_null(applies), ops) if first else ops.is_null(applies)
        unknown.append((tier.when, is_unknown))
        chosen.append(ops.fill_false(both(reached, applies, ops) if first else applies))
        if first:
            reached = both(reached, ops.fill_false(ops.not_(applies)), ops)
    any_unknown = ops.any_of([guard for _, guard in unknown])  # type: ignore[misc]
    if first:
        best = chosen
    else:  # the first tier with the highest amount (Python max keeps the first of equals)
        keys = [ops.coalesce(sub.exact, sub.high, ops.lit(0.0, FLOAT)) for _, _, sub in tiers]
        best = []
        for i, c in enumerate(chosen):
            beats = [ops.or_(ops.not_(chosen[j]), keys[i] > keys[j] if j < i else keys[i] >= keys[j]) for j in range(len(chosen)) if j != i]
            best.append(ops.all_of([c, ops.not_(any_unknown), *beats]))
    none_or_zero = ops.when(any_unknown, null, ops.lit(0.0, FLOAT))
    exact = ops.chain([(b, sub.exact) for b, (_, _, sub) in zip(best, tiers)], none_or_zero)
    low = ops.chain([(b, sub.low) for b, (_, _, sub) in zip(best, tiers)], null)
    high = ops.chain([(b, sub.high) for b, (_, _, sub) in zip(best, tiers)], null)
    exact, low, high = scope.atom(exact), scope.atom(low), scope.atom(high)
    for b, (_, _, sub) in zip(best, tiers):
        unknown.extend((node, both(b, guard, ops)) for node, guard in sub.unknown)
    return exact, low, high, unknown


# ---------------------------------------------------------------- limits across measures


@dataclass
class Limits:
    counted: dict[str, Expr]  # measure id -> counted (False when an exclusive group dropped it)
    reductions: list[tuple[str, Expr]]  # (group id, reduction in yuan or null) per combined cap
    depends: dict[str, list[str]]  # measure or cap group id -> the measures whose columns its limit reads


def _has_status(status: Expr, name: str, ops: Ops) -> Expr:
    value = ops.constant(status)
    return ops.fill_false(status == ops.lit(CODE[name], "int")) if value is VARIES else ops.lit(value == CODE[name], BOOL)


def limits(pack: Pack, plans: dict[str, MeasurePlan], ops: Ops) -> Limits:
    """`match.apply_limits`, group by group in the pack's order (a cap sees the exclusions before it)."""
    eligible = {mid: _has_status(p.status, ELIGIBLE, ops) for mid, p in plans.items()}
    counted: dict[str, Expr] = {mid: ops.lit(True, BOOL) for mid in plans}
    reductions: list[tuple[str, Expr]] = []
    depends: dict[str, list[str]] = {}
    for group in pack.groups.values():
        members = [m for m in group.members if m in plans]
        for m in members:  # counted[m] may read every member of every group m is in, and what they read
            depends[m] = list(dict.fromkeys([*depends.get(m, []), *(d for o in members for d in [*depends.get(o, []), o])]))
        if group.kind == "exclusive" and len(members) > 1:
            best = {m: plans[m].best(ops) for m in members}
            for m in members:
                # kept: no other eligible member beats it on (best amount, id)
                beaten_by = [ops.and_(eligible[o], ops.or_(best[o] > best[m], ops.and_(best[o] == best[m], ops.lit(o > m, BOOL)))) for o in members if o != m]
                keep = ops.not_(ops.any_of(beaten_by))
                counted[m] = ops.and_(counted[m], ops.or_(ops.not_(eligible[m]), keep))
        elif group.kind == "combined_cap" and group.cap is not None and members:
            zero = ops.lit(0.0, FLOAT)
            parts = [ops.when(ops.all_of([eligible[m], counted[m], ops.not_null(plans[m].exact)]), plans[m].exact, zero) for m in members]
            subtotal = parts[0]
            for p in parts[1:]:
                subtotal = subtotal + p
            cap = ops.lit(float(group.cap), FLOAT)
            reductions.append((group.id, ops.when(subtotal > cap, ops.round(subtotal - cap, 2), ops.null(FLOAT))))
            depends[group.id] = list(dict.fromkeys(d for m in members for d in [*depends.get(m, []), m]))
    return Limits(counted, reductions, depends)
