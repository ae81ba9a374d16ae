"""Compile a rule set into one standard SQL query with SQLGlot.

The query reads a table with canonical account columns (see :mod:`terraplan.rules.fields`;
attributes as ``attr_<name>``; every column a rule reads must exist) and returns one row per
input row: ``id``, ``territory_id``, ``rule_id``, ``territory_type``, ``conflict``, ``gap`` and
``overlays`` (overlay territory ids joined by ``;``, ``''`` when none). It follows exactly the
semantics of :func:`terraplan.rules.route`: every predicate is wrapped so that it is TRUE or
FALSE, never NULL (two-valued logic), which makes ``not``/``not_in`` match NULL fields. Text
is compared with its whitespace runs squeezed (``TRIM(REGEXP_REPLACE(col, '[ \\t\\n\\r\\f\\x0B]+',
' '))``, computed once per row), as the evaluator does.

Regular expressions are passed to the database as written: keep to the portable subset
(no back-references or look-arounds; character classes, anchors, alternation, repetition).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sqlglot import exp

from terraplan.errors import InvalidParameterError
from terraplan.rules.fields import (
    FOLD_AFTER,
    FOLD_BEFORE,
    US_COUNTRIES,
    WHITESPACE_RUN,
    column_name,
    read_column,
    squeeze_operand,
    us_only,
)
from terraplan.rules.model import (
    DIALECTS,
    EARTH_RADIUS_KM,
    NEGATED,
    AllOf,
    Always,
    AnyOf,
    Condition,
    NotOf,
    Op,
    Predicate,
    Rule,
    RuleSet,
    TieBreaker,
)

#: The PostgreSQL collation the query lower-cases text in: ICU's root locale, present in
#: every PostgreSQL built with ICU (Debian, Ubuntu, RDS, Cloud SQL, Azure). A database or
#: column in the "C" collation would leave ``É`` as it is in ``LOWER``.
POSTGRES_CASE_COLLATION = "und-x-icu"


#: The columns of a leads table as ``terraplan export leads`` writes it (the stored leads):
#: a lead's company is its column ``company`` (an account's is ``name``).
LEAD_COLUMNS = {"name": "company", "company": "company"}


class _Compiler:
    def __init__(self, dialect: str, records: str = "accounts") -> None:
        self.dialect = dialect
        self.records = records
        #: derived columns computed once per row in the innermost query: name -> expression
        self.derived: dict[str, exp.Expr] = {}

    def derive(self, name: str, expression: exp.Expr) -> exp.Expr:
        self.derived.setdefault(name, expression)
        return self.col(name)

    def col(self, name: str) -> exp.Expr:
        return exp.column(name, quoted=True)

    def text(self, value: str) -> exp.Expr:
        return exp.Literal.string(value)

    def num(self, value: float) -> exp.Expr:
        v = float(value)
        literal = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
        return exp.Literal.number(literal)

    def any_of(self, items: Sequence[exp.Expr]) -> exp.Expr:
        out = items[0]
        for item in items[1:]:
            out = exp.Or(this=out, expression=item)
        return exp.Paren(this=out) if len(items) > 1 else out

    def all_of(self, items: Sequence[exp.Expr]) -> exp.Expr:
        out = items[0]
        for item in items[1:]:
            out = exp.And(this=out, expression=item)
        return exp.Paren(this=out) if len(items) > 1 else out

    def regex(self, subject: exp.Expr, pattern: str, case_sensitive: bool) -> exp.Expr:
        if self.dialect == "snowflake":  # REGEXP_LIKE is a full match there; search instead
            args = [subject, self.text(pattern), self.num(1), self.num(1), self.num(0)]
            args.append(self.text("c" if case_sensitive else "i"))
            return exp.GT(
                this=exp.Anonymous(this="REGEXP_INSTR", expressions=args), expression=self.num(0)
            )
        flag = "" if case_sensitive else "(?i)"
        return exp.RegexpLike(this=subject, expression=self.text(flag + pattern))

    def squeezed(self, text: exp.Expr) -> exp.Expr:
        """Whitespace runs one space, none at either end (:func:`~terraplan.rules.fields.squeeze`)."""
        return exp.Trim(
            this=exp.RegexpReplace(
                this=text, expression=self.text(WHITESPACE_RUN), replacement=self.text(" ")
            )
        )

    def replace(self, text: exp.Expr, pair: tuple[str, str]) -> exp.Expr:
        return exp.Anonymous(
            this="REPLACE", expressions=[text, self.text(pair[0]), self.text(pair[1])]
        )

    def folded(self, text: exp.Expr) -> exp.Expr:
        """Lower case as :func:`~terraplan.rules.fields.fold_case`: one character at a time,
        in a Unicode-aware collation on PostgreSQL whatever the column's."""
        subject = self.replace(text, FOLD_BEFORE)
        if self.dialect == "postgres":
            subject = exp.Collate(
                this=subject, expression=exp.to_identifier(POSTGRES_CASE_COLLATION, quoted=True)
            )
        return self.replace(exp.Lower(this=subject), FOLD_AFTER)

    def us_row(self) -> exp.Expr:
        """The record is in the US: no country, or one naming it (:func:`~terraplan.rules.fields.is_us`)."""
        country = self.col("country")
        names = [self.text(n) for n in ("", *sorted(US_COUNTRIES))]
        folded = self.folded(self.squeezed(country.copy()))
        return exp.Paren(
            this=exp.Or(
                this=exp.Is(this=country, expression=exp.Null()),
                expression=exp.In(this=folded, expressions=names),
            )
        )

    def field_column(self, field: str) -> str:
        """The table column of ``field`` (a lead's company is ``company``)."""
        if self.records == "leads" and field in LEAD_COLUMNS:
            return LEAD_COLUMNS[field]
        return column_name(field)

    def code(self, column: exp.Expr) -> exp.Expr:
        """Numeric value of the first five characters when they are all digits, else NULL."""
        head = exp.Substring(this=column, start=self.num(1), length=self.num(5))
        is_code = self.regex(head.copy(), "^[0-9]{5}$", True)
        cast = exp.Cast(this=head.copy(), to=exp.DataType.build("BIGINT"))
        return exp.Case(ifs=[exp.If(this=is_code, true=cast)])

    def haversine(self, pred: Predicate) -> exp.Expr:
        d = pred.distance
        assert d is not None
        rad = math.pi / 180.0

        def fn(name: str, arg: exp.Expr) -> exp.Expr:
            return exp.Anonymous(this=name, expressions=[arg])

        lat = exp.Mul(this=self.col("latitude"), expression=self.num(rad))
        lon = exp.Mul(this=self.col("longitude"), expression=self.num(rad))
        p1 = d.latitude * rad
        half_dlat = fn(
            "SIN",
            exp.Div(
                this=exp.Paren(this=exp.Sub(this=lat, expression=self.num(p1))),
                expression=self.num(2),
            ),
        )
        half_dlon = fn(
            "SIN",
            exp.Div(
                this=exp.Paren(this=exp.Sub(this=lon, expression=self.num(d.longitude * rad))),
                expression=self.num(2),
            ),
        )
        a = exp.Add(
            this=exp.Mul(this=half_dlat, expression=half_dlat.copy()),
            expression=exp.Mul(
                this=exp.Mul(this=self.num(math.cos(p1)), expression=fn("COS", lat.copy())),
                expression=exp.Mul(this=half_dlon, expression=half_dlon.copy()),
            ),
        )
        root = exp.Least(this=fn("SQRT", a), expressions=[self.num(1.0)])
        dist = exp.Mul(this=self.num(2 * EARTH_RADIUS_KM), expression=fn("ASIN", root))
        return exp.LTE(this=dist, expression=self.num(d.radius_km))

    def positive(self, pred: Predicate) -> exp.Expr:
        if pred.op is Op.WITHIN:
            return self.haversine(pred)
        raw: exp.Expr = self.col(self.field_column(pred.field))
        if us_only(pred):  # a record abroad has no US state, county or ZIP
            raw = exp.Case(ifs=[exp.If(this=self.us_row(), true=raw)])
        op = pred.op
        if op is Op.IS_EMPTY:
            null = exp.Is(this=raw, expression=exp.Null())
            if pred.numeric:
                return null
            return self.any_of([null, exp.EQ(this=raw.copy(), expression=self.text(""))])
        compare = op in (Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN)
        if pred.numeric or compare:
            code_name = "tp_code_" + read_column(pred)
            x = raw if pred.numeric else self.derive(code_name, self.code(raw))
            vals = [self.num(float(v)) for v in pred.values]
            if op in (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY):
                return (
                    exp.In(this=x, expressions=vals)
                    if len(vals) > 1
                    else exp.EQ(this=x, expression=vals[0])
                )
            if op is Op.BETWEEN:
                return exp.Between(this=x, low=vals[0], high=vals[1])
            kind: type[exp.Binary] = {Op.LT: exp.LT, Op.LE: exp.LTE, Op.GT: exp.GT, Op.GE: exp.GTE}[
                op
            ]
            compared: exp.Expr = kind(this=x, expression=vals[0])
            return compared
        if op is Op.REGEX:
            return self.regex(raw, str(pred.values[0]), pred.case_sensitive)
        # whitespace runs squeezed to one space, none at either end, as the per-record
        # evaluator compares text (:func:`terraplan.rules.fields.squeeze`)
        squeezed = self.squeezed(raw.copy())
        subject: exp.Expr = (
            self.derive("tp_ws_" + self.field_column(pred.field), squeezed)
            if pred.case_sensitive
            else self.derive("tp_lc_" + self.field_column(pred.field), self.folded(squeezed))
        )
        equality = op in (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY)
        texts = [squeeze_operand(v, equality, pred.case_sensitive) for v in pred.values]
        if equality:
            lits = [self.text(t) for t in texts]
            return (
                exp.In(this=subject, expressions=lits)
                if len(lits) > 1
                else exp.EQ(this=subject, expression=lits[0])
            )
        parts: list[exp.Expr] = []
        for t in texts:
            if op is Op.STARTS_WITH:
                head = exp.Substring(
                    this=subject.copy(), start=self.num(1), length=self.num(len(t))
                )
                parts.append(exp.EQ(this=head, expression=self.text(t)))
            elif op is Op.ENDS_WITH:
                tail = exp.Right(this=subject.copy(), expression=self.num(len(t)))
                parts.append(exp.EQ(this=tail, expression=self.text(t)))
            else:
                pos = exp.StrPosition(this=subject.copy(), substr=self.text(t))
                parts.append(exp.GT(this=pos, expression=self.num(0)))
        return self.any_of(parts)

    def condition(self, cond: Condition) -> exp.Expr:
        if isinstance(cond, Always):
            return exp.true()
        if isinstance(cond, AllOf):
            return self.all_of([self.condition(c) for c in cond.items])
        if isinstance(cond, AnyOf):
            return self.any_of([self.condition(c) for c in cond.items])
        if isinstance(cond, NotOf):
            return exp.Not(this=exp.Paren(this=self.condition(cond.item)))
        positive = NEGATED.get(cond.op)
        pred = cond
        if positive is not None:
            pred = Predicate(
                cond.field,
                positive,
                cond.values,
                cond.case_sensitive,
                cond.distance,
                cond.geography,
                cond.numeric,
            )
        safe = exp.Coalesce(this=self.positive(pred), expressions=[exp.false()])
        return exp.Not(this=safe) if positive is not None else safe


