"""Owner picking from a rotation counter: round robin and capacity-weighted."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from terraplan.domain import OwnerRole, TerritoryOwner
from terraplan.errors import InvalidParameterError
from terraplan.rules import pick_owner


def test_round_robin_cycles_in_order() -> None:
    owners = [TerritoryOwner("a"), TerritoryOwner("b"), TerritoryOwner("c")]
    assert [pick_owner(owners, c) for c in range(7)] == ["a", "b", "c", "a", "b", "c", "a"]


def test_round_robin_is_fair_over_many_turns() -> None:
    owners = [("a", 1.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)]
    counts = Counter(pick_owner(owners, c) for c in range(1000))
    assert set(counts.values()) == {250}


def test_role_filter_keeps_primary_owners() -> None:
    owners = [TerritoryOwner("a"), TerritoryOwner("s", OwnerRole.OVERLAY), TerritoryOwner("b")]
    assert {pick_owner(owners, c) for c in range(10)} == {"a", "b"}
    assert pick_owner(owners, 0, role=OwnerRole.OVERLAY) == "s"


@pytest.mark.parametrize(
    "shares", [(0.5, 0.3, 0.2), (1.0, 0.25), (0.1, 0.1, 0.8), (0.7, 0.2, 0.05, 0.05)]
)
def test_weighted_counts_follow_shares(shares: tuple[float, ...]) -> None:
    owners = [(f"r{i}", s) for i, s in enumerate(shares)]
    total = sum(shares)
    for turns in (100, 1000, 20000):
        counts = Counter(pick_owner(owners, c, "weighted") for c in range(turns))
        for i, share in enumerate(shares):
            expected = turns * share / total
            assert abs(counts[f"r{i}"] - expected) <= max(3.0, 0.01 * turns), (turns, i)


def test_weighted_is_smooth_over_any_window() -> None:
    owners = [("a", 0.75), ("b", 0.25)]
    picks = [pick_owner(owners, c, "weighted") for c in range(400)]
    for start in range(0, 380, 20):
        window = picks[start : start + 20]
        assert 12 <= window.count("a") <= 18


def test_same_counter_same_rep() -> None:
    owners = [TerritoryOwner("a", share=0.6), TerritoryOwner("b", share=0.4)]
    assert [pick_owner(owners, c, "weighted") for c in range(50)] == [
        pick_owner(owners, c, "weighted") for c in range(50)
    ]


@pytest.mark.parametrize(
    ("owners", "counter", "method", "parameter"),
    [
        ([], 0, "round_robin", "owners"),
        ([("a", 1.0)], -1, "round_robin", "counter"),
        ([("a", 1.0)], 0, "random", "method"),
        ([("a", 0.0)], 0, "weighted", "owners"),
        ([("", 1.0)], 0, "weighted", "owners"),
    ],
)
def test_bad_parameters(owners: list[Any], counter: int, method: str, parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        pick_owner(owners, counter, method)  # type: ignore[arg-type]
    assert info.value.details["parameter"] == parameter
