"""Edit a plan's rule set as text (the web UI's rules view): read it as YAML, validate a text
with each problem placed at its line, save a text as the next rule-set version, audit the
coverage of a text against the stored accounts (gaps and conflicts, with where they are).

A save keeps the text as written (comments and layout included) once it has loaded against
the plan's territories and geographies; the save and its audit entry are one transaction.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from terraplan.domain import Plan, PlanStatus
from terraplan.errors import ConflictError, NotFoundError, RuleError
from terraplan.rules import RuleSet, load_rule_set
from terraplan.rules.positions import error_position
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: Statuses in which a plan's rules can no longer be changed.
FROZEN_STATUSES = frozenset({PlanStatus.ARCHIVED})


def rule_text(db: Database, plan_id: str) -> dict[str, Any]:
    """``{"version": int | None, "document": str}``: the latest rule set as YAML (a stored JSON
    document is shown as YAML; a YAML one as written), or an empty text when none is stored."""
    import yaml

    with UnitOfWork(db) as uow:
        uow.plans.get(plan_id)
        try:
            stored = uow.rule_sets.latest(plan_id)
        except NotFoundError:
            return {"version": None, "document": ""}
    document = stored.document
    if document.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            document = yaml.safe_dump(
                json.loads(document), sort_keys=False, allow_unicode=True, width=100
            )
    return {"version": stored.version, "document": document}


def _load(text: str, plan: Plan) -> RuleSet:
    from terraplan.services.ownership import plan_geographies

    return load_rule_set(text, territories=plan.territories, geographies=plan_geographies(plan))


def problem(text: str, error: RuleError) -> dict[str, Any]:
    """A rule error as ``{message, path, line, column}`` (line and column 1-based or None)."""
    where = error_position(text, error)
    return {
        "message": error.message,
        "path": error.details.get("path", ""),
        "line": where[0] if where else None,
        "column": where[1] if where else None,
    }


def validate_rule_text(db: Database, plan_id: str, text: str) -> dict[str, Any]:
    """``{"ok", "problems": [{message, path, line, column}], "rules", "overlays",
    "territories"}``; the parser stops at the first problem, so ``problems`` has at most one."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
    try:
        rule_set = _load(text, plan)
    except RuleError as error:
        return {
            "ok": False,
            "problems": [problem(text, error)],
            "rules": 0,
            "overlays": 0,
            "territories": 0,
        }
    return {
        "ok": True,
        "problems": [],
        "rules": len(rule_set.rules),
        "overlays": len(rule_set.overlays),
        "territories": len(rule_set.territories),
    }


def save_rule_text(db: Database, plan_id: str, text: str, *, by: str | None) -> int:
    """Store ``text`` as the plan's next rule-set version (RuleError, at the first problem, when
    it does not load; ConflictError for an archived plan); returns the version."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if plan.status in FROZEN_STATUSES:
            raise ConflictError(
                f"plan {plan_id} is {plan.status.value}: its rules can no longer change",
                details={"plan_id": plan_id, "status": plan.status.value},
            )
        _load(text, plan)
        stored = uow.rule_sets.add(plan_id, text, plan_version=plan.version, created_by=by)
        uow.audit.record(
            "save_rules",
            "rule_set",
            str(stored.version),
            actor=by,
            plan_id=plan_id,
            after={"version": stored.version, "characters": len(text)},
        )
        uow.commit()
    return stored.version


def audit_rule_text(
    db: Database, plan_id: str, text: str | None = None, *, lead_sample: int = 5000
) -> dict[str, Any]:
    """The coverage audit (:func:`terraplan.rules.audit_rule_set`) of ``text`` (default: the
    latest stored rule set) over the stored accounts and a sample of leads, as JSON-ready
    data, plus ``places``: the sampled gap and conflict accounts with name, state, county and
    coordinates (degrees), for the map."""
    from terraplan.rules import audit_rule_set
    from terraplan.services.locations import zip_locator
    from terraplan.services.ownership import accounts_frame

    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if text is None:
            text = uow.rule_sets.latest(plan_id).document
        leads = uow.leads.list(limit=lead_sample)
    rule_set = _load(text, plan)
    report = audit_rule_set(accounts_frame(db), rule_set, leads=leads or None, locate=zip_locator())
    accounts = report.accounts
    kinds = {i: "gap" for i in accounts.gap_ids} | {i: "conflict" for i in accounts.conflict_ids}
    with UnitOfWork(db) as uow:
        found = uow.accounts.list(any_of={"id": set(kinds)}) if kinds else []
    places = [
        {
            "kind": kinds[a.id],
            "id": a.id,
            "name": a.name,
            "state": a.state,
            "county_fips": a.county_fips,
            "postal_code": a.postal_code,
            "latitude": a.latitude,
            "longitude": a.longitude,
        }
        for a in found
    ]
    return {**report.to_dict(), "places": places}