def compile_sql(
    rule_set: RuleSet,
    dialect: str,
    table: str = "accounts",
    *,
    id_column: str = "id",
    records: str = "accounts",
) -> str:
    """One SQL query assigning every row of ``table``; same results as :func:`assign_batch`
    with ``normalize=False``: the query compares the values as stored (``Texas`` is not ``TX``).

    ``dialect`` is one of :data:`DIALECTS`. ``records``: ``accounts`` (the columns of
    ``terraplan export accounts``) or ``leads`` (those of ``terraplan export leads``: the
    company in ``company``). Raises :class:`InvalidParameterError` otherwise.
    """
    if records not in ("accounts", "leads"):
        raise InvalidParameterError(
            f"unknown records {records!r}; expected 'accounts' or 'leads'",
            details={"parameter": "records", "value": records},
        )
    if dialect not in DIALECTS:
        raise InvalidParameterError(
            f"unknown SQL dialect {dialect!r}; expected one of {list(DIALECTS)}",
            details={"parameter": "dialect", "value": dialect},
        )
    try:
        return _build(rule_set, dialect, table, id_column, records)
    except InvalidParameterError:
        raise
    except Exception as exc:  # sqlglot errors never leak
        raise InvalidParameterError(
            f"cannot compile the rule set to {dialect}: {exc}", details={"parameter": "table"}
        ) from None


