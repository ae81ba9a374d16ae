"""Keep-together groups planners think in: parent account families, and merged groupings.

- :func:`parent_families`: each account's family (the top of its ``parent_id`` chain),
  named by the top account's name;
- :func:`unit_families`: the geo units holding the accounts of one family, as one group
  (a unit holding accounts of two families joins them);
- :func:`merge_groupings`: several groupings (a family grouping and a file of metro areas)
  as one, groups sharing a unit merged (named "A + B").

The result is always ``unit id -> group name`` for
:func:`~terraplan.planning.design.design_territories`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from terraplan.domain import Account, GeoUnit
from terraplan.planning.unit_metrics import account_unit_key


def parent_families(accounts: Sequence[Account]) -> dict[str, str]:
    """Account id -> family name, for the accounts in a family of two or more.

    The family is the top of the ``parent_id`` chain (a parent that is not among
    ``accounts`` still names the family by its id; a cycle stops where it closes).
    """
    by_id = {a.id: a for a in accounts}
    top: dict[str, str] = {}
    for account in accounts:
        seen = {account.id}
        current = account
        root = account.id
        while current.parent_id is not None and current.parent_id not in seen:
            root = current.parent_id
            seen.add(root)
            parent = by_id.get(root)
            if parent is None:
                break
            current = parent
        top[account.id] = root
    sizes: dict[str, int] = {}
    for root in top.values():
        sizes[root] = sizes.get(root, 0) + 1
    return {
        aid: (by_id[root].name if root in by_id else root)
        for aid, root in top.items()
        if sizes[root] >= 2
    }


def unit_families(units: Sequence[GeoUnit], accounts: Sequence[Account]) -> dict[str, str]:
    """Geo unit id -> group name: the units holding accounts of one family form a group.

    Accounts are matched to counties by county FIPS and to ZIP and custom units by postal
    code (as their metrics are summed onto units). Units holding accounts of several
    families join those families into one group.
    """
    unit_key = account_unit_key(units)
    designed = {u.id for u in units}
    families = parent_families(accounts)
    grouping: dict[str, list[str]] = {}
    for account in accounts:
        family = families.get(account.id)
        key = unit_key(account)
        if family is not None and key in designed:
            grouping.setdefault(family, []).append(str(key))
    return merge_groupings(
        [{uid: name for name, uids in grouping.items() for uid in uids if len(set(uids)) > 1}]
    )


def merge_groupings(groupings: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """Several ``unit id -> group name`` groupings as one: groups (of any grouping) that
    share a unit are merged, the merged group named by its names joined with " + "."""
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(node: tuple[int, str]) -> tuple[int, str]:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    first_of_unit: dict[str, tuple[int, str]] = {}
    order: list[tuple[int, str]] = []
    rank: dict[tuple[int, str], int] = {}
    for g, grouping in enumerate(groupings):
        for uid, name in grouping.items():
            node = (g, name)
            if node not in parent:
                parent[node] = node
                rank[node] = len(order)
                order.append(node)
            if uid in first_of_unit:
                a, b = find(first_of_unit[uid]), find(node)
                if a != b:
                    parent[max(a, b, key=rank.__getitem__)] = min(a, b, key=rank.__getitem__)
            else:
                first_of_unit[uid] = node
    names: dict[tuple[int, str], list[str]] = {}
    for node in order:
        names.setdefault(find(node), [])
        if node[1] not in names[find(node)]:
            names[find(node)].append(node[1])
    return {uid: " + ".join(names[find(node)]) for uid, node in first_of_unit.items()}
