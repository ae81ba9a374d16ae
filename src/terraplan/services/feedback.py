"""Feedback on a plan: comments, change requests that a planner accepts or rejects, the audit log."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from terraplan.domain import Plan, RecordKind
from terraplan.errors import InvalidParameterError, NotFoundError, RateLimitedError
from terraplan.planning.plan_edits import parse_edit
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork
from terraplan.storage.workflow import AuditEntry, Comment

TARGETS = ("plan", "territory", "move", "unit", "account")
MAX_BODY = 10_000


def _check(body: str, target_kind: str, target_id: str | None = None) -> str:
    text = (body or "").strip()
    # Only control characters (a NUL, a tab...) is no more text than blanks.
    if not any(ch.isprintable() and not ch.isspace() for ch in text):
        raise InvalidParameterError("a comment needs some text", details={"field": "body"})
    if len(text) > MAX_BODY:
        raise InvalidParameterError(
            f"a comment is at most {MAX_BODY:,} characters", details={"field": "body"}
        )
    if target_kind not in TARGETS:
        raise InvalidParameterError(
            f"comments go on a {', '.join(TARGETS)}; not {target_kind!r}",
            details={"field": "target_kind"},
        )
    if target_kind == "plan" and target_id is not None:
        raise InvalidParameterError(
            "a comment on the plan as a whole has no target_id: leave it out, or name what it "
            "is about with target_kind (territory, move, unit, account)",
            details={"field": "target_id"},
        )
    return text


@dataclass(frozen=True, slots=True)
class Concerns:
    """What a comment or change request is about, beyond the plan itself: territories (named,
    or holding the units it names) and accounts. Who may read or write it depends on them."""

    territories: frozenset[str] = frozenset()
    accounts: frozenset[str] = frozenset()
    #: It names a unit aligned to no territory, or something the plan does not hold: no
    #: territory's owner holds it, so only planners and admins see it.
    unplaced: bool = False
    #: Reps it would make owners (``set_owners``): a requester names only reps they see.
    reps: frozenset[str] = frozenset()
    #: The geo units it names (moved, or commented on) with the territory each is in.
    units: frozenset[tuple[str, str]] = frozenset()
    #: The operations of its proposed edit (batches included); empty for a comment.
    ops: frozenset[str] = frozenset()
    #: ``(from territory, to territory)`` of each unit its edit moves.
    moves: frozenset[tuple[str, str]] = frozenset()


def concerns(
    plan: Plan,
    target_kind: str,
    target_id: str | None,
    proposed_edit: Mapping[str, Any] | None = None,
) -> Concerns:
    """The territories and accounts a comment on ``target_kind``/``target_id`` (and its proposed
    edit, batches included) names; a unit counts as the territory it is aligned to, and a
    unit aligned to none (or a target the plan does not hold) marks it ``unplaced``."""
    unit_territory = {
        e.record_id: e.territory_id for e in plan.alignment if e.record_kind is RecordKind.GEO_UNIT
    }
    territory_ids = {t.id for t in plan.territories}
    territories: set[str] = set()
    accounts: set[str] = set()
    reps: set[str] = set()
    named_units: set[tuple[str, str]] = set()
    ops: set[str] = set()
    moves: set[tuple[str, str]] = set()
    unplaced = False

    def units(ids: object) -> None:
        nonlocal unplaced
        if isinstance(ids, list | tuple):
            placed = [(u, unit_territory[u]) for u in ids if u in unit_territory]
            named_units.update(placed)
            territories.update(t for _, t in placed)
            unplaced = unplaced or any(u not in unit_territory for u in ids)

    def walk(edit: object) -> None:
        if not isinstance(edit, Mapping):
            return
        if isinstance(edit.get("op"), str):
            ops.add(edit["op"])
        moved, to = edit.get("units"), edit.get("to")
        if (
            edit.get("op") == "move_units"
            and isinstance(to, str)
            and isinstance(moved, list | tuple)
        ):
            moves.update((unit_territory[u], to) for u in moved if u in unit_territory)
        for key in ("to", "territory"):
            if isinstance(edit.get(key), str):
                territories.add(edit[key])
        units(edit.get("units"))
        named = edit.get("accounts")
        if isinstance(named, list | tuple):
            accounts.update(a for a in named if isinstance(a, str))
        owners = edit.get("reps") if edit.get("op") == "set_owners" else None
        if isinstance(owners, list | tuple):
            reps.update(r for r in owners if isinstance(r, str))
        nested = edit.get("edits")
        if isinstance(nested, list | tuple):
            for inner in nested:
                walk(inner)

    if target_id is not None:
        if target_kind == "territory":
            territories.add(target_id)
        elif target_kind == "unit":
            units([target_id])
        elif target_kind == "account":
            accounts.add(target_id)
        elif target_kind == "move":  # names the territory (or unit) the move is about
            if target_id in territory_ids:
                territories.add(target_id)
            else:
                units([target_id])
    walk(proposed_edit)
    return Concerns(
        frozenset(territories),
        frozenset(accounts),
        unplaced,
        frozenset(reps),
        frozenset(named_units),
        frozenset(ops),
        frozenset(moves),
    )


#: Comments (and change requests) one person may write on one plan in an hour: more is a
#: flood, not a review (3,000 comments made a plan's comment list 30 MB).
COMMENTS_PER_HOUR = 100

#: Says whether the caller may see what a comment is about (None: everything).
Shown = Callable[[Concerns], bool]


def add_comment(
    db: Database,
    plan_id: str,
    body: str,
    *,
    author: str | None,
    target_kind: str = "plan",
    target_id: str | None = None,
    proposed_edit: Mapping[str, Any] | None = None,
    shown: Shown | None = None,
) -> Comment:
    """A comment, or a change request when ``proposed_edit`` is given (an edit a planner can
    accept as is: see :mod:`terraplan.planning.plan_edits`).

    ``shown`` (for a caller who sees a part of the plan) says whether they see what the comment
    is about; when not, it is refused as if the territory or account did not exist."""
    text = _check(body, target_kind, target_id)
    if proposed_edit is not None:  # a malformed edit is refused now, not when a planner decides
        proposed_edit = parse_edit(proposed_edit)
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        if author is not None:
            hour_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
            if uow.comments.count_since(plan_id, author, hour_ago) >= COMMENTS_PER_HOUR:
                raise RateLimitedError(
                    f"{author} wrote {COMMENTS_PER_HOUR} comments on plan {plan_id} in the last "
                    "hour, the most one person may: wait a while, or gather the points in one",
                    details={"retry_after_seconds": 600, "limit": COMMENTS_PER_HOUR},
                )
        if shown is not None and not shown(concerns(plan, target_kind, target_id, proposed_edit)):
            raise NotFoundError(
                f"plan {plan_id} has no {target_kind} {target_id!r}"
                if target_id is not None and target_kind != "plan"
                else f"plan {plan_id}: the change names a territory, account or rep not found "
                "(each is named by its id, as GET /plans/{id} and /reps give them, not by name)",
                details={"kind": "comment_targets", "plan_id": plan_id, "id": target_id},
            )
        if target_kind == "territory" and target_id not in {t.id for t in plan.territories}:
            raise InvalidParameterError(
                f"plan {plan_id} has no territory {target_id!r}", details={"field": "target_id"}
            )
        comment = uow.comments.add(
            plan_id,
            text,
            author=author,
            target_kind=target_kind,
            target_id=target_id,
            change_request=proposed_edit is not None,
            proposed_edit=proposed_edit,
        )
        uow.audit.record(
            "change_request" if proposed_edit is not None else "comment",
            target_kind,
            target_id or plan_id,
            actor=author,
            plan_id=plan_id,
            after={
                "comment_id": comment.id,
                "body": text[:200],
                # what a change request proposes, so the log can say it in words
                **({"edit": dict(proposed_edit)} if proposed_edit is not None else {}),
            },
        )
        uow.commit()
    return comment


def list_comments(
    db: Database, plan_id: str, *, shown: Shown | None = None, author: str | None = None
) -> list[Comment]:
    """The plan's comments and change requests; with ``shown``, only those about what the
    caller sees (comments on the plan as a whole, and on their territories and accounts),
    and the caller's own (``author``)."""
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id) if shown is not None else None
        if plan is None:
            uow.plans.version(plan_id)  # 404 when there is no such plan
        comments = uow.comments.list(plan_id)
    if shown is None or plan is None:
        return comments
    return [
        c
        for c in comments
        if (author is not None and c.author == author)
        or shown(concerns(plan, c.target_kind, c.target_id, c.proposed_edit))
    ]