def _alias(expression: exp.Expr, name: str) -> exp.Expr:
    aliased: exp.Expr = exp.alias_(expression, name, quoted=True)
    return aliased


def _build(rule_set: RuleSet, dialect: str, table: str, id_column: str, records: str) -> str:
    c = _Compiler(dialect, records)
    source = exp.to_table(table, dialect=dialect)
    excl_names: dict[str, str] = {}
    excl_cols: list[exp.Expr] = []
    for tid in dict.fromkeys(e.territory_id for e in rule_set.exclusions):
        excl = rule_set.exclusion_for(tid)
        assert excl is not None
        name = f"tp_x{len(excl_names)}"
        excl_names[tid] = name
        excl_cols.append(_alias(c.condition(excl), name))

    def guarded(cond: Condition, tid: str) -> exp.Expr:
        expr = c.condition(cond)
        if tid in excl_names:
            expr = exp.And(
                this=exp.Paren(this=expr), expression=exp.Not(this=c.col(excl_names[tid]))
            )
        return expr

    ranked: list[Rule] = rule_set.ranked_rules()
    mask_cols: list[exp.Expr] = [_alias(c.col(id_column), "tp_id")]
    for g, rule in enumerate(ranked):
        mask_cols.append(_alias(guarded(rule.when, rule.territory_id), f"tp_m{g}"))
    overlay_terr = list(dict.fromkeys(o.territory_id for o in rule_set.overlays))
    for k, tid in enumerate(overlay_terr):
        conds = tuple(o.when for o in rule_set.overlays if o.territory_id == tid)
        cond: Condition = conds[0] if len(conds) == 1 else AnyOf(conds)
        mask_cols.append(_alias(guarded(cond, tid), f"tp_o{k}"))

    base: exp.Expr = source
    if c.derived:  # lower-cased text and postal/FIPS numbers, computed once per row
        derived = [_alias(e, name) for name, e in c.derived.items()]
        base = exp.alias_(
            exp.Subquery(this=exp.select(exp.Star(), *derived).from_(source)), "tp_d", quoted=True
        )
    if excl_cols:
        inner = exp.select(exp.Star(), *excl_cols).from_(base)
        base = exp.alias_(exp.Subquery(this=inner), "tp_x", quoted=True)
    masks = exp.select(*mask_cols).from_(base)

    def m(g: int) -> exp.Expr:
        return c.col(f"tp_m{g}")

    levels: dict[tuple[int, int], list[int]] = {}
    for g, rule in enumerate(ranked):
        levels.setdefault(rule_set.level_key(rule), []).append(g)
    null_text = exp.Cast(this=exp.Null(), to=exp.DataType.build("VARCHAR"))
    # winner index: the first matching rule in ranked order, -1 for an unresolved conflict
    winner_ifs: list[exp.If] = []
    any_levels: list[exp.Expr] = []
    for members in levels.values():
        by_terr: dict[str, list[int]] = {}
        for g in members:
            by_terr.setdefault(ranked[g].territory_id, []).append(g)
        any_levels.append(c.any_of([m(g) for g in members]))
        if len(by_terr) > 1 and rule_set.tie_breaker is TieBreaker.NONE:
            ones = [
                exp.Case(
                    ifs=[exp.If(this=c.any_of([m(g) for g in gs]), true=c.num(1))], default=c.num(0)
                )
                for gs in by_terr.values()
            ]
            total: exp.Expr = ones[0]
            for one in ones[1:]:
                total = exp.Add(this=total, expression=one)
            clash = exp.GT(this=exp.Paren(this=total), expression=c.num(1))
            winner_ifs.append(exp.If(this=clash, true=exp.Neg(this=c.num(1))))
        winner_ifs.extend(exp.If(this=m(g), true=c.num(g)) for g in members)
    winner: exp.Expr = (
        exp.Case(ifs=winner_ifs)
        if winner_ifs
        else exp.Cast(this=exp.Null(), to=exp.DataType.build("INT"))
    )

    catch = rule_set.catch_all
    catch_terr = c.text(catch) if catch else null_text.copy()
    catch_type = c.text(rule_set.territories[catch].type.value) if catch else null_text.copy()
    w = exp.column("tp_w", table="tp_w", quoted=True)

    gap = exp.Not(this=c.any_of(any_levels)) if any_levels else exp.true()
    overlay_expr: exp.Expr = c.text("")
    if overlay_terr:
        parts = [
            exp.Case(
                ifs=[exp.If(this=c.col(f"tp_o{k}"), true=c.text(";" + tid))], default=c.text("")
            )
            for k, tid in enumerate(overlay_terr)
        ]
        joined: exp.Expr = parts[0]
        for part in parts[1:]:
            joined = exp.DPipe(this=joined, expression=part, safe=True)
        overlay_expr = exp.Substring(this=joined, start=c.num(2))
    decided = exp.select(
        _alias(c.col("tp_id"), "tp_id"),
        _alias(winner, "tp_w"),
        _alias(gap, "tp_gap"),
        _alias(overlay_expr, "tp_ov"),
    ).from_(exp.alias_(exp.Subquery(this=masks), "tp_m", quoted=True))
    conflict = exp.Coalesce(
        this=exp.EQ(this=w.copy(), expression=exp.Neg(this=c.num(1))), expressions=[exp.false()]
    )
    source_w = exp.alias_(exp.Subquery(this=decided), "tp_w", quoted=True)

    def looked_up(name: str, if_gap: exp.Expr) -> exp.Expr:
        """The rule table's column for the winner; NULL on conflict; ``if_gap`` on a gap."""
        if not ranked:
            return if_gap
        is_gap = exp.Is(this=w.copy(), expression=exp.Null())
        value = exp.column(name, table="tp_r", quoted=True)
        return exp.Case(ifs=[exp.If(this=is_gap, true=if_gap)], default=value)

    outer = exp.select(
        _alias(exp.column("tp_id", table="tp_w", quoted=True), id_column),
        _alias(looked_up("territory_id", catch_terr), "territory_id"),
        _alias(looked_up("rule_id", null_text.copy()), "rule_id"),
        _alias(looked_up("territory_type", catch_type), "territory_type"),
        _alias(conflict, "conflict"),
        _alias(exp.column("tp_gap", table="tp_w", quoted=True), "gap"),
        _alias(exp.column("tp_ov", table="tp_w", quoted=True), "overlays"),
    ).from_(source_w)
    if ranked:
        # a small rule table (index -> territory, rule, type) joined on the winner index
        rows = [
            exp.Tuple(
                expressions=[
                    c.num(g),
                    c.text(r.territory_id),
                    c.text(r.id),
                    c.text(rule_set.territories[r.territory_id].type.value),
                ]
            )
            for g, r in enumerate(ranked)
        ]
        table_alias = exp.TableAlias(
            this=exp.to_identifier("tp_r", quoted=True),
            columns=[
                exp.to_identifier(n, quoted=True)
                for n in ("tp_g", "territory_id", "rule_id", "territory_type")
            ],
        )
        values = exp.Values(expressions=rows, alias=table_alias)
        on = exp.EQ(
            this=exp.column("tp_g", table="tp_r", quoted=True),
            expression=exp.column("tp_w", table="tp_w", quoted=True),
        )
        outer = outer.join(values, on=on, join_type="left")
    return outer.sql(dialect=dialect)
