"""Manual edits of a draft plan, each with its inverse (for undo) and the territories it
touches.

Their effect on the territories is :mod:`terraplan.planning.territory_effects`.

An edit is a small JSON-ready mapping so that a history of them can be stored with the plan:

- ``{"op": "move_units", "units": [...], "to": "T03"}``: geo units to a leaf territory;
- ``{"op": "move_accounts", "accounts": [...], "to": "T03"}``: pin named accounts to a
  territory (``"to": null`` unpins them: they follow geography again);
- ``{"op": "rename", "territory": "T03", "name": "Bay Area"}``;
- ``{"op": "set_owners", "territory": "T03", "reps": ["R07"]}``: its primary reps;
- ``{"op": "lock", "units": [...]}`` / ``{"op": "unlock", "units": [...]}``: a locked unit
  cannot be moved (by hand or by a realignment that starts from this plan).

Every field is required and no other is taken (:func:`parse_edit`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from terraplan.domain import (
    AlignmentEntry,
    OwnerRole,
    Plan,
    RecordKind,
    TerritoryOwner,
)
from terraplan.errors import ConflictError, InvalidParameterError, NotFoundError
from terraplan.rules.parse import MAX_NAME_LENGTH

Edit = dict[str, Any]

LOCKED = "locked_units"
#: Each edit's fields besides ``op``; every one is required (``to`` may be null).
FIELDS: Mapping[str, tuple[str, ...]] = {
    "move_units": ("units", "to"),
    "move_accounts": ("accounts", "to"),
    "rename": ("territory", "name"),
    "set_owners": ("territory", "reps"),
    "lock": ("units",),
    "unlock": ("units",),
}
_OPS = tuple(FIELDS)


@dataclass(frozen=True, slots=True)
class EditablePlan:
    """A plan as an edit sees it: its header (territories, parameters, version; ``alignment``
    is not read) and its alignment as two maps, record id -> leaf territory id.

    Built from storage without an :class:`AlignmentEntry` per record, so that an edit of a
    plan of 40,000 ZIPs costs what the edit changes, not what the plan holds.
    """

    plan: Plan
    geo: Mapping[str, str]
    accounts: Mapping[str, str]

    @classmethod
    def of(cls, plan: Plan) -> EditablePlan:
        return cls(
            replace(plan, alignment=()),
            plan.alignment_map(RecordKind.GEO_UNIT),
            plan.alignment_map(RecordKind.ACCOUNT),
        )

    def alignment_map(self, kind: RecordKind) -> Mapping[str, str]:
        return self.geo if kind is RecordKind.GEO_UNIT else self.accounts

    def to_plan(self) -> Plan:
        """The full domain plan (validated; costs one entry object per record)."""
        entries = [AlignmentEntry(RecordKind.GEO_UNIT, r, t) for r, t in self.geo.items()]
        entries.extend(AlignmentEntry(RecordKind.ACCOUNT, r, t) for r, t in self.accounts.items())
        return self.plan.with_alignment(entries)


#: An alignment change: (record kind, record id) -> its new territory, None for none.
Changes = dict[tuple[RecordKind, str], str | None]


@dataclass(frozen=True, slots=True)
class EditOutcome:
    """The edited plan, the edit that undoes it, the territories whose content changed, and
    what a store must write: the alignment ``changes``, the ``territories`` whose name or
    owners changed, and whether the plan's parameters (its locks) changed."""

    state: EditablePlan
    inverse: Edit
    affected: tuple[str, ...]
    changes: Changes = field(default_factory=dict)
    territories: tuple[str, ...] = ()
    parameters_changed: bool = False

    @property
    def plan(self) -> Plan:
        return self.state.to_plan()


def locked_units(plan: Plan) -> set[str]:
    value = plan.parameters.get(LOCKED) or []
    return {str(u) for u in value} if isinstance(value, list | tuple) else set()


def _ids(edit: Edit, key: str) -> list[str]:
    value = edit.get(key)
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise InvalidParameterError(
            f"{edit.get('op')}: '{key}' must be a non-empty list of ids",
            details={"field": key},
        )
    return list(dict.fromkeys(value))


#: How deep batches may nest (undo of an undo of a batch...) and how many steps one edit
#: may hold in all: beyond them an edit is refused before it is stored or applied.
MAX_BATCH_DEPTH = 8
MAX_EDIT_STEPS = 10_000


def parse_edit(edit: object) -> Edit:
    """Check an edit's shape before it touches a plan, so that a misspelt field is refused
    rather than read as absent (``"owners"`` for ``"reps"`` would have emptied the owners).

    Every field of the op is required and no other field is allowed; a ``batch`` (what undo
    stores) is checked step by step. Returns the edit as a plain dict. Whether the ids exist
    is the caller's question (it needs the stored data).
    """
    return _parse_edit(edit, 0, [0])


