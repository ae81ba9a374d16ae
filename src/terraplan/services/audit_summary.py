"""The audit log in words: one sentence per entry, naming what it is about.

An entry stores what changed as data (``{"edit": {"op": "move_accounts", "accounts": [...],
"to": null}}``); people read "unpinned Pine Construction Group", "locked Banks County, GA",
"change request: move Adams County, CO to Territory 06". :func:`audit_summaries` gives those
sentences for a page of entries, looking the names up once for the page (territories by the
plan's current names, geo units, accounts, reps, plans); an id it cannot name is shown as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from terraplan.errors import NotFoundError
from terraplan.services.place_names import account_names, listed, rep_names, unit_names
from terraplan.services.plan_hierarchy import FROM_REPS
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork
from terraplan.storage.workflow import AuditEntry

#: Each action in words (an action not listed: its name with spaces).
ACTION_WORDS = {
    "edit": "edit",
    "undo": "undo",
    "redo": "redo",
    "status": "status change",
    "activate": "activation",
    "archive": "archived",
    "copy": "copy",
    "create": "new plan",
    "design": "design",
    "delete": "deletion",
    "comment": "comment",
    "change_request": "change request",
    "accept": "request accepted",
    "reject": "request rejected",
    "territory_notes": "territory notes",
    "add_territories": "territories added",
    "set_parents": "hierarchy change",
    "remove_territories": "territories removed",
    "save_rules": "rules saved",
    "match": "rep matching",
    "import": "import",
    "submit": "job started",
    "cancel": "job cancelled",
}

#: Verbs of an edit: (as proposed, as done).
_VERBS = {
    "move": ("move", "moved"),
    "take": ("take", "took"),
    "pin": ("pin", "pinned"),
    "unpin": ("unpin", "unpinned"),
    "lock": ("lock", "locked"),
    "unlock": ("unlock", "unlocked"),
    "rename": ("rename", "renamed"),
    "make": ("make", "made"),
    "leave": ("leave", "left"),
}

_STATUS_WORDS = {"in_review": "in review"}
#: Changes of a stored import mapping (:mod:`terraplan.services.import_mappings`).
_MAPPING_VERBS = {
    "mapping_created": "saved",
    "mapping_replaced": "replaced",
    "mapping_deleted": "deleted",
}
_SHOWN_BODY = 120


def action_words(action: str) -> str:
    """The action in words ("change request", not ``change_request``)."""
    return ACTION_WORDS.get(action, action.replace("_", " "))


@dataclass
class _Names:
    """Names for the ids a page of entries mentions."""

    territories: dict[str, dict[str, str]] = field(default_factory=dict)  # plan -> id -> name
    plans: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    reps: dict[str, str] = field(default_factory=dict)
    comments: dict[int, Any] = field(default_factory=dict)

    def territory(self, plan_id: str | None, territory_id: Any) -> str:
        tid = str(territory_id)
        return self.territories.get(plan_id or "", {}).get(tid, tid)

    def plan(self, plan_id: Any) -> str:
        return self.plans.get(str(plan_id), str(plan_id))


def _edits(edit: Any) -> list[Mapping[str, Any]]:
    """The steps of an edit (a batch's, in order)."""
    if not isinstance(edit, Mapping):
        return []
    if edit.get("op") == "batch":
        return [s for e in edit.get("edits") or [] for s in _edits(e)]
    return [edit]


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _proposal(entry: AuditEntry, names: _Names) -> Mapping[str, Any] | None:
    """The edit a change request proposed (stored with the entry, else with the request)."""
    after = entry.after or {}
    edit = after.get("edit")
    if isinstance(edit, Mapping):
        return edit
    comment_id = after.get("comment_id") if entry.action == "change_request" else entry.object_id
    comment = names.comments.get(_int(comment_id))
    proposed: Mapping[str, Any] | None = comment.proposed_edit if comment is not None else None
    return proposed


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _collect(uow: UnitOfWork, entries: Sequence[AuditEntry]) -> _Names:
    names = _Names()
    for entry in entries:
        if entry.action in ("accept", "reject") or (
            entry.action == "change_request" and "edit" not in (entry.after or {})
        ):
            comment_id = _int(
                entry.object_id
                if entry.action != "change_request"
                else (entry.after or {}).get("comment_id")
            )
            if comment_id >= 0 and comment_id not in names.comments:
                try:
                    names.comments[comment_id] = uow.comments.get(comment_id)
                except NotFoundError:
                    names.comments[comment_id] = None
    plans = {e.plan_id for e in entries if e.plan_id}
    plans |= {str((e.after or {}).get("based_on")) for e in entries if e.action == "copy"}
    units: set[str] = set()
    accounts: set[str] = set()
    reps: set[str] = set()
    for entry in entries:
        after = entry.after or {}
        steps = _edits(after.get("edit")) + _edits(_proposal(entry, names))
        for step in steps:
            units.update(_ids(step.get("units")))
            accounts.update(_ids(step.get("accounts")))
            reps.update(_ids(step.get("reps")))
        if entry.action in ("comment", "change_request") and entry.object_kind == "unit":
            units.add(str(entry.object_id))
        if entry.action in ("comment", "change_request") and entry.object_kind == "account":
            accounts.add(str(entry.object_id))
    for plan_id in plans:
        if not uow.plans.exists(plan_id):
            continue
        header = uow.plans.header(plan_id)
        names.plans[plan_id] = header.name
        names.territories[plan_id] = {t.id: t.name for t in header.territories}
    names.units = unit_names(uow, units)
    names.accounts = account_names(uow, accounts)
    names.reps = rep_names(uow, reps)
    return names


def _verb(word: str, done: bool) -> str:
    return _VERBS[word][1 if done else 0]


def describe_edit(edit: Any, names: _Names, plan_id: str | None, *, done: bool = True) -> str:
    """An edit in words: "moved Banks County, GA to Territory 06" (``done``) or "move …"."""
    said = []
    for step in _edits(edit):
        op = step.get("op")
        to = step.get("to")
        where = names.territory(plan_id, to) if to else None
        if op == "move_units":
            units = listed(names.units.get(u, u) for u in _ids(step.get("units")))
            said.append(
                f"{_verb('move', done)} {units} to {where}"
                if where
                else f"{_verb('take', done)} {units} out of their territory"
            )
        elif op == "move_accounts":
            accounts = listed(names.accounts.get(a, a) for a in _ids(step.get("accounts")))
            said.append(
                f"{_verb('pin', done)} {accounts} to {where}"
                if where
                else f"{_verb('unpin', done)} {accounts}"
            )
        elif op in ("lock", "unlock"):
            units = listed(names.units.get(u, u) for u in _ids(step.get("units")))
            said.append(f"{_verb(str(op), done)} {units}")
        elif op == "rename":
            now = names.territory(plan_id, step.get("territory"))
            new = str(step.get("name"))
            what = "a territory" if now == new else now
            said.append(f"{_verb('rename', done)} {what} to {new}")
        elif op == "set_owners":
            territory = names.territory(plan_id, step.get("territory"))
            reps = [names.reps.get(r, r) for r in _ids(step.get("reps"))]
            said.append(
                f"{_verb('make', done)} {listed(reps)} the "
                f"{'owner' if len(reps) == 1 else 'owners'} of {territory}"
                if reps
                else f"{_verb('leave', done)} {territory} without an owner"
            )
        elif op:
            said.append(str(op).replace("_", " "))
    return "; then ".join(said)


def _quoted(body: Any) -> str:
    text = " ".join(str(body or "").split())
    if len(text) > _SHOWN_BODY:
        text = text[: _SHOWN_BODY - 1] + "…"
    return f'"{text}"' if text else ""


def _about(entry: AuditEntry, names: _Names) -> str:
    """What a comment is on: " on Territory 06", " on Banks County, GA" ("" for the plan)."""
    kind, target = entry.object_kind, str(entry.object_id)
    if kind == "territory":
        return f" on {names.territory(entry.plan_id, target)}"
    if kind == "unit":
        return f" on {names.units.get(target, target)}"
    if kind == "account":
        return f" on {names.accounts.get(target, target)}"
    return ""


def _status(value: Any) -> str:
    return _STATUS_WORDS.get(str(value), str(value))


def summary(entry: AuditEntry, names: _Names) -> str:
    """One audit entry in words (see the module)."""
    before, after = entry.before or {}, entry.after or {}
    action, plan = entry.action, entry.plan_id
    extra = []
    if after.get("reason") and action not in ("add_territories",):
        extra.append(f"reason: {after['reason']}")
    if after.get("note"):
        extra.append(f"note: {after['note']}")
    tail = "".join(f"; {e}" for e in extra)
    if action in ("edit", "undo", "redo"):
        said = describe_edit(after.get("edit"), names, plan) or "an edit"
        return (f"{action}: {said}" if action != "edit" else said) + tail
    if action in ("comment", "change_request"):
        body = _quoted(after.get("body"))
        if action == "comment":
            return f"comment{_about(entry, names)}" + (f": {body}" if body else "")
        proposal = describe_edit(_proposal(entry, names), names, plan, done=False)
        return f"change request: {proposal or 'an edit'}" + (f" ({body})" if body else "")
    if action in ("accept", "reject"):
        proposal = describe_edit(_proposal(entry, names), names, plan, done=False)
        verb = "accepted" if action == "accept" else "rejected"
        return f"{verb} the change request" + (f": {proposal}" if proposal else "") + tail
    if action == "status":
        return f"{_status(before.get('status'))} → {_status(after.get('status'))}{tail}"
    if action == "activate":
        start = after.get("effective_from")
        return "activated" + (f", in force from {start}" if start else "") + tail
    if action == "archive":
        end = after.get("effective_to")
        return "archived" + (f", in force until {end}" if end else "") + tail
    if action == "copy":
        return f"copied from {names.plan(after.get('based_on'))} as {after.get('name')}"
    if action == "create":
        count = after.get("territories")
        return f"created {after.get('name')}" + (
            f" with {count} territories" if count is not None else ""
        )
    if action == "design":
        count = after.get("territories")
        return f"designed {after.get('name')}" + (
            f": {count} territories" if count is not None else ""
        )
    if action == "delete":
        return f"deleted {before.get('name') or names.plan(entry.object_id)}"
    if action == "territory_notes":
        fields = ", ".join(str(k).replace("_", " ") for k in after)
        territory = names.territory(plan, entry.object_id)
        return f"changed the notes of {territory}" + (f" ({fields})" if fields else "")
    if action == "add_territories":
        added = [names.territory(plan, t) for t in _ids(after.get("territories"))]
        if after.get("reason") == FROM_REPS:
            return f"added {listed(added)}: regions of the territories' reps"
        return f"added {listed(added)}: the rules route accounts there"
    if action == "set_parents":
        parents = after.get("parents") or {}
        placed = [
            f"{names.territory(plan, t)} under {names.territory(plan, p)}"
            if p
            else f"{names.territory(plan, t)} in no region"
            for t, p in parents.items()
        ]
        how = " by its reps' regions" if after.get("reason") == FROM_REPS else ""
        return f"placed {listed(placed)}{how}" if placed else "made regions of parents"
    if action == "remove_territories":
        gone = before.get("territories") or {}
        names_gone = [str(n) for n in gone.values()] if isinstance(gone, Mapping) else []
        return f"removed {listed(names_gone)}: no territory is under them any more"
    if action == "save_rules":
        return "saved the rules"
    if action == "match":
        moved = after.get("territories_with_new_owner")
        changed = after.get("accounts_changed_owner")
        return (
            f"matched reps to territories: {moved} got a new owner, {changed} accounts "
            "changed owner"
        )
    if action == "import":
        model = after.get("model")
        return "imported from Salesforce" + (f" (territory model {model})" if model else "")
    if action == "submit":
        return f"started a {str(after.get('kind', '')).replace('_', ' ')} job".replace("  ", " ")
    if action == "cancel":
        return "cancelled a job"
    if action in _MAPPING_VERBS:
        return f"{_MAPPING_VERBS[action]} the import mapping {entry.object_id!r}"
    return action_words(action) + tail


def audit_summaries(db: Database, entries: Iterable[AuditEntry]) -> list[str]:
    """:func:`summary` of each entry, in order (names looked up once for all)."""
    page = list(entries)
    if not page:
        return []
    with UnitOfWork(db) as uow:
        names = _collect(uow, page)
    return [summary(entry, names) for entry in page]
