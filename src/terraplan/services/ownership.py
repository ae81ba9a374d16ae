"""Ownership rules for stored plans: check, save, apply to all accounts, compile, route one lead."""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from terraplan.domain import Plan, RecordKind, Territory
from terraplan.errors import (
    DataError,
    InvalidParameterError,
    NotFoundError,
    RuleError,
    TerraplanError,
)
from terraplan.io.places import normalize_record_places
from terraplan.rules import (
    AuditReport,
    RouteResult,
    RuleSet,
    assign_frame,
    audit_rule_set,
    dump_rule_set,
    load_rule_set,
    pick_owner,
    route,
    rules_from_alignment,
)
from terraplan.rules.condition_parser import is_whole_number
from terraplan.rules.evaluate import ValueNames
from terraplan.rules.fields import is_us, zip5
from terraplan.rules.index import RuleIndex
from terraplan.rules.model import Op
from terraplan.services.locations import zip_locator
from terraplan.services.owner_sync import OwnerSync, pick_owners, sync_in
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.plan_records import AssignmentRecord, AssignmentRunSummary
from terraplan.storage.routing_reads import (
    RoutingTarget,
    VersionRows,
    active_plan_ids,
    active_scopes,
    geo_value_names,
    read_version_rows,
    routing_versions_from_rows,
    take_routing_turn,
)
from terraplan.storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from terraplan.services.rule_editing import SavedRules

log = logging.getLogger(__name__)

OwnerMethod = Literal["round_robin", "weighted"]


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


