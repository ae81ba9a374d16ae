"""A territory named by id or by name, and an unknown one refused with the plan's names."""

from __future__ import annotations

import pytest

from terraplan.domain import Plan, Territory
from terraplan.errors import NotFoundError
from terraplan.services.territory_lookup import territory_named

PLAN = Plan(
    "P1",
    "FY25",
    territories=(Territory("west", "West"), Territory("east", "East"), Territory("e2", "East")),
)


def test_by_id_then_by_name_in_any_case() -> None:
    assert territory_named(PLAN, "west") == "west"
    assert territory_named(PLAN, "  WEST ") == "west"


def test_unknown_and_ambiguous_names_are_refused() -> None:
    with pytest.raises(
        NotFoundError, match=r"plan P1 has no territory 'ZZZ'; its territories: West \(west\)"
    ):
        territory_named(PLAN, "ZZZ")
    with pytest.raises(NotFoundError, match="several territories have that name: give its id"):
        territory_named(PLAN, "East")
