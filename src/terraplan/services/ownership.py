"""Ownership rules of stored plans: rule files read and checked against the stored accounts,
rule sets saved as plan versions (with the plan's account pins), and the rules applied to every
stored account (assignments written, owners chosen).

Routing one incoming lead or record with these rules is :mod:`terraplan.services.routing`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.errors import DataError, InvalidParameterError, RuleError
from terraplan.rules import (
    AuditReport,
    RuleSet,
    assign_frame,
    audit_rule_set,
    dump_rule_set,
    load_rule_set,
    records_to_frame,
    rules_from_alignment,
)
from terraplan.services.locations import zip_locator
from terraplan.services.owner_sync import OwnerSync, pick_owners, sync_in
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.plan_records import AssignmentRecord, AssignmentRunSummary
from terraplan.storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from terraplan.services.rule_editing import SavedRules


def read_rule_file(path: str | Path, plan: Plan | None = None) -> RuleSet:
    """Parse a YAML/JSON rule file; territories are checked against ``plan`` when given."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(
            f"{path}: cannot read the rule file ({exc.strerror})", details={"file": str(path)}
        ) from None
    except UnicodeDecodeError as exc:
        raise RuleError(
            f"{path}: not a text rule file (byte {exc.start} is not UTF-8); "
            "give a YAML or JSON file",
            details={"file": str(path), "path": "", "reason": "not UTF-8 text"},
        ) from None
    if "\x00" in text:
        raise RuleError(
            f"{path}: not a text rule file (it holds NUL bytes); give a YAML or JSON file",
            details={"file": str(path), "path": "", "reason": "binary file"},
        )
    try:
        if plan is None:
            return load_rule_set(text)
        return load_rule_set(text, territories=plan.territories, geographies=plan_geographies(plan))
    except RuleError as exc:
        from terraplan.rules.positions import error_position

        # a limit refused (size, depth, list length) is not looked for again: finding its
        # line would read the huge document the limit was there to refuse
        where = (
            None if "limit" in exc.details or len(text) > 1_000_000 else error_position(text, exc)
        )
        # the line an editor shows, beside the element path the message gives (rules[9])
        line = f", line {where[0]}" if where and "line " not in exc.message else ""
        raise RuleError(
            f"{path}{line}: {exc.message}",
            details={**exc.details, "file": str(path), **({"line": where[0]} if where else {})},
        ) from None


def plan_geographies(plan: Plan) -> dict[str, set[str]]:
    """Territory -> the geo unit ids aligned to it (what ``in_geography`` conditions test).

    Inner territories (regions, districts) get the units of all their leaves.
    """
    geographies: dict[str, set[str]] = {}
    for unit, territory in plan.alignment_map(RecordKind.GEO_UNIT).items():
        for owner in (territory, *plan.ancestors(territory)):
            geographies.setdefault(owner, set()).add(unit)
    return geographies


def accounts_frame(db: Database) -> pl.DataFrame:
    """Stored open accounts as a Polars frame; custom attributes unnested as ``attr_<name>``
    columns."""
    return account_frames(db)[0]


def account_frames(db: Database) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(open, closed)`` accounts as :func:`accounts_frame` gives them, from one read."""
    with db.connect() as connection:
        every = bulk.read_arrow(connection, "accounts")
    closed = pc.is_valid(every.column("closed_on"))
    return _unnested(every.filter(pc.invert(closed))), _unnested(every.filter(closed))


def _unnested(data: pa.Table) -> pl.DataFrame:
    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    if frame.height and frame["attributes"].null_count() < frame.height:
        decoded = frame["attributes"].str.json_decode(infer_schema_length=None)
        if isinstance(decoded.dtype, pl.Struct) and decoded.dtype.fields:
            attributes = decoded.struct.unnest()
            frame = frame.with_columns(
                [attributes[name].alias(f"attr_{name}") for name in attributes.columns]
            )
    return frame.drop("attributes", "closed_on")


def check_rules(
    db: Database, path: str | Path, *, plan_id: str | None = None, lead_sample: int = 5000
) -> tuple[RuleSet, AuditReport]:
    """Validate a rule file and audit it against the stored accounts and a sample of leads."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id) if plan_id else None
        leads = uow.leads.list(limit=lead_sample)
    rule_set = read_rule_file(path, plan)
    audit = audit_rule_set(accounts_frame(db), rule_set, leads=leads or None, locate=zip_locator())
    return rule_set, audit