def _parse_edit(edit: object, depth: int, count: list[int]) -> Edit:
    count[0] += 1  # steps seen so far, over the whole edit
    if count[0] > MAX_EDIT_STEPS:
        raise InvalidParameterError(
            f"an edit holds at most {MAX_EDIT_STEPS:,} steps", details={"field": "edits"}
        )
    if not isinstance(edit, Mapping):
        raise InvalidParameterError(
            "an edit is an object with an 'op' field", details={"field": "edit"}
        )
    op = edit.get("op")
    if op == "batch":
        steps = edit.get("edits")
        extra = sorted(str(k) for k in set(edit) - {"op", "edits"})
        if not isinstance(steps, list | tuple) or not steps or extra:
            raise InvalidParameterError(
                "batch: 'edits' must be a non-empty list of edits, and nothing else",
                details={"field": extra[0] if extra else "edits"},
            )
        if depth >= MAX_BATCH_DEPTH:
            raise InvalidParameterError(
                f"batches nest at most {MAX_BATCH_DEPTH} deep", details={"field": "edits"}
            )
        return {"op": "batch", "edits": [_parse_edit(step, depth + 1, count) for step in steps]}
    if not isinstance(op, str) or op not in FIELDS:
        raise InvalidParameterError(
            f"unknown edit {op!r}; use one of {', '.join(_OPS)}", details={"field": "op"}
        )
    fields = FIELDS[op]
    takes = f"{op} takes {', '.join(repr(f) for f in fields)}"
    unknown = sorted(str(k) for k in edit if k != "op" and k not in fields)
    if unknown:
        raise InvalidParameterError(
            f"{op}: unknown field {', '.join(repr(k) for k in unknown)} ({takes})",
            details={"field": unknown[0], "op": op},
        )
    missing = [f for f in fields if f not in edit]
    if missing:
        raise InvalidParameterError(
            f"{op}: {', '.join(repr(f) for f in missing)} is missing ({takes})",
            details={"field": missing[0], "op": op},
        )
    return dict(edit)


def _leaf(plan: Plan, territory_id: object) -> str:
    leaves = {t.id for t in plan.leaves()}
    if not isinstance(territory_id, str) or territory_id not in leaves:
        known = {t.id for t in plan.territories}
        reason = "is not a leaf territory" if territory_id in known else "does not exist"
        raise NotFoundError(
            f"territory {territory_id!r} {reason} in plan {plan.id}",
            details={"kind": "territories", "id": str(territory_id), "plan_id": plan.id},
        )
    return territory_id


def _state(plan: Plan | EditablePlan) -> EditablePlan:
    return plan if isinstance(plan, EditablePlan) else EditablePlan.of(plan)


def apply_edit(plan: Plan | EditablePlan, edit: Mapping[str, Any]) -> EditOutcome:
    """Apply one edit to ``plan`` (not stored; the version is left to the caller)."""
    state = _state(plan)
    header = state.plan
    edit = parse_edit(edit)
    op = edit["op"]
    inverse: Edit
    if op == "batch":
        return apply_edits(state, edit)
    if op in ("move_units", "move_accounts"):
        # "to": null takes units out of the alignment and unpins accounts (undo needs both).
        target = edit.get("to")
        to = None if target is None else _leaf(header, target)
        if op == "move_units":
            return _move(state, RecordKind.GEO_UNIT, _ids(edit, "units"), to)
        return _move(state, RecordKind.ACCOUNT, _ids(edit, "accounts"), to)
    if op == "rename":
        territory = header.territory(_territory(header, edit))
        name = edit.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(
                "rename: 'name' must be a non-empty text", details={"field": "name"}
            )
        if len(name.strip()) > MAX_NAME_LENGTH:
            raise InvalidParameterError(
                f"rename: a territory name is at most {MAX_NAME_LENGTH} characters "
                f"(this one has {len(name.strip()):,})",
                details={"field": "name", "limit": MAX_NAME_LENGTH},
            )
        renamed = replace(territory, name=name.strip())
        inverse = {"op": "rename", "territory": territory.id, "name": territory.name}
        edited = replace(state, plan=_with_territory(header, renamed))
        return EditOutcome(edited, inverse, (), territories=(territory.id,))
    if op == "set_owners":
        territory = header.territory(_territory(header, edit))
        reps = edit["reps"]
        if not isinstance(reps, list | tuple) or not all(isinstance(r, str) for r in reps):
            raise InvalidParameterError(
                "set_owners: 'reps' must be a list of rep ids ([] leaves it vacant)",
                details={"field": "reps"},
            )
        others = tuple(o for o in territory.owners if o.role is not OwnerRole.PRIMARY)
        owners = tuple(TerritoryOwner(r) for r in dict.fromkeys(reps)) + others
        inverse = {
            "op": "set_owners",
            "territory": territory.id,
            "reps": list(territory.primary_owner_ids),
        }
        edited = replace(state, plan=_with_territory(header, replace(territory, owners=owners)))
        return EditOutcome(edited, inverse, (), territories=(territory.id,))
    units = _ids(edit, "units")
    locked = locked_units(header)
    if op == "lock":
        changed = [u for u in units if u not in locked]
        after = sorted(locked | set(units))
        inverse = {"op": "unlock", "units": changed} if changed else {"op": "lock", "units": units}
    else:
        changed = [u for u in units if u in locked]
        after = sorted(locked - set(units))
        inverse = {"op": "lock", "units": changed} if changed else {"op": "unlock", "units": units}
    edited = replace(state, plan=replace(header, parameters={**header.parameters, LOCKED: after}))
    return EditOutcome(edited, inverse, (), parameters_changed=True)