def uncovered_accounts(db: Database, rule_set: RuleSet) -> list[dict[str, Any]]:
    """Every stored open account the rule set leaves to the catch-all or in no territory
    (``gap``) or claims twice (``conflict``): id, name, state, postal code, what happened and
    where it goes; the audit's lists hold the first 20 of each."""
    frame = accounts_frame(db)
    result, _ = assign_frame(frame, rule_set, locate=zip_locator())
    names = {t.id: t.name for t in rule_set.territories.values()}
    by_id = {
        row["id"]: row
        for row in frame.select("id", "name", "state", "postal_code").iter_rows(named=True)
    }
    rows = []
    for row in result.filter(pl.col("gap") | pl.col("conflict")).iter_rows(named=True):
        account = by_id.get(row["id"], {})
        rows.append(
            {
                "account_id": row["id"],
                "account_name": account.get("name"),
                "state": account.get("state"),
                "postal_code": account.get("postal_code"),
                "problem": "conflict" if row["conflict"] else "gap",
                "goes_to": names.get(row["territory_id"] or "", "(no territory)"),
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
    """A rule set from a designed geo alignment (county FIPS or ZIP lists per territory)."""
    alignment = plan.alignment_map(RecordKind.GEO_UNIT)
    if not alignment:
        raise InvalidParameterError(f"plan {plan.id!r} has no geo alignment to turn into rules")
    kinds = {getattr(u, "kind", None) for u in units}
    unit_kind: Literal["county", "zip"] = "zip" if any(str(k) == "zip" for k in kinds) else "county"
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
        require_owners_may_follow(uow, uow.plans.header(plan_id))
        outcome = write_rule_application(uow, application)
        uow.commit()
    return outcome


def _parent_names(db: Database, rule_set: RuleSet) -> dict[str, dict[str, str]]:
    """The names of the parent accounts the rules test (``parent_id in [...]``), so that an
    explanation says "parent account 001A01 (Acme Corp)", as it names a county."""
    from terraplan.rules.model import predicates_of

    conditions = [r.when for r in rule_set.rules] + [o.when for o in rule_set.overlays]
    wanted = {
        str(value)
        for condition in conditions
        for test in predicates_of(condition)
        if test.field == "parent_id"
        for value in test.values
    }
    if not wanted:
        return {}
    return {"parent_id": account_names(db, sorted(wanted))}


def _fields_read(rule_set: RuleSet) -> set[str]:
    """The record fields the rule set's conditions read."""
    from terraplan.rules.model import predicates_of

    return {test.field for rule in rule_set.rules for test in predicates_of(rule.when)}


#: Longest part of a sent postal code a note repeats.
_SHOWN = 40


def _sent(raw: Any) -> str:
    """A sent postal code as a note shows it (quoted text; a number as the number)."""
    text = str(raw).strip()
    shown = text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
    return shown if is_whole_number(raw) else repr(shown)


def _unknown_zip_note(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Why a lead no rule placed may have had no county: its postal code is no US ZIP (a
    typo, a foreign code), or a ZIP in no ZIP table (a typo, or one the bundled tables lack)."""
    raw = record.get("postal_code")
    if raw is None or str(raw).strip() == "" or record.get("county_fips"):
        return ()
    code = zip5(raw)
    if code is None:
        return (_not_a_zip(raw),)
    if zip_locator()(code) is not None:
        return ()
    said = (
        f"ZIP {code}"
        if str(raw).strip() == code
        else f"postal code {_sent(raw)}, read as ZIP {code},"
    )
    return (f"{said} is not in the ZIP table, so no county or state could be found for it",)


def _not_a_zip(raw: Any) -> str:
    return (
        f"postal code {_sent(raw)} is not a US ZIP code, so no county or state could be found "
        "for it"
    )


@functools.lru_cache(maxsize=1)
def _bundled_county_names() -> dict[str, str]:
    """The bundled counties (lower 48 states and DC) by FIPS: ``"Denver County, CO"``."""
    from terraplan.data.counties import load_counties

    return {u.id: f"{u.name}, {u.state}" for u in load_counties()}


def _named_places(rule_set: RuleSet) -> dict[str, frozenset[str]]:
    """The county FIPS codes and states the rule set's primary rules name (``in``,
    ``equals``, ``in_geography``), by field: where a record can be placed at all."""
    from terraplan.rules.model import predicates_of

    named: dict[str, set[str]] = {}
    for rule in rule_set.rules:
        if rule.pinned:
            continue
        for test in predicates_of(rule.when):
            if test.field in ("county_fips", "state") and test.op in (
                Op.IN,
                Op.EQUALS,
                Op.IN_GEOGRAPHY,
            ):
                named.setdefault(test.field, set()).update(
                    str(v).strip().upper() for v in test.values
                )
    return {field: frozenset(values) for field, values in named.items()}


def _outside_plan_note(
    record: Mapping[str, Any], plan_id: str, named: Mapping[str, frozenset[str]]
) -> tuple[str, ...]:
    """Why a lead with a known US ZIP matched no rule: the ZIP lies in a county (or state) no
    rule of the plan names, e.g. Alaska or Puerto Rico, outside the bundled lower-48
    counties designed plans are drawn from."""
    if record.get("county_fips") or not is_us(record.get("country")):
        return ()
    code = zip5(record.get("postal_code"))
    place = zip_locator()(code) if code is not None else None
    if place is None:
        return ()
    from terraplan.io.places import US_STATES

    state = place.state or ""
    where = US_STATES.get(state, state) or "no state"
    county = place.county_fips
    if "county_fips" in named and county and county not in named["county_fips"]:
        bundled = _bundled_county_names()
        if county not in bundled:
            return (
                f"ZIP {code} is in {where}, outside the lower-48 counties (and DC) the "
                f"plan's territories are drawn from: no rule of plan {plan_id} names its "
                f"county ({county})",
            )
        return (
            f"ZIP {code} is in {bundled[county]} ({county}), a county no rule of plan "
            f"{plan_id} names",
        )
    if "state" in named and state and state not in named["state"]:
        return (f"ZIP {code} is in {where} ({state}), a state no rule of plan {plan_id} names",)
    return ()


def _sent_not_a_zip(record: Mapping[str, Any]) -> bool:
    """A US record sent with a postal code that is no US ZIP."""
    raw = record.get("postal_code")
    if raw is None or str(raw).strip() == "" or not is_us(record.get("country")):
        return False
    return zip5(raw) is None


def _zip_decides(record: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A US record's typed state or county that contradicts its known ZIP takes the ZIP's,
    with a note: an import decides so (the ZIP wins), and a lead must route the same typed in
    as imported."""
    code = zip5(record.get("postal_code"))
    country = str(record.get("country") or "US").strip().upper()
    if not code or country not in ("US", "USA") or not code.isdigit():
        return record, ()
    place = zip_locator()(code)
    if place is None:
        return record, ()
    notes: list[str] = []
    fixed = dict(record)
    for field, words, found in (
        ("state", "state", place.state),
        ("county_fips", "county FIPS", place.county_fips),
    ):
        given = record.get(field)
        if given in (None, "") or found is None:
            continue
        typed = str(given).strip().upper()
        if field == "county_fips" and typed.isdigit():
            typed = typed.zfill(5)  # a code that lost its leading zero, as imports pad it
        fixed[field] = found
        if typed == found:
            continue
        notes.append(
            f"{words} {str(given).strip()[:20]} contradicts ZIP {code} (in {found}): the "
            f"ZIP's {words} {found} is used, as an import uses it"
        )
    return fixed, tuple(notes)


#: What a lead sent to routing may carry, beside custom attributes.
LEAD_FIELDS = (
    "id", "company", "name", "postal_code", "country", "state", "city", "county_fips",
    "latitude", "longitude", "industry", "customer_type", "segment", "employees",
    "annual_revenue", "source", "plan_id", "scope", "method",
)  # fmt: skip


def _meant(field: str) -> str:
    """The lead field ``field`` was probably meant to be (``Industry``, ``PostalCode``,
    ``postalcode``), or the usual suspects when none is close."""
    import difflib

    def plain(name: str) -> str:
        return name.replace("_", "").replace(" ", "").lower()

    by_plain = {plain(f): f for f in LEAD_FIELDS}
    if plain(field) in by_plain:
        return by_plain[plain(field)]
    close = difflib.get_close_matches(plain(field), list(by_plain), n=1, cutoff=0.75)
    return by_plain[close[0]] if close else "postal_code or plan_id"


@dataclass(frozen=True, eq=False)
class RoutingContext:
    """A plan's parsed rule set and the names of its owners, cached per plan and rule-set version."""

    plan: Plan
    rule_set: RuleSet
    rep_names: dict[str, str]
    index: RuleIndex
    territories: dict[str, Territory]
    #: Display names of county FIPS codes and ZIPs for the explanations ("Denver County, CO").
    value_names: ValueNames
    #: Owners the rep data marks inactive (they left after the plan named them).
    inactive: frozenset[str] = frozenset()
    #: The county FIPS codes and states the plan's rules name (:func:`_named_places`).
    named_places: Mapping[str, frozenset[str]] = dataclass_field(default_factory=dict)


RoutingCache = dict[tuple[str, int, int, int], RoutingContext]

#: Plans whose parsed rules a routing cache keeps (the active plan of each scope, and plans
#: routed by id); the least recently used goes first.
ROUTING_CACHE_PLANS = 16


@dataclass(frozen=True, slots=True)
class Routed:
    plan_id: str
    result: RouteResult
    owner_id: str | None
    owner_name: str | None
    turn: int | None
    territory_name: str | None
    notes: tuple[str, ...] = ()
    #: Each overlay that matched, with its territory's name and owner (the specialist).
    overlays: tuple[OverlayOwner, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan_id": self.plan_id,
            **self.result.to_dict(),
            "territory_name": self.territory_name,
            "owner_id": self.owner_id,
            "owner_name": self.owner_name,
            "turn": self.turn,
            "notes": list(self.notes),
            "overlays": [asdict(o) for o in self.overlays],
        }


@dataclass(frozen=True, slots=True)
class OverlayOwner:
    """A second owner an overlay gives a record: the overlay territory's primary rep."""

    territory_id: str
    territory_name: str | None
    role: str
    rule_id: str
    owner_id: str | None
    owner_name: str | None


def route_record(
    db: Database,
    record: Mapping[str, Any],
    *,
    plan_id: str | None = None,
    method: OwnerMethod = "round_robin",
    rule_cache: RoutingCache | None = None,
    scope: str | None = None,
    version_rows: VersionRows | None = None,
    extra_fields: Collection[str] = (),
) -> Routed:
    """Route one lead/account: territory, explanation and owner (turns stored in the database).

    Its state and country are read as an import reads them (``"California"``, ``" ca"`` ->
    ``CA``: :func:`~terraplan.io.places.normalize_record_places`). A US record's missing county
    FIPS, state and coordinates are filled from its ZIP (see
    :mod:`terraplan.services.locations`), as rule runs and audits do.

    Per call: one short read (which plan, which versions; none when the caller passes
    ``version_rows``, read together with its API token) and, when the territory has several
    primary reps, one atomic turn; the parsed rules are reused while the versions stay the same.
    """
    context = _routing_context(db, RoutingTarget(plan_id, scope), rule_cache, version_rows)
    plan = context.plan
    placed, zip_notes = _zip_decides(normalize_record_places(record))
    result = route(
        placed,
        context.rule_set,
        locate=zip_locator(),
        index=context.index,
        value_names=context.value_names,
    )
    owner_id = None
    turn = None
    territory = context.territories.get(result.territory_id or "")
    if territory is not None:
        primaries = [o for o in territory.owners if o.role.value == "primary"]
        if len(primaries) == 1:
            owner_id = primaries[0].rep_id
        elif primaries:
            with db.single_write() as connection:  # one atomic upsert: one round trip
                turn = take_routing_turn(connection, plan.id, territory.id)
            owner_id = pick_owner(primaries, turn - 1, method)
    owner_name = context.rep_names.get(owner_id) if owner_id else None
    notes: tuple[str, ...] = zip_notes
    if owner_id in context.inactive and territory is not None:
        notes += (f"{owner_name or owner_id}, owner of {territory.name}, is inactive",)
    if territory is None or result.gap:
        # routed to the catch-all, or nowhere: a ZIP that gave no county may be why, or a
        # ZIP in a county (a state) no rule names
        unknown = _unknown_zip_note(record)
        notes += unknown or _outside_plan_note(placed, plan.id, context.named_places)
    elif _sent_not_a_zip(placed):
        # placed by another field (state, industry): the postal code was still no ZIP
        notes += (_not_a_zip(placed.get("postal_code")),)
    unread = sorted(set(extra_fields) - _fields_read(context.rule_set)) if extra_fields else []
    if unread:
        # a misspelt field (postalCode, Industry) is kept as a custom one: say no rule reads it
        meant = sorted({_meant(f) for f in unread})
        notes += (
            f"{', '.join(unread)} "
            f"{'is not a lead field' if len(unread) == 1 else 'are not lead fields'} "
            f"and no rule of plan {plan.id} reads {'it' if len(unread) == 1 else 'them'} "
            f"(a misspelling of {' or '.join(meant)}, say?)",
        )
    overlays = []
    for match in result.overlays:
        place = context.territories.get(match.territory_id)
        first = next(
            (o.rep_id for o in (place.owners if place else ()) if o.role.value == "primary"), None
        )
        overlays.append(
            OverlayOwner(
                match.territory_id,
                place.name if place else None,
                match.role,
                match.rule_id,
                first,
                context.rep_names.get(first) if first else None,
            )
        )
        if place is not None and first is None:
            notes += (f"the overlay territory {place.name} has no owner yet",)
    return Routed(
        plan.id,
        result,
        owner_id,
        owner_name,
        turn,
        territory.name if territory else None,
        notes,
        tuple(overlays),
    )


def _routing_context(
    db: Database,
    target: RoutingTarget,
    cache: RoutingCache | None,
    version_rows: VersionRows | None = None,
) -> RoutingContext:
    def scopes() -> list[str]:
        with db.single_statement() as connection:
            return active_scopes(connection)

    if version_rows is None:
        with db.single_statement() as connection:
            version_rows = read_version_rows(connection, target)
    plan_id, plan_version, rules_version, data_version = routing_versions_from_rows(
        version_rows, target, scopes
    )
    # the data version: a re-import renames units or reps the explanations name
    key = (plan_id, plan_version, rules_version, data_version)
    if cache is not None and (cached := cache.get(key)) is not None:
        # Least recently used goes first: the active plans that route every lead stay, even
        # while other plans are routed by id. (Two threads may both do this: same entry.)
        cache.pop(key, None)
        cache[key] = cached
        return cached
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        stored = uow.rule_sets.get(plan_id, rules_version)
        owner_ids = {o.rep_id for t in plan.territories for o in t.owners}
        owners = [r for r in uow.reps.list() if r.id in owner_ids]
    rep_names = {r.id: r.name for r in owners}
    inactive = frozenset(r.id for r in owners if not r.active)
    with db.single_statement() as connection:
        value_names = geo_value_names(connection)
    if not value_names.get("county_fips"):
        # No counties stored (a CRM import alone): the bundled ones name them all the same.
        from terraplan.data.counties import load_counties

        value_names["county_fips"] = {u.id: f"{u.name}, {u.state}" for u in load_counties()}
    rule_set = load_rule_set(
        stored.document, territories=plan.territories, geographies=plan_geographies(plan)
    )
    value_names = {**value_names, **_parent_names(db, rule_set)}
    territories = {t.id: t for t in plan.territories}
    context = RoutingContext(
        plan,
        rule_set,
        rep_names,
        RuleIndex(rule_set),
        territories,
        value_names,
        inactive,
        _named_places(rule_set),
    )
    if cache is not None:
        # Only the newest version of each plan is worth keeping; the plans of several scopes
        # routed in turn each keep theirs (one entry in all made them reload each other's).
        for stale in [k for k in list(cache) if k[0] == plan_id]:
            cache.pop(stale, None)
        while len(cache) >= ROUTING_CACHE_PLANS:
            cache.pop(next(iter(list(cache))), None)
        cache[key] = context
    return context


def prepare_routing(db: Database, cache: RoutingCache) -> list[str]:
    """Load the rules of every active plan that has some into ``cache``, so that the first
    leads after a server starts do not wait for them (loading a plan's rules takes a while on
    a large plan, and leads queue behind it meanwhile). Returns the plan ids loaded."""
    with db.single_statement() as connection:
        plan_ids = active_plan_ids(connection)
    loaded = []
    for plan_id in plan_ids:
        try:
            _routing_context(db, RoutingTarget(plan_id=plan_id), cache)
        except NotFoundError:  # no rule set yet: routing with it says so when asked
            continue
        except TerraplanError as exc:
            # Rules that no longer load (a hand-written set the plan's edits left behind):
            # routing with this plan says why when asked; the other plans and the server
            # carry on.
            log.warning("the rules of active plan %s were not loaded: %s", plan_id, exc)
            continue
        loaded.append(plan_id)
    return loaded