#: The columns of ``rules check --out``: one row per gap or conflict account or lead.
UNCOVERED_COLUMNS = (
    "kind", "id", "name", "state", "postal_code", "problem", "goes_to", "clashing",
)  # fmt: skip


def uncovered_records(
    db: Database, rule_set: RuleSet, *, lead_sample: int = 5000
) -> list[dict[str, Any]]:
    """Every stored open account, and every lead the audit checks (the first
    ``lead_sample``), that the rule set leaves to the catch-all or in no territory (``gap``)
    or claims twice (``conflict``, with the clashing territories by name): kind, id, name,
    state, postal code, what happened and where it goes; the audit's lists hold the first 20
    of each."""
    with UnitOfWork(db) as uow:
        leads = uow.leads.list(limit=lead_sample)
    rows = _uncovered(accounts_frame(db), rule_set, "account")
    if leads:
        rows += _uncovered(records_to_frame(leads), rule_set, "lead")
    return rows


def _uncovered(frame: pl.DataFrame, rule_set: RuleSet, kind: str) -> list[dict[str, Any]]:
    from terraplan.rules.audit import clashes

    locate = zip_locator()
    result, _ = assign_frame(frame, rule_set, locate=locate)
    names = {t.id: t.name for t in rule_set.territories.values()}
    columns = [c for c in ("id", "name", "state", "postal_code") if c in frame.columns]
    by_id = {row["id"]: row for row in frame.select(columns).iter_rows(named=True)}
    uncovered = result.filter(pl.col("gap") | pl.col("conflict"))
    conflict_ids = uncovered.filter(pl.col("conflict"))["id"].cast(pl.Utf8).to_list()
    clashing = clashes(frame, conflict_ids, rule_set, locate=locate)
    rows = []
    for row in uncovered.iter_rows(named=True):
        record = by_id.get(row["id"], {})
        rows.append(
            {
                "kind": kind,
                "id": row["id"],
                "name": record.get("name"),
                "state": record.get("state"),
                "postal_code": record.get("postal_code"),
                "problem": "conflict" if row["conflict"] else "gap",
                "goes_to": names.get(row["territory_id"] or "", "(no territory)"),
                "clashing": ", ".join(names.get(t, t) for t in clashing.get(str(row["id"]), ())),
            }
        )
    return rows


def account_names(db: Database, ids: Iterable[str], kind: str = "accounts") -> dict[str, str]:
    """``id -> name`` for the stored accounts (or ``kind="leads"``: leads, by company)
    among ``ids`` (to show, not ids)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    with UnitOfWork(db) as uow:
        if kind == "leads":
            return {
                lead.id: lead.company or lead.id for lead in uow.leads.list(any_of={"id": wanted})
            }
        return {a.id: a.name for a in uow.accounts.list(any_of={"id": wanted})}


def save_rules(
    db: Database, plan_id: str, rule_set: RuleSet, *, created_by: str | None = None
) -> int:
    """Store ``rule_set`` as the plan's next rule-set version; returns the version."""
    return save_rules_noted(db, plan_id, rule_set, created_by=created_by).version


def save_rules_noted(
    db: Database, plan_id: str, rule_set: RuleSet, *, created_by: str | None = None
) -> SavedRules:
    """:func:`save_rules`, with the territories it added to the plan: those the rule set
    routes accounts to that the plan did not have (see
    :func:`terraplan.services.rule_editing.store_rule_set`)."""
    from terraplan.services.rule_editing import require_rules_editable, store_rule_set

    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        require_rules_editable(plan)
        # The stored text must load again against this plan (territories and geographies exist).
        document = dump_rule_set(rule_set)
        load_rule_set(document, territories=plan.territories, geographies=plan_geographies(plan))
        saved = store_rule_set(uow, plan, rule_set, document, by=created_by)
        uow.commit()
    return saved


def plan_rule_set(uow: UnitOfWork, plan: Plan) -> tuple[RuleSet, int]:
    """The plan's latest rule set, with the plan's named-account pins (``plans move
    --accounts``) as named-account entries: a pin wins over every rule, and over a named entry
    of the stored text that puts the account elsewhere (the move is the later decision)."""
    stored = uow.rule_sets.latest(plan.id)
    geographies = plan_geographies(plan)
    rule_set = load_rule_set(stored.document, territories=plan.territories, geographies=geographies)
    return with_pins(rule_set, plan, geographies), stored.version