def _territory(plan: Plan, edit: Mapping[str, Any]) -> str:
    territory_id = edit.get("territory")
    if not isinstance(territory_id, str) or territory_id not in {t.id for t in plan.territories}:
        raise NotFoundError(
            f"territory {territory_id!r} does not exist in plan {plan.id}",
            details={"kind": "territories", "id": str(territory_id), "plan_id": plan.id},
        )
    return territory_id


def _with_territory(plan: Plan, territory: Any) -> Plan:
    return replace(
        plan,
        territories=tuple(territory if t.id == territory.id else t for t in plan.territories),
    )


def _move(state: EditablePlan, kind: RecordKind, ids: list[str], to: str | None) -> EditOutcome:
    current = state.alignment_map(kind)
    if kind is RecordKind.GEO_UNIT:
        locked = sorted(set(ids) & locked_units(state.plan))
        if locked:
            raise locked_refusal(state.plan.id, locked)
    # The inverse puts each record back where it was, grouped by its old territory.
    by_old: dict[str | None, list[str]] = {}
    for record in ids:
        by_old.setdefault(current.get(record), []).append(record)
    affected = {t for t in by_old if t is not None} | ({to} if to else set())
    after = dict(current)
    changes: Changes = {}
    for record in ids:
        if current.get(record) == to:
            continue
        changes[(kind, record)] = to
        if to is None:
            after.pop(record, None)
        else:
            after[record] = to
    field_name = "units" if kind is RecordKind.GEO_UNIT else "accounts"
    op = "move_units" if kind is RecordKind.GEO_UNIT else "move_accounts"
    steps = [{"op": op, field_name: records, "to": old} for old, records in by_old.items()]
    inverse: Edit = steps[0] if len(steps) == 1 else {"op": "batch", "edits": steps}
    edited = (
        replace(state, geo=after) if kind is RecordKind.GEO_UNIT else replace(state, accounts=after)
    )
    return EditOutcome(edited, inverse, tuple(sorted(affected)), changes)


def locked_refusal(
    plan_id: str, units: Sequence[str], names: Mapping[str, str] | None = None
) -> ConflictError:
    """The refusal to move locked ``units``, naming them (``names``: id -> "Banks County, GA";
    an id without a name is shown as is): the first five, then how many more."""
    shown = [(names or {}).get(u) or u for u in units]
    if len(shown) == 1:
        said = f"{shown[0]} is locked; unlock it first"
    else:
        head = ", ".join(shown[:5]) if len(shown) > 5 else ", ".join(shown[:-1])
        tail = f"{len(shown) - 5:,} more" if len(shown) > 5 else shown[-1]
        said = f"{head} and {tail} are locked; unlock them first"
    return ConflictError(
        f"{said} (`terraplan plans lock {plan_id} {','.join(units)} --unlock`)",
        details={"units": list(units)},
    )


def apply_edits(
    plan: Plan | EditablePlan, edits: Sequence[Mapping[str, Any]] | Mapping[str, Any]
) -> EditOutcome:
    """Apply one edit or a ``{"op": "batch", "edits": [...]}`` of them, in order."""
    if isinstance(edits, Mapping) and edits.get("op") != "batch":
        return apply_edit(plan, edits)
    state = _state(plan)
    steps = parse_edit(edits)["edits"] if isinstance(edits, Mapping) else edits
    inverses: list[Edit] = []
    affected: set[str] = set()
    changes: Changes = {}
    territories: set[str] = set()
    parameters_changed = False
    for step in steps:
        outcome = apply_edits(state, step)
        state = outcome.state
        inverses.insert(0, outcome.inverse)
        affected.update(outcome.affected)
        changes.update(outcome.changes)
        territories.update(outcome.territories)
        parameters_changed = parameters_changed or outcome.parameters_changed
    inverse = inverses[0] if len(inverses) == 1 else {"op": "batch", "edits": inverses}
    return EditOutcome(
        state,
        inverse,
        tuple(sorted(affected)),
        changes,
        tuple(sorted(territories)),
        parameters_changed,
    )
