"""The lifecycle of a stored plan: its workflow steps (draft, in review, approved, back to
draft with a reason), the activation that archives the previous active plan of its scope and
applies its rules to every account (refused when the plan has no rule set or its rules leave
accounts unplaced), the counts an activation kept, and the deletion of a draft or archived
plan."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from terraplan.domain import Plan, PlanStatus
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.services.ownership import RuleApplication
from terraplan.services.plan_scopes import same_scope
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: No plan takes effect before this day (sales records do not go further back; earlier dates
#: are typing slips, and the day before the first must exist).
EARLIEST_START = date(1900, 1, 1)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def change_status(
    db: Database,
    plan_id: str,
    status: PlanStatus | str,
    *,
    version: int | None = None,
    by: str | None = None,
    effective_from: date | None = None,
    reason: str | None = None,
) -> Plan:
    """Move a plan through its workflow; activation goes through :func:`activate_plan`.

    Sending a plan in review or approved back to draft needs a ``reason`` (stored in the
    audit log); InvalidParameterError without one."""
    status = PlanStatus(status)
    if status is PlanStatus.ACTIVE:
        return activate_plan(db, plan_id, effective_from=effective_from, version=version, by=by)
    reason = (reason or "").strip() or None
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if (
            status is PlanStatus.DRAFT
            and plan.status in (PlanStatus.IN_REVIEW, PlanStatus.APPROVED)
            and reason is None
        ):
            raise InvalidParameterError(
                f"plan {plan_id} is {plan.status.value.replace('_', ' ')}: give a reason to send "
                "it back to draft (--reason TEXT)",
                details={"field": "reason", "plan_id": plan_id, "status": plan.status.value},
            )
        if version is not None:
            plan = replace(plan, version=version)
        saved = uow.plans.save(plan.transition(status, by=by, at=_now()))
        after: dict[str, Any] = {"status": saved.status.value, "version": saved.version}
        if reason is not None:
            after["reason"] = reason
        uow.audit.record(
            "status", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"status": plan.status.value, "version": plan.version},
            after=after,
        )  # fmt: skip
        uow.commit()
    return saved


def reopen_reasons(db: Database, plan_id: str) -> list[tuple[datetime, str | None, str]]:
    """``(when, who, reason)`` of each time the plan was sent back to draft, oldest first."""
    with UnitOfWork(db) as uow:
        entries = uow.audit.list(plan_id=plan_id, action="status", limit=5_000)
    return [
        (e.at, e.actor, str(e.after["reason"]))
        for e in entries
        if e.after and e.after.get("status") == "draft" and e.after.get("reason")
    ]


def activation_problems(
    plan: Plan,
    application: RuleApplication,
    account_names: Mapping[str, str | None] | None = None,
    without_location: Collection[str] = (),
) -> list[str]:
    """Why the plan cannot be activated (empty when it can), from its rules evaluated on
    every account: for a whole-market plan, accounts in no territory; for a scoped plan, no
    account in any territory. ``account_names``: id -> name, for the accounts named as
    examples. ``without_location``: accounts with no US location (abroad, or no address),
    which no geographic rule can place: left in no territory, they keep their owners (a
    real CRM export always holds a few; one of them must not block every plan)."""
    records = [r for r in application.records if r.status != "closed"]
    uncovered = [r.record_id for r in records if r.territory_id is None]
    if plan.scope is not None:
        # A plan of one part of the market leaves the other accounts to the other plans.
        if len(uncovered) == len(records) and (records or application.outside_scope):
            outside = (
                f" (the {application.outside_scope:,} account(s) outside {plan.scope} stay "
                "with the plans of their own part of the market)"
                if application.outside_scope
                else ""
            )
            return [f"plan {plan.id} ({plan.scope}) puts no account in a territory{outside}"]
        return []
    if not records:
        return []
    names = account_names or {}

    def sample(ids: list[str]) -> str:
        return ", ".join(f"{names[a]} ({a})" if names.get(a) else a for a in ids[:3])

    reopen = (
        f"reopen the plan (`terraplan plans status {plan.id} reopen --reason ...`), "
        if plan.status is not PlanStatus.DRAFT
        else ""
    )
    again = ", then review and activate it again" if reopen else ", then activate"
    conflicts = [r.record_id for r in records if r.territory_id is None and r.status == "conflict"]
    unplaceable = set(without_location)
    gaps = [
        r.record_id
        for r in records
        if r.territory_id is None and r.status != "conflict" and r.record_id not in unplaceable
    ]
    reasons = []
    if conflicts:
        reasons.append(
            f"{len(conflicts):,} account(s) are claimed by two rules of the same priority and "
            f"order (e.g. {sample(conflicts)}; `terraplan rules check` names the rules): "
            f"{reopen}give one of them an `order` or set `tie_breaker: rule_position`{again}"
        )
    if gaps:
        reasons.append(
            f"{len(gaps):,} account(s) match no rule and there is no catch-all territory "
            f"(e.g. {sample(gaps)}): {reopen}add rules or a catch-all territory{again}"
        )
    elif not conflicts and all(r.territory_id is None for r in records):
        # A few accounts abroad must not block a plan; a plan that places none of its
        # accounts (rules that test another code than the accounts carry) is no plan.
        unplaced = [r.record_id for r in records]
        reasons.append(
            f"plan {plan.id} puts none of the {len(records):,} accounts in a territory: they "
            f"have no US location (e.g. {sample(unplaced)}) and no rule places them: "
            f"{reopen}write rules on their postal codes (`in_geography` for custom areas) "
            f"or a catch-all territory{again}"
        )
    return reasons


def _without_location(db: Database, application: RuleApplication) -> set[str]:
    """The accounts the rules leave in no territory (not for a conflict) that have no US
    location: no county and no US ZIP (an address abroad, or none)."""
    from sqlalchemy import select

    from terraplan.rules.fields import is_us, zip5
    from terraplan.storage.orm import AccountRow

    gaps = {
        r.record_id
        for r in application.records
        if r.status not in ("closed", "conflict") and r.territory_id is None
    }
    if not gaps:
        return set()
    with db.connect() as connection:
        rows = connection.execute(
            select(
                AccountRow.id, AccountRow.county_fips, AccountRow.postal_code, AccountRow.country
            )
        ).all()
    return {
        account_id
        for account_id, county, postal, country in rows
        if account_id in gaps and not county and (zip5(postal) is None or not is_us(country))
    }


def _uncovered_names(
    db: Database, application: RuleApplication, without_location: Collection[str] = ()
) -> dict[str, str | None]:
    """Names of the first accounts the rules leave in no territory (the examples shown;
    the accounts with no US location are not examples of a gap)."""
    from sqlalchemy import select

    from terraplan.storage.orm import AccountRow

    skipped = set(without_location)
    uncovered = [
        r
        for r in application.records
        if r.status != "closed" and r.territory_id is None and r.record_id not in skipped
    ]
    # the first three of each kind shown (conflicts, gaps)
    ids = [r.record_id for r in uncovered if r.status == "conflict"][:3]
    ids += [r.record_id for r in uncovered if r.status != "conflict"][:3]
    if not ids:
        return {}
    with db.connect() as connection:
        rows = connection.execute(
            select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_(ids))
        ).all()
    return {account_id: name for account_id, name in rows}


def activate_plan(
    db: Database,
    plan_id: str,
    *,
    effective_from: date | None = None,
    version: int | None = None,
    by: str | None = None,
) -> Plan:
    """Activate an approved plan from ``effective_from`` (default today); the previous active plan
    of the same scope is archived with ``effective_to`` the day before (plans of other scopes stay
    active), and the plan's rules are applied to every account (owners follow its primary reps).
    Refused (ConflictError) when the plan has no rule set or, for a whole-market plan, leaves
    accounts without a territory."""
    with UnitOfWork(db) as uow:
        current = uow.plans.get(plan_id)
    current.transition(PlanStatus.ACTIVE)  # a step the status does not allow is refused first
    if version is not None and version != current.version:
        with UnitOfWork(db) as uow:
            raise uow.plans.stale(plan_id, current.version, version)
    # The rules are evaluated first (reads only, the same evaluation that is written below);
    # the activation, the archived predecessor, the accounts' territories and owners and the
    # ownership history are then written in one transaction, so a failure leaves the
    # previous plan active and every account as it was.
    from terraplan.services.ownership import evaluate_rules, write_rule_application
    from terraplan.services.ownership_periods import record_plan_owners

    try:
        application = evaluate_rules(db, plan_id)
    except NotFoundError as exc:
        if exc.details.get("kind") != "rule_sets":
            raise
        raise ConflictError(
            f"plan {plan_id} cannot be activated: plan {plan_id} has no rule set: routing would "
            f"fail (run `terraplan rules save FILE --plan {plan_id}`)",
            details={"plan_id": plan_id, "problems": ["no rule set"]},
        ) from None
    without_location = _without_location(db, application) if current.scope is None else set()
    problems = activation_problems(
        current, application, _uncovered_names(db, application, without_location), without_location
    )
    if problems:
        raise ConflictError(
            f"plan {plan_id} cannot be activated: {problems[0]}",
            details={"plan_id": plan_id, "problems": problems},
        )
    start = effective_from or date.today()
    if start < EARLIEST_START:
        raise InvalidParameterError(
            f"effective_from {start} is too early: a plan takes effect from "
            f"{EARLIEST_START} at the earliest",
            details={"field": "effective_from", "value": start.isoformat()},
        )
    now = _now()
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if version is not None:
            plan = replace(plan, version=version)
        activated = replace(plan.transition(PlanStatus.ACTIVE, by=by, at=now), effective_from=start)
        for row in uow.plans.list(status=PlanStatus.ACTIVE):
            if row.id == plan_id or not same_scope(row.scope, plan.scope):
                continue
            previous = uow.plans.get(row.id)
            if previous.effective_from is not None and start < previous.effective_from:
                # The plan it replaces would end before it began: history is not rewritten.
                raise ConflictError(
                    f"plan {plan_id} cannot take effect on {start}: plan {previous.id} "
                    f"({previous.name}) is in force from {previous.effective_from}; take "
                    f"effect on {previous.effective_from} or later",
                    details={"plan_id": plan_id, "effective_from": start.isoformat(),
                             "active_plan_id": previous.id,
                             "earliest": previous.effective_from.isoformat()},
                )  # fmt: skip
            end = max(start - timedelta(days=1), previous.effective_from or date.min)
            archived = replace(
                previous.transition(PlanStatus.ARCHIVED, by=by, at=now), effective_to=end
            )
            if previous.effective_from is not None and start <= previous.effective_from:
                # Replaced on its first day: its owners of that day are replaced too, so it
                # was never in force (it read "in force 2026-12-06 to 2026-12-06" beside
                # the plan in force from that day).
                archived = replace(archived, effective_from=None, effective_to=None)
            try:
                uow.plans.save(archived)
            except ConflictError:
                # the plan it replaces changed meanwhile: another activation of this scope
                # ran at the same moment (say it about the plan the caller activates)
                raise ConflictError(
                    f"plan {plan_id} was not activated: plan {previous.id} ({previous.name}), "
                    "which it replaces, changed at the same moment (another activation?); "
                    "reload and try again",
                    details={"plan_id": plan_id, "changed_plan_id": previous.id},
                ) from None
            uow.audit.record(
                "archive", "plan", row.id, actor=by, plan_id=row.id,
                before={"status": "active"},
                after={"status": "archived"}
                | ({"effective_to": end.isoformat()} if archived.effective_to else
                   {"never_in_force": True, "replaced_on": start.isoformat()}),
            )  # fmt: skip
        saved = uow.plans.save(activated)
        # Accounts and their owners follow the plan that is now active, and who owns what
        # from its first day is recorded (effective-dated: the previous owners' periods end
        # the day before).
        applied = write_rule_application(uow, replace(application, plan=saved))
        uow.audit.record(
            "activate", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"status": plan.status.value},
            after={"status": "active", "effective_from": start.isoformat(), "scope": plan.scope,
                   "accounts_placed": applied.run.records - applied.run.gaps,
                   # no rule placed them, the catch-all took them (a gap with a territory)
                   "accounts_in_catch_all": sum(
                       r.status == "gap" and r.territory_id is not None
                       for r in application.records
                   ),
                   "owner_changes": applied.run.owner_changes,
                   # no US location: in no territory, they keep their owners
                   "accounts_without_location": len(without_location)},
        )  # fmt: skip
        record_plan_owners(uow, saved, start)
        uow.commit()
    if start <= date.today():
        # Targets set before this activation gave the months begun to the owners of the
        # day then (the CRM's): the months from ``start`` are now its owners'.
        from terraplan.services.target_resplit import resplit_rep_targets

        resplit_rep_targets(db, plan_id, by=by)
    return saved


class ActivationCounts(NamedTuple):
    """What a plan's activation did: accounts its rules placed, accounts whose owner changed,
    accounts no rule placed that went to the catch-all territory, and accounts with no US
    location left in no territory (they keep their owners)."""

    placed: int
    owner_changes: int
    in_catch_all: int = 0
    without_location: int = 0


def activation_counts(db: Database, plan_id: str) -> ActivationCounts | None:
    """The counts of the plan's latest activation, as its audit entry keeps them (None: not
    activated, or before the entry kept them)."""
    with UnitOfWork(db) as uow:
        done = uow.audit.list(plan_id=plan_id, action="activate", limit=1, newest_first=True)
    after = (done[0].after or {}) if done else {}
    if "owner_changes" not in after:
        return None
    return ActivationCounts(
        int(after["accounts_placed"]),
        int(after["owner_changes"]),
        int(after.get("accounts_in_catch_all", 0)),
        int(after.get("accounts_without_location", 0)),
    )


def delete_plan(db: Database, plan_id: str, *, by: str | None = None) -> None:
    """Delete a draft or archived plan with its results (an active plan cannot be deleted)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if plan.status in (PlanStatus.ACTIVE, PlanStatus.APPROVED, PlanStatus.IN_REVIEW):
            raise ConflictError(
                f"plan {plan_id} is {plan.status.value.replace('_', ' ')}; only draft or archived "
                "plans can be deleted",
                details={"plan_id": plan_id, "status": plan.status.value},
            )
        uow.targets.delete_where({"plan_id": plan_id})
        uow.records("acquisition_costs").delete_where({"plan_id": plan_id})
        uow.plans.delete(plan_id)
        uow.audit.record(
            "delete", "plan", plan_id, actor=by, plan_id=plan_id,
            before={"status": plan.status.value, "name": plan.name},
        )  # fmt: skip
        uow.commit()