def with_pins(
    rule_set: RuleSet, plan: Plan, geographies: Mapping[str, set[str]] | None = None
) -> RuleSet:
    """``rule_set`` with the plan's account pins as named accounts (unchanged when it already
    names every pinned account where the plan pins it)."""
    from terraplan.rules import parse_rule_set, rule_set_to_dict

    pins = plan.alignment_map(RecordKind.ACCOUNT)
    named = {a: t for t, ids in rule_set.named_accounts.items() for a in ids}
    if all(named.get(a) == t for a, t in pins.items()):
        return rule_set
    entries: dict[str, list[str]] = {}
    for territory, ids in rule_set.named_accounts.items():
        entries[territory] = [a for a in ids if a not in pins]
    for account, territory in sorted(pins.items()):
        entries.setdefault(territory, []).append(account)
    data = rule_set_to_dict(rule_set)
    data["named_accounts"] = [
        {"territory": t, "accounts": ids} for t, ids in entries.items() if ids
    ]
    return parse_rule_set(
        data,
        territories=plan.territories,
        geographies=plan_geographies(plan) if geographies is None else geographies,
    )


def rules_for_design(plan: Plan, units: list[Any]) -> RuleSet:
    """A rule set from a designed geo alignment (county FIPS, ZIP or custom area lists per
    territory; an account is in a custom area by its postal code)."""
    from terraplan.planning.alignment import geo_code_space

    alignment = plan.alignment_map(RecordKind.GEO_UNIT)
    if not alignment:
        raise InvalidParameterError(f"plan {plan.id!r} has no geo alignment to turn into rules")
    kinds = {str(u.id): str(getattr(u, "kind", "")) for u in units}
    unit_kind = geo_code_space(plan, kinds) or "county"
    return rules_from_alignment(
        plan.leaves(), unit_kind, alignment, name=f"{plan.name} (generated)"
    )


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    run: AssignmentRunSummary
    rule_set_version: int
    per_territory: list[dict[str, Any]]
    owners: OwnerSync
    #: Notes once per run: accounts given to reps marked inactive (who have left).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleApplication:
    """The plan's rules evaluated on every stored account, not yet written: the assignment
    records (owners chosen) and per-territory tallies."""

    plan: Plan
    rule_set_version: int
    records: list[AssignmentRecord]
    per_territory: list[dict[str, Any]]
    #: Accounts outside a scoped plan's scope, left to other plans (not in ``records``).
    outside_scope: int = 0


def evaluate_rules(db: Database, plan_id: str) -> RuleApplication:
    """Assign every stored account under the plan's latest rule set (of a scoped plan, every
    account in its scope: see :func:`~terraplan.services.plan_scopes.narrow_to_scope`) and
    choose each assigned account's owner (its territory's primary rep); reads only."""
    from terraplan.services.plan_scopes import narrow_to_scope

    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        plan.require_writable("apply its rules")
        rule_set, version = plan_rule_set(uow, plan)
    open_accounts, closed_accounts = account_frames(db)  # one read of the accounts table
    frame, outside = narrow_to_scope(db, open_accounts, plan.scope)
    result, _ = assign_frame(frame, rule_set, locate=zip_locator())
    potential = dict(zip(frame["id"].to_list(), frame["potential"].to_list(), strict=True))
    current = dict(zip(frame["id"].to_list(), frame["owner_id"].to_list(), strict=True))
    records = []
    tallies: dict[str | None, dict[str, Any]] = defaultdict(
        lambda: {"accounts": 0, "potential": 0.0}
    )
    for row in result.iter_rows(named=True):
        status = "conflict" if row["conflict"] else ("gap" if row["gap"] else "assigned")
        records.append(
            AssignmentRecord(
                "account", row["id"], row["territory_id"], None, row["rule_id"], status
            )
        )
        caught = status == "gap" and row["territory_id"] is not None  # by the catch-all
        tally = tallies[row["territory_id"] if status == "assigned" or caught else f"({status})"]
        tally["accounts"] += 1
        tally["potential"] += potential.get(row["id"]) or 0.0
    owners, _ = pick_owners(plan, records, current)
    records = [replace(r, owner_id=owners.get(r.record_id)) for r in records]
    records += _closed_placements(db, plan, rule_set, closed_accounts)
    names = {t.id: t.name for t in plan.territories}
    # no account carries a potential (a plain CRM export): its totals are unknown, not 0
    known = any(v is not None for v in potential.values())
    per_territory = [
        {
            "territory": tid,
            "name": names.get(tid or "", ""),
            "accounts": values["accounts"],
            "potential": values["potential"] if known else None,
        }
        for tid, values in sorted(tallies.items(), key=lambda kv: str(kv[0]))
    ]
    return RuleApplication(plan, version, records, per_territory, outside)


