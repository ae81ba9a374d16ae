"""Reference checks: a field naming a record of another kind (or of the file's own kind).

See :mod:`terraplan.io.validation` for which references are checked; an external reference
(an owner id from the CRM) naming no known record is kept and reported in one warning.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

import polars as pl

from terraplan.domain.salesforce_ids import match_id_forms
from terraplan.io.absent_parents import parents_not_loaded
from terraplan.io.account_names import names_to_account_ids, shared_name_reason
from terraplan.io.checker import Checker
from terraplan.io.owner_names import names_to_ids
from terraplan.io.readers import ROW
from terraplan.io.report import MAX_QUOTED
from terraplan.io.schema import PLANNED_KINDS


def check_references(
    checker: Checker,
    known_ids: Mapping[str, Collection[str]],
    rep_names: Mapping[str, str] | None = None,
    territory_plans: Mapping[str, Collection[str]] | None = None,
    account_names: Mapping[str, str] | None = None,
) -> None:
    """Reference checks (see :mod:`terraplan.io.validation`).

    ``rep_names`` (rep id -> name) lets an owner column holding names (a Salesforce report's
    "Account Owner") resolve to rep ids. ``territory_plans`` (territory id -> ids of the
    plans holding it) gives a target that names no plan the plan of its territory.
    ``account_names`` (stored account id -> name, those the file's cells may name) lets an
    account column holding names (Pipedrive's "Deal - Organization") resolve to account ids
    (:mod:`terraplan.io.account_names`).
    """
    kind = checker.spec.kind
    singular = {
        "accounts": "account",
        "reps": "rep",
        "geo_units": "geo unit",
        "territories": "territory",
        "plans": "plan",
    }
    for spec in checker.spec.fields:
        target = spec.references
        if target is None or not checker.has(spec.name):
            continue
        label = singular.get(target, target)
        known = pl.Series("id", list(known_ids.get(target, ())), dtype=pl.String)
        if spec.type == "list":  # neighbours: a warning, the unit itself is fine
            if target not in known_ids:
                continue
            allowed = pl.concat([known, checker.ctx["id"].drop_nulls()]).implode()
            unknown = pl.col(spec.name).list.eval(pl.element().filter(~pl.element().is_in(allowed)))
            checker.add(
                unknown.list.len() > 0,
                spec.name,
                pl.concat_str(pl.lit(f"unknown {label} id(s) "), unknown.list.join(", ")),
                severity="warning",
            )
            continue
        if target != kind and target not in known_ids:
            continue
        own = checker.ctx["id"].drop_nulls() if target == kind and checker.has("id") else None
        stored = known if own is None else pl.concat([known, own])
        _other_id_forms(checker, spec.name, label, stored)
        _guid_spellings(checker, spec.name, label, stored)
        if spec.external:
            shared: list[str] = []
            if target == "reps" and rep_names:
                shared = names_to_ids(checker, spec.name, known, rep_names)
            _external_reference(checker, spec.name, label, known, shared)
            continue
        if target == "reps" and rep_names:
            # a quota sheet kept by hand names its reps ("Rep: Alice Ng"), as an owner column
            # of a report does; a name several reps share stays, and is refused below
            names_to_ids(checker, spec.name, known, rep_names)
        reason = pl.concat_str(pl.lit(f"unknown {label} '"), pl.col(spec.name), pl.lit("'"))
        if target == "accounts" and target != kind and account_names:
            by_names = names_to_account_ids(checker, spec.name, known, account_names)
            if by_names:
                reason = pl.coalesce(shared_name_reason(spec.name, by_names), reason)
        if target != kind:
            # an association export lists every company of a deal in one cell ('A2;A1')
            several = pl.concat_str(
                pl.lit(f"lists several {label}s '"),
                pl.col(spec.name),
                pl.lit("' where a record has one (HubSpot's deal export gives the primary one"
                       " in 'Associated Company IDs (Primary)')"),
            )  # fmt: skip
            listed = pl.col(spec.name).str.contains(";", literal=True).fill_null(False)
            checker.add(
                ~pl.col(spec.name).is_in(known.implode()),
                spec.name,
                pl.when(listed).then(several).otherwise(reason),
            )
            continue
        # Self-reference: ids of rows accepted so far also count; repeat until stable. A
        # parent account not loaded at all (a region's export) is kept, with a note.
        absent = pl.Series(ROW, [], dtype=pl.Int64)
        if kind == "accounts":
            absent = parents_not_loaded(checker, spec.name, known.to_list())
        flagged = pl.Series("row", [], dtype=pl.Int64)
        for _ in range(50):
            bad = pl.concat([checker.error_rows(), flagged]).unique()
            accepted = checker.ctx.filter(~pl.col(ROW).is_in(bad.implode()))["id"].drop_nulls()
            allowed = pl.concat([known, accepted]).implode()
            mask = (
                pl.col(spec.name).is_not_null()
                & ~pl.col(spec.name).is_in(allowed)
                & ~pl.col(ROW).is_in(absent.implode())
            )
            now = checker.ctx.filter(mask)[ROW]
            if now.len() == flagged.len():
                break
            flagged = now
        checker.add(
            pl.col(ROW).is_in(flagged.implode()),
            spec.name,
            _self_reason(checker, label, spec.name, flagged),
        )
    if kind in PLANNED_KINDS and territory_plans is not None:
        _plans_of_rows(
            checker,
            territory_plans,
            known_ids.get("plans", ()),
            known_ids.get("active_plans", ()),
            noun=PLANNED_KINDS[kind],
        )
    if kind in PLANNED_KINDS and (archived := known_ids.get("archived_plans")):
        # an archived plan is read-only, as `terraplan targets --plan` says: its KPIs would
        # change after the fact
        checker.add(
            pl.col("plan_id").is_in(sorted(archived))
            & ~pl.col(ROW).is_in(checker.error_rows().implode()),
            "plan_id",
            pl.concat_str(
                pl.lit("plan "),
                pl.col("plan_id"),
                pl.lit(
                    f" is archived and read-only: its {PLANNED_KINDS[kind]}s cannot change"
                    " (name another plan, or copy it: terraplan plans copy)"
                ),
            ),
        )


def _self_reason(checker: Checker, label: str, name: str, flagged: pl.Series) -> pl.Expr:
    """Why a row's reference to a record of its own file fails: unknown, or a record the
    file holds on a row refused for its own reason (that row named, so one fix is seen as
    one fix, not a cascade of unknown records)."""
    col = pl.col(name)
    bad = pl.concat([checker.error_rows(), flagged]).unique()
    refused = checker.ctx.filter(pl.col(ROW).is_in(bad.implode()))
    rows = {str(i): str(r) for i, r in refused.select("id", ROW).iter_rows() if i is not None}
    unknown = pl.concat_str(pl.lit(f"unknown {label} '"), col, pl.lit("'"))
    if not rows:
        return unknown
    held = pl.concat_str(
        pl.lit(f"{label} '"),
        col,
        pl.lit("' is on row "),
        col.replace_strict(rows, default=None, return_dtype=pl.String),
        pl.lit(", which is refused: fix that row first"),
    )
    return pl.when(col.is_in(list(rows))).then(held).otherwise(unknown)


def _unmatched(checker: Checker, name: str, known: pl.Series) -> list[str]:
    """The distinct values of ``name`` that name no stored record as written."""
    col = pl.col(name)
    values = checker.ctx.filter(col.is_not_null() & ~col.is_in(known.implode()))[name]
    return values.unique().to_list()


def _match_to_stored(
    checker: Checker, name: str, label: str, table: Mapping[str, str], written: str
) -> None:
    """Cells of ``name`` in ``table`` (value as written -> stored id) become the stored id;
    one warning, ``written`` saying how the file wrote them (``{form}`` is replaced by the
    first cell's length: 15 or 18)."""
    col = pl.col(name)
    hits = checker.ctx.filter(col.is_in(list(table))).select(ROW, name)
    checker.ctx = checker.ctx.with_columns(
        col.replace_strict(table, default=col, return_dtype=pl.String).alias(name)
    )

    def say(kept: pl.DataFrame) -> str:
        first = min(kept[name].to_list())
        rows = f"{kept.height:,} rows name" if kept.height != 1 else "1 row names"
        how = written.replace("{form}", str(len(first)))
        return f"{rows} the {label} by {how} (e.g. {first} -> {table[first]}): matched to the stored id"

    # counted once the refused rows are known: a row refused by a later check is not imported
    checker.note(hits, say)


def _other_id_forms(checker: Checker, name: str, label: str, known: pl.Series) -> None:
    """Cells naming a stored record by its Salesforce id in the other form (18 characters
    for a stored 15, or 15 for a stored 18) become the stored id; one warning."""
    values = _unmatched(checker, name, known)
    table = match_id_forms(values, known.to_list()) if values else {}
    if table:
        _match_to_stored(checker, name, label, table, "its {form}-character Salesforce id")


#: A GUID (Dynamics 365, many other systems' record ids) in any case, with or without braces.
_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)


def _guid_key(value: str) -> str | None:
    """``value`` as one spelling of its GUID (lower case, no braces); None if no GUID."""
    match = _GUID.match(value.strip())
    return match.group(1).lower() if match else None


def _guid_spellings(checker: Checker, name: str, label: str, known: pl.Series) -> None:
    """Cells naming a stored record by its GUID spelt otherwise (``{4E86…}`` for a stored
    ``4e86…``: a GUID is one number whatever its case and braces, and Dynamics writes both)
    become the stored id; one warning. Other ids keep their case: a Salesforce id's is part
    of it."""
    keys = {value: key for value in _unmatched(checker, name, known) if (key := _guid_key(value))}
    if not keys:
        return
    wanted = set(keys.values())
    stored: dict[str, str] = {}
    for value in known.drop_nulls().unique().to_list():
        key = _guid_key(value)
        if key is not None and key in wanted:
            stored.setdefault(key, value)
    table = {value: stored[key] for value, key in keys.items() if key in stored}
    if table:
        _match_to_stored(checker, name, label, table, "its GUID in another case or with braces")


def _external_reference(
    checker: Checker, name: str, label: str, known: pl.Series, shared: list[str]
) -> None:
    """One warning for the rows naming a record not known yet (kept as given); ``shared``
    values (names several reps share) have their own warning."""
    col = pl.col(name)
    rows = checker.ctx.filter(
        col.is_not_null()
        & ~col.is_in(known.implode())
        & ~col.is_in(pl.Series(shared, dtype=pl.String).implode())
    ).select(ROW, name)
    kind = checker.spec.kind
    stored = known.n_unique()

    def say(kept: pl.DataFrame) -> str:
        return _unknown_owners(kept[name], kind, label, name, stored)

    # rows refused by any check, before or after this one, are left out of the count
    checker.note(rows, say)


def _unknown_owners(unknown: pl.Series, kind: str, label: str, name: str, stored: int) -> str:
    """The warning for the ``unknown`` owners of the rows kept (``stored``: reps stored)."""
    count = unknown.len()
    singular = {"accounts": "account", "opportunities": "opportunity"}
    noun = f"{kind.replace('_', ' ')} name" if count != 1 else f"{singular.get(kind, kind)} names"
    example = unknown[0] if len(unknown[0]) <= MAX_QUOTED else unknown[0][:MAX_QUOTED] + "…"
    if stored == 0:  # nothing imported yet: the usual order is records first, then reps
        return (
            f"{count:,} {noun} an owner that is not a known {label} yet"
            f" (e.g. {example}): kept; import {label}s to resolve"
        )
    # The reps are stored and these owners are not among them: users the reps file left out
    # (who left the company, a file of active users only). Importing the reps again would
    # change nothing; say so.
    distinct = unknown.n_unique()
    if distinct == 1:
        ids, them, as_reps, to_reps = "1 distinct owner", "it", f"a {label}", f"a stored {label}"
    else:
        ids, them = f"{distinct:,} distinct owners", "them"
        as_reps, to_reps = f"{label}s", f"stored {label}s"
    stored_text = f"the {stored:,} stored {label}s" if stored != 1 else f"the 1 stored {label}"
    return (
        f"{count:,} {noun} an owner that is not among {stored_text} ({ids}, e.g. {example}):"
        f" kept; import {them} as {as_reps} (a user file of active users leaves out those who"
        f" left) or map {them} to {to_reps} (mapping file: values: {{{name}: {{OLD_ID:"
        f" {label.upper()}_ID}}}})"
    )


def _plans_of_rows(
    checker: Checker,
    territory_plans: Mapping[str, Collection[str]],
    plans: Collection[str],
    active: Collection[str] = (),
    *,
    noun: str = "target",
) -> None:
    """A target or acquisition cost (``noun``) without a plan takes its territory's plan (a
    rep target: the only plan, or else the only active one).

    A plan's KPIs count only the plan's own targets and costs, so a quota file without a
    plan column would import fine and count nowhere, and spend on a territory id that
    several plans hold would count in all of them. A territory id that several plans hold (designs
    number territories T01, T02... in every plan, and a scenario copies its plan's ids)
    goes to the one of them that is active, with a warning; when none or several are active
    it is an error naming them. A territory that is not in the plan the row names is an
    error; a rep target while several plans are stored and none or several are active is
    kept with one warning.
    """
    live = set(active)
    chosen = {t: sorted(set(p) & live) for t, p in territory_plans.items()}
    active_of = {t: a[0] for t, a in chosen.items() if len(a) == 1 and len(territory_plans[t]) > 1}
    listed = {t: ", ".join(sorted(p)) for t, p in territory_plans.items() if p}
    plans_of = pl.col("territory_id").replace_strict(listed, default=None, return_dtype=pl.String)
    bad = checker.error_rows().implode()
    pairs = pl.Series([f"{t}\x00{p}" for t, ps in territory_plans.items() for p in ps])
    pair = pl.concat_str(pl.col("territory_id"), pl.lit("\x00"), pl.col("plan_id"))
    checker.add(
        pl.col("plan_id").is_not_null()
        & plans_of.is_not_null()
        & ~pair.is_in(pairs.implode())
        & ~pl.col(ROW).is_in(bad),
        "territory_id",
        pl.concat_str(
            pl.lit("territory '"),
            pl.col("territory_id"),
            pl.lit("' is not in plan "),
            pl.col("plan_id"),
            pl.lit(" (it is in "),
            plans_of,
            pl.lit(")"),
        ),
    )
    bad = checker.error_rows().implode()
    no_plan = pl.col("plan_id").is_null() & ~pl.col(ROW).is_in(bad)
    by_territory = no_plan & pl.col("territory_id").is_not_null()
    active_plan = pl.col("territory_id").replace_strict(
        active_of, default=None, return_dtype=pl.String
    )
    ambiguous = by_territory & plans_of.str.contains(",", literal=True).fill_null(False)
    to_active = ambiguous & active_plan.is_not_null()
    several = ambiguous & active_plan.is_null()
    checker.add(
        several,
        "territory_id",
        pl.concat_str(
            pl.lit("territory '"),
            pl.col("territory_id"),
            pl.lit("' is in several plans ("),
            plans_of,
            pl.lit("), none of them or several active: name one in a plan_id column"),
        ),
    )
    one = by_territory & ~ambiguous & plans_of.is_not_null()
    filled = checker.ctx.filter(one).select(ROW, "territory_id", plans_of.alias("plan"))
    to_live = checker.ctx.filter(to_active).select(ROW, "territory_id", active_plan.alias("plan"))
    only = sorted(plans)[0] if len(plans) == 1 else None
    if only is None and len(live) == 1:
        only = next(iter(live))
    by_rep = (
        no_plan & pl.col("territory_id").is_null() & pl.col("rep_id").is_not_null()
        if "rep_id" in checker.ctx.columns
        else pl.lit(False)
    )
    reps = checker.ctx.filter(by_rep).select(ROW)
    rep_plan = pl.lit(only, dtype=pl.String)
    fill = (
        pl.when(one)
        .then(plans_of)
        .when(to_active)
        .then(active_plan)
        .when(by_rep & rep_plan.is_not_null())
        .then(rep_plan)
    )
    checker.ctx = checker.ctx.with_columns(fill.otherwise(pl.col("plan_id")).alias("plan_id"))

    # counted once the refused rows are known (a row refused by a later check gets no plan)
    def filled_note(kept: pl.DataFrame) -> str:
        example = f"{kept['territory_id'][0][:MAX_QUOTED]} -> {kept['plan'][0]}"
        names = f"{noun}s name" if kept.height != 1 else f"{noun} names"
        return f"{kept.height:,} {names} no plan: given the plan of the territory (e.g. {example})"

    def live_note(kept: pl.DataFrame) -> str:
        example = f"{kept['territory_id'][0][:MAX_QUOTED]} -> {kept['plan'][0]}"
        names = f"{noun}s name" if kept.height != 1 else f"{noun} names"
        return (
            f"{kept.height:,} {names} no plan and a territory several plans hold: given the"
            f" active plan (e.g. {example})"
        )

    def reps_note(kept: pl.DataFrame) -> str:
        names = "rep targets name" if kept.height != 1 else "rep target names"
        if only is not None:
            which = "only plan" if len(plans) == 1 else "active plan"
            return f"{kept.height:,} {names} no plan: given the {which}, {only}"
        return (
            f"{kept.height:,} {names} no plan: kept, but no plan's KPIs count them;"
            " name the plan in a plan_id column"
        )

    checker.note(filled, filled_note)
    checker.note(to_live, live_note)
    checker.note(reps, reps_note)
