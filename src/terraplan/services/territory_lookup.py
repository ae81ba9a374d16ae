"""A territory the user names by id or by name."""

from __future__ import annotations

from terraplan.domain import Plan
from terraplan.errors import NotFoundError


def territory_named(plan: Plan, given: str) -> str:
    """The id of the plan's territory ``given`` by id, else by name (any case); an unknown
    one is an error naming some of the plan's territories."""
    if any(t.id == given for t in plan.territories):
        return given
    key = " ".join(given.split()).lower()
    named = [t.id for t in plan.territories if " ".join(t.name.split()).lower() == key]
    if len(named) == 1:
        return named[0]
    some = ", ".join(f"{t.name} ({t.id})" for t in plan.territories[:5])
    more = "…" if len(plan.territories) > 5 else ""
    raise NotFoundError(
        f"plan {plan.id} has no territory {given!r}"
        + (" (several territories have that name: give its id)" if named else "")
        + f"; its territories: {some}{more}",
        details={"plan_id": plan.id, "territory": given},
    )
