"""Plan and territory ids given by users, and plan ids that are never given twice.

An id is part of the API's paths (``/plans/P002/territories/T03``) and of the files the CLI
writes, so a user-given id must be one every route can reach: 1–64 letters, digits, ``-``,
``_`` or ``.``, not starting with a dot (``P001``, ``T-West``, ``West_Coast_Tech``, Salesforce
DeveloperNames all pass; ``../x``, ``a/b?c#d`` or ``" P1 "`` do not).

A plan id names the plan in the audit log, the ownership history and the ``based_on`` of its
copies, all of which outlive the plan: a new plan given the id of a deleted one would inherit
that history. Generated ids therefore skip every id the database remembers, and an explicit
id of a deleted plan is refused.
"""

from __future__ import annotations

from terraplan.domain.ids import ALLOWED_ID, ID_PATTERN
from terraplan.errors import ConflictError, InvalidParameterError
from terraplan.storage.unit_of_work import UnitOfWork

__all__ = ["ALLOWED_ID", "ID_PATTERN", "check_id", "new_plan_id", "next_plan_id"]


def check_id(value: object, field: str) -> str:
    """``value`` as an id a user may give for ``field`` (e.g. ``plan_id``,
    ``territories[2].id``); InvalidParameterError naming the field and what is allowed."""
    text = value if isinstance(value, str) else str(value)
    if ID_PATTERN.fullmatch(text) is None:
        shown = text if len(text) <= 70 else text[:67] + "..."
        raise InvalidParameterError(
            f"{field} {shown!r} is not a usable id: use {ALLOWED_ID}",
            details={"field": field, "value": shown, "allowed": ALLOWED_ID},
        )
    return text


def next_plan_id(uow: UnitOfWork) -> str:
    """The first id of the form ``P001``, ``P002``... that no plan has ever had."""
    return uow.plans.next_id()


def new_plan_id(uow: UnitOfWork, plan_id: str | None, *, field: str = "plan_id") -> str:
    """The id of a plan about to be created: ``plan_id`` when given (checked, and refused with
    ConflictError when a plan has it or had it), else :func:`next_plan_id`."""
    if plan_id is None:
        return next_plan_id(uow)
    plan_id = check_id(plan_id, field)
    if uow.plans.exists(plan_id):
        raise ConflictError(f"plan {plan_id!r} already exists", details={"id": plan_id})
    if uow.plans.was_used(plan_id):
        raise ConflictError(
            f"plan id {plan_id!r} belonged to a plan that was deleted; the audit log, ownership "
            "history or copies still name it, so it cannot be given to a new plan: choose "
            "another id",
            details={"id": plan_id, "reason": "used before"},
        )
    return plan_id
