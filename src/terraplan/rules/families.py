"""Accounts below a named account that its pin does not take along.

A named-account pin covers the one account it names: a health system pinned to a strategic
territory keeps its hospitals, and their clinics, wherever the other rules send them. That is
what the rules say, but rarely what the planner meant; :func:`stray_descendants` finds, for each
pinned account, the accounts below it in the ``parent_id`` hierarchy that land in another
territory, so that ``rules check`` can say so. An account below a pin that is pinned itself (to
another territory: an exception, such as a hospital the local territory owns by contract) is
deliberate and not counted; an account is judged against its nearest pinned ancestor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StrayDescendants:
    """The accounts below ``pinned_id`` (pinned to ``territory_id``) that go elsewhere:
    ``below`` counts every account under it that is not pinned itself, ``strays`` lists
    ``(account id, territory id or None)`` of those placed in another territory (or none)."""

    pinned_id: str
    territory_id: str
    below: int
    strays: tuple[tuple[str, str | None], ...]


def stray_descendants(
    parents: Mapping[str, str | None],
    pins: Mapping[str, str],
    placed: Mapping[str, str | None],
) -> list[StrayDescendants]:
    """For each pinned account with accounts below it that go to another territory.

    ``parents``: account id -> parent id (every stored account, so that chains pass through
    closed ones); ``pins``: stored account id -> territory id; ``placed``: account id -> the
    territory the rules give it (open accounts; those missing are not judged). A cycle of
    parents stops where it closes. Pinned accounts are listed in the order of ``pins``.
    """
    below: dict[str, int] = {}
    strays: dict[str, list[tuple[str, str | None]]] = {}
    for account, territory in placed.items():
        if account in pins:
            continue
        anchor = _nearest_pinned(account, parents, pins)
        if anchor is None:
            continue
        below[anchor] = below.get(anchor, 0) + 1
        if territory != pins[anchor]:
            strays.setdefault(anchor, []).append((account, territory))
    return [
        StrayDescendants(pinned, pins[pinned], below[pinned], tuple(sorted(strays[pinned])))
        for pinned in pins
        if pinned in strays
    ]


def _nearest_pinned(
    account: str, parents: Mapping[str, str | None], pins: Mapping[str, str]
) -> str | None:
    seen = {account}
    current = parents.get(account)
    while current is not None and current not in seen:
        if current in pins:
            return current
        seen.add(current)
        current = parents.get(current)
    return None