def _closed_placements(
    db: Database, plan: Plan, rule_set: RuleSet, frame: pl.DataFrame
) -> list[AssignmentRecord]:
    """Where the rules put the closed accounts, as ``closed`` records keeping their owner: a
    plan aligned by rules keeps their past sales in their territory's KPIs, while no owner
    changes and no gap, conflict or owner file counts them."""
    from terraplan.services.plan_scopes import narrow_to_scope

    if frame.is_empty():
        return []
    frame, _ = narrow_to_scope(db, frame, plan.scope)
    result, _ = assign_frame(frame, rule_set, locate=zip_locator())
    owner = dict(zip(frame["id"].to_list(), frame["owner_id"].to_list(), strict=True))
    return [
        AssignmentRecord(
            "account", row["id"], row["territory_id"], owner.get(row["id"]), row["rule_id"],
            "closed",
        )
        for row in result.iter_rows(named=True)
        if row["territory_id"] is not None and not row["conflict"]
    ]  # fmt: skip


def write_rule_application(uow: UnitOfWork, application: RuleApplication) -> ApplyOutcome:
    """Store the evaluated assignments and the accounts' new owners inside the caller's unit
    of work (the caller commits); every territory or owner change is logged."""
    plan = application.plan
    run = uow.assignments.record_run(
        plan.id,
        plan_version=plan.version,
        rule_set_version=application.rule_set_version,
        assignments=application.records,
    )
    logged = {c["record_id"] for c in uow.assignments.changes(plan.id, run_id=run.run_id)}
    synced = sync_in(uow, plan, already_logged=logged)
    run = replace(run, owner_changes=run.owner_changes + synced.changed)
    return ApplyOutcome(
        run=run,
        rule_set_version=application.rule_set_version,
        per_territory=application.per_territory,
        owners=synced,
        notes=_inactive_owner_notes(uow, application.records),
    )


def _inactive_owner_notes(uow: UnitOfWork, records: list[AssignmentRecord]) -> tuple[str, ...]:
    """One note per inactive rep the run gave accounts to: the CRM refuses an inactive owner,
    and a rep who left serves no one."""
    inactive = {r.id: r.name or r.id for r in uow.reps.list() if not r.active}
    if not inactive:
        return ()
    counts: dict[str, int] = {}
    for record in records:
        owner = record.owner_id
        if owner is not None and owner in inactive and record.status != "closed":
            counts[owner] = counts.get(owner, 0) + 1
    return tuple(
        f"{inactive[rep]} is inactive and now owns {n:,} account{'' if n == 1 else 's'} of "
        "this run: give the territory another owner (`terraplan plans owners` or `match "
        "--apply`) before the owners reach the CRM"
        for rep, n in sorted(counts.items(), key=lambda item: inactive[item[0]])
    )


def apply_rules(db: Database, plan_id: str) -> ApplyOutcome:
    """Assign every stored account under the plan's latest rule set and give each assigned
    account its territory's primary rep as owner (accounts table too); one transaction;
    every territory or owner change logged.

    Refused (ConflictError) when another active plan covers the same accounts: only the
    active plan's rules decide owners, and activation is how another plan takes over."""
    from terraplan.services.plan_scopes import require_owners_may_follow

    with UnitOfWork(db) as uow:
        plan = uow.plans.header(plan_id)
        plan.require_writable("apply its rules")
        require_owners_may_follow(uow, plan)
    application = evaluate_rules(db, plan_id)
    with UnitOfWork(db) as uow:
        # Checked again in the writing transaction: a plan may have been activated meanwhile.
        current = uow.plans.header(plan_id)
        require_owners_may_follow(uow, current)
        outcome = write_rule_application(uow, application)
        if current.status is PlanStatus.ACTIVE:
            # The plan in force moves accounts (a new or moved account, a CRM owner put
            # back): who owns what is recorded from today, as an activation records it, so
            # `terraplan owners` and KPIs by rep credit the new owner from this day on.
            from terraplan.services.ownership_periods import record_plan_owners

            today = date.today()
            record_plan_owners(uow, application.plan, max(today, current.effective_from or today))
        uow.commit()
    return outcome