def resolve_change_request(
    db: Database, comment_id: int, *, accept: bool, by: str | None, note: str | None = None
) -> Comment:
    """Accept (the proposed edit is applied to the draft, a new version) or reject a request.

    The request is claimed first, in one conditional update: of two planners deciding at the
    same moment one wins and the other is told who did (an accept marks it "accepting" while
    its edit is applied, and gives it back if the edit is refused)."""
    with UnitOfWork(db) as uow:
        request = uow.comments.get(comment_id)
        if request.kind != "change_request":
            from terraplan.errors import ConflictError

            raise ConflictError(
                f"comment {comment_id} is not an open change request",
                details={"id": comment_id, "status": request.status},
            )
        uow.comments.claim(
            comment_id, "accepting" if accept else "rejected", by=by, note=None if accept else note
        )
        uow.commit()
    if accept:
        try:
            if request.proposed_edit:
                from terraplan.services.plan_edits import edit_plan

                edit_plan(db, request.plan_id, request.proposed_edit, by=by)
        except BaseException:
            with UnitOfWork(db) as uow:  # the edit was refused: the request is open again
                uow.comments.claim(comment_id, "open", was="accepting", by=None, note=None)
                uow.commit()
            raise
    with UnitOfWork(db) as uow:
        resolved = (
            uow.comments.claim(comment_id, "accepted", was="accepting", by=by, note=note)
            if accept
            else uow.comments.get(comment_id)
        )
        uow.audit.record(
            "accept" if accept else "reject",
            "change_request",
            str(comment_id),
            actor=by,
            plan_id=request.plan_id,
            before={"status": "open"},
            after={"status": resolved.status, "note": note},
        )
        uow.commit()
    return resolved


def audit_count(
    db: Database,
    *,
    plan_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> int:
    """How many entries :func:`audit_log` pages through with the same filters."""
    with UnitOfWork(db) as uow:
        return uow.audit.count(plan_id=plan_id, actor=actor, action=action)


def audit_log(
    db: Database,
    *,
    plan_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 500,
    offset: int = 0,
    newest_first: bool = False,
) -> list[AuditEntry]:
    with UnitOfWork(db) as uow:
        return uow.audit.list(
            plan_id=plan_id,
            actor=actor,
            action=action,
            limit=limit,
            offset=offset,
            newest_first=newest_first,
        )


def audit_rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    """Audit entries as flat rows (what `plans audit` prints and exports)."""
    import json

    rows = []
    for entry in entries:
        row = asdict(entry)
        row["before"] = json.dumps(row["before"], sort_keys=True) if row["before"] else ""
        row["after"] = json.dumps(row["after"], sort_keys=True) if row["after"] else ""
        rows.append(row)
    return rows
