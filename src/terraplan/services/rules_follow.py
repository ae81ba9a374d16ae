"""A geo-aligned plan has two faces: its map (geo unit -> territory) and its ownership rules
(what activation applies and what routes leads). A design generates the rules from the map
(``county_fips in [...]`` or ``postal_code in [...]`` per territory) and plan edits keep such
generated rules in step with the map. Rules saved by hand are the planner's own: an edit never
rewrites them, and until they are applied the plan's accounts go where those rules send them
(:func:`pending_rules`, used by ``plans compare``), since that is what activation will do.
"""

from __future__ import annotations

from dataclasses import dataclass

from terraplan.domain import Plan, RecordKind
from terraplan.errors import NotFoundError
from terraplan.planning.plan_edits import EditablePlan
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services import rule_generation as generation
from terraplan.services.rule_generation import code_space_probe, generated_rules
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

__all__ = ["code_space_probe", "follows_map", "generated_rules", "regenerate_rules"]


def _name(document: str) -> str:
    """The ``name`` of a stored rule-set document (JSON; else parsed in full)."""
    import json

    try:
        data = json.loads(document)
    except ValueError:
        data = None
    if isinstance(data, dict):
        return str(data.get("name") or "")
    return load_rule_set(document).name or ""


def follows_map(state: EditablePlan, document: str) -> bool:
    """Does the stored rule-set ``document`` say what the plan's map generates (same rules,
    whatever its layout)? False for rules written or edited by hand."""
    return _generated_for(state, document) is not None or _same_rules(state, document)


def _generated_for(state: EditablePlan, document: str) -> generation.GeneratedRules | None:
    """The parts of ``document`` when it is, character for character, the text ``state``
    generates (kept from an earlier edit of this process, else built and kept)."""
    kept = generation.recall(document)
    if kept is not None:
        return kept if generation.follows(kept, state) else None
    built = generation.build(state, _name(document))
    if built is None or built.document != document:
        return None
    generation.remember(built)
    return built


def _same_rules(state: EditablePlan, document: str) -> bool:
    """The same rules as ``state`` generates, in another layout (e.g. saved as YAML)."""
    generated = generated_rules(state, _name(document))
    if generated is None:
        return False
    try:
        stored = load_rule_set(document)
    except Exception:  # a text that no longer loads is not a generated one
        return False
    return dump_rule_set(stored) == dump_rule_set(generated)


@dataclass(frozen=True, slots=True)
class RulesFollow:
    """What an edit did to the plan's rules: the new rule-set version (None: unchanged) and a
    note when hand-written rules were left as they are."""

    version: int | None = None
    note: str | None = None


def regenerate_rules(
    uow: UnitOfWork, plan: EditablePlan, *, by: str | None, before: EditablePlan
) -> RulesFollow:
    """Keep a generated rule set in step with the plan's map after an edit.

    Only a rule set that still says what the map generated before the edit (``before``) is
    rebuilt from the edited map, territory names and named-account pins, and stored as the
    next version when it reads differently. Rules saved by hand (even from an exported
    generated file) are never rewritten: the note says the edit does not reach them."""
    try:
        stored = uow.rule_sets.latest(plan.plan.id)
    except NotFoundError:
        return RulesFollow()
    kept = generation.recall(stored.document)
    name = kept.name if kept is not None else _name(stored.document)
    if not name.endswith("(generated)") or not plan.geo:
        return RulesFollow()
    # the text generated before the edit, as parts: only the territories the edit changed
    # are generated again (the text is the same as a full generation)
    previous = _generated_for(before, stored.document)
    if previous is None and not _same_rules(before, stored.document):
        return RulesFollow(
            note=(
                f"plan {plan.plan.id}'s rules (version {stored.version}) were saved by hand, "
                "so this edit of its map does not change them: activation routes accounts by "
                f"those rules (`terraplan rules export --plan {plan.plan.id}` shows them)"
            )
        )
    rebuilt = generation.build(plan, name, previous)
    if rebuilt is None:
        return RulesFollow()
    if rebuilt.document == stored.document:  # e.g. new owners: the rules read the same
        return RulesFollow()
    added = uow.rule_sets.add(
        plan.plan.id, rebuilt.document, plan_version=plan.plan.version, created_by=by
    )
    generation.remember(rebuilt)
    return RulesFollow(version=added.version)


def pending_rules(uow: UnitOfWork, plan: Plan) -> int | None:
    """The version of the plan's rules when they were saved after what its alignment shows and
    are not applied yet (a run of older rules, or hand-written rules beside a map); None when
    the alignment shows them. Active and archived plans show what was applied: None."""
    from terraplan.domain import PlanStatus

    if plan.status in (PlanStatus.ACTIVE, PlanStatus.ARCHIVED):
        return None
    try:
        stored = uow.rule_sets.latest(plan.id)
    except NotFoundError:
        return None
    run = uow.assignments.latest_run(plan.id)
    if run is not None and run.rule_set_version is not None:
        return stored.version if stored.version > run.rule_set_version else None
    if run is not None:
        return None
    if plan.alignment_map(RecordKind.GEO_UNIT):
        state = EditablePlan.of(plan)
        return None if follows_map(state, stored.document) else stored.version
    return stored.version


def pending_rules_note(plan: Plan, version: int) -> str:
    return (
        f"plan {plan.id}'s rules (version {version}) are not applied yet, so its accounts "
        "are counted where those rules send them, as its activation will"
    )


def rules_alignment(db: Database, plan: Plan) -> dict[str, str | None]:
    """``account id -> territory id`` by evaluating the plan's latest rules (and pins) on every
    stored account (of a scoped plan, in its scope), without writing (a gap the catch-all takes
    is in the catch-all; None for a conflict or an uncaught gap): where activation would put
    each account."""
    from terraplan.rules import assign_frame
    from terraplan.services.locations import zip_locator
    from terraplan.services.ownership import accounts_frame, plan_rule_set
    from terraplan.services.plan_scopes import narrow_to_scope

    with UnitOfWork(db) as uow:
        rule_set, _ = plan_rule_set(uow, plan)
    frame, _ = narrow_to_scope(db, accounts_frame(db), plan.scope)
    result, _ = assign_frame(frame, rule_set, locate=zip_locator())
    return {
        row["id"]: None if row["conflict"] else row["territory_id"]
        for row in result.select("id", "territory_id", "conflict").iter_rows(named=True)
    }


def stale_run_note(db: Database, plan_id: str) -> str | None:
    """For files written from the plan's latest rule run (the assignments, the owner update
    file): a note when its saved rules are newer than that run."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        version = pending_rules(uow, plan)
    if not version:
        return None
    return (
        f"plan {plan_id}'s rules (version {version}) are not applied yet: this file is its "
        "latest rule run; its activation applies them (`terraplan plans compare` shows where "
        "they send accounts)"
    )
