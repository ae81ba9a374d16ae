"""The stored facts behind "which territory is this account in": the plan's latest rule run and
the code space of its geo alignment, read once and handed to :mod:`terraplan.planning.alignment`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import replace
from typing import Protocol

import polars as pl

from terraplan.domain import AlignmentEntry, Plan, RecordKind
from terraplan.planning.alignment import (
    AccountAlignment,
    GeoCodeSpace,
    LocatedAccount,
    align_accounts,
    alignment_frame,
    declared_code_space,
    geo_code_space,
    geo_codes,
)
from terraplan.services.plan_scopes import ScopeFields, account_in_scope, scope_account_ids
from terraplan.storage import bulk
from terraplan.storage.plan_records import AssignmentRecord
from terraplan.storage.unit_of_work import UnitOfWork


class ScopedAccount(LocatedAccount, ScopeFields, Protocol):
    """What :func:`account_territory` reads of an account (``terraplan.domain.Account`` has
    it)."""


def latest_rule_run(uow: UnitOfWork, plan_id: str) -> dict[str, str | None]:
    """``account id -> territory id`` of the plan's latest rule run: a gap the catch-all took is
    in the catch-all territory (its reason to exist); None for a conflict or an uncaught gap.
    Empty when the plan's rules were never applied."""
    return {
        a.record_id: _run_territory(a)
        for a in uow.assignments.current(plan_id)
        if a.record_kind == "account"
    }


def _run_territory(record: AssignmentRecord) -> str | None:
    # "closed": where the rules put an account now closed (its past sales stay there)
    return record.territory_id if record.status in ("assigned", "gap", "closed") else None


def rule_run_with_pins(
    uow: UnitOfWork, plan_id: str, pins: Mapping[str, str]
) -> dict[str, str | None]:
    """The plan's latest rule run with the plan's named-account ``pins`` on top.

    A pin (``plans move --accounts``) is also stored in the plan's rule set as a named-account
    entry, which wins over every rule: the next ``rules apply`` puts the account where it is
    pinned. Until then the pin is the answer too, rather than the run from before the move.
    Empty when the rules were never applied (the pins then count as the named accounts)."""
    return _with_pins(latest_rule_run(uow, plan_id), pins)


def _with_pins(run: dict[str, str | None], pins: Mapping[str, str]) -> dict[str, str | None]:
    if not run:
        return run
    return run | {a: t for a, t in pins.items() if a in run}


def plan_code_space(uow: UnitOfWork, plan: Plan) -> GeoCodeSpace | None:
    """The code space of the plan's geo alignment (design parameters, else stored unit kinds)."""
    if not plan.alignment_map(RecordKind.GEO_UNIT):
        return None
    if "units" in plan.parameters:
        return geo_code_space(plan)
    frame = pl.from_arrow(bulk.read_arrow(uow.connection, "geo_units", ["id", "kind"]))
    assert isinstance(frame, pl.DataFrame)
    kinds = dict(zip(frame["id"].to_list(), frame["kind"].to_list(), strict=True))
    return geo_code_space(plan, kinds)


def plan_alignment(
    uow: UnitOfWork, plan: Plan, accounts: Iterable[LocatedAccount]
) -> AccountAlignment:
    """Which territory each account is in for the stored ``plan`` (one answer for every use
    case). A scoped plan aligns only the accounts of its scope: the others belong to the
    plans of their own part of the market, whatever its geography says."""
    inside = scope_account_ids(uow, plan.scope)
    if inside is not None:
        accounts = [a for a in accounts if a.id in inside]
    result = align_accounts(
        plan,
        accounts,
        assignments=rule_run_with_pins(uow, plan.id, plan.alignment_map(RecordKind.ACCOUNT)),
        code_space=plan_code_space(uow, plan),
    )
    if inside is None:
        return result
    return AccountAlignment(
        result.territory_of, _scoped(result.source, plan.scope), result.unaligned
    )


def account_territory(uow: UnitOfWork, plan: Plan, account: ScopedAccount) -> str | None:
    """The leaf territory one stored ``account`` is in for ``plan``: :func:`plan_alignment`
    for a single account. ``plan`` may be a header (``uow.plans.header``): only the rows about
    this account are read, its rule-run row, its pin and the geo units that could hold it
    (a plan of 30,000 ZIPs is not loaded to answer for one account). None when the plan
    leaves it unaligned or outside its scope."""
    if not account_in_scope(uow, plan.scope, account):
        return None
    record = uow.assignments.current_of(plan.id, "account", account.id)
    run = {} if record is None else {record.record_id: _run_territory(record)}
    space = declared_code_space(plan)
    if space is None:  # the stored units' kinds decide: the whole geo alignment is read
        plan = uow.plans.get(plan.id)
        space = plan_code_space(uow, plan)
    else:
        plan = replace(plan, alignment=_alignment_about(uow, plan.id, account))
    result = align_accounts(
        plan,
        [account],
        assignments=_with_pins(run, plan.alignment_map(RecordKind.ACCOUNT)),
        code_space=space,
    )
    return result.territory_of.get(account.id)


def _alignment_about(
    uow: UnitOfWork, plan_id: str, account: LocatedAccount
) -> tuple[AlignmentEntry, ...]:
    """The plan's alignment rows that can place ``account``: its pin and its geo codes."""
    found = []
    for kind, records in (
        (RecordKind.ACCOUNT, [account.id]),
        (RecordKind.GEO_UNIT, geo_codes(account)),
    ):
        rows = uow.plans.alignment_around(plan_id, kind, territories=(), records=records)
        found += [AlignmentEntry(kind, r, t) for r, t in sorted(rows.items())]
    return tuple(found)


def plan_alignment_frame(
    uow: UnitOfWork,
    plan: Plan,
    accounts: pl.DataFrame,
    *,
    in_scope: Collection[str] | None = None,
) -> tuple[pl.DataFrame, str]:
    """:func:`plan_alignment` as a frame ``account_id, territory_id`` and its source in words.
    ``in_scope``: the scoped plan's account ids when the caller has read them already."""
    inside = in_scope if in_scope is not None else scope_account_ids(uow, plan.scope)
    if inside is not None:
        accounts = accounts.filter(pl.col("id").cast(pl.String).is_in(sorted(inside)))
    frame, source = alignment_frame(
        plan,
        accounts,
        assignments=rule_run_with_pins(uow, plan.id, plan.alignment_map(RecordKind.ACCOUNT)),
        code_space=plan_code_space(uow, plan),
    )
    return frame, source if inside is None else _scoped(source, plan.scope)


def _scoped(source: str, scope: str | None) -> str:
    return f"{source}, over the accounts of its scope ({scope})"
