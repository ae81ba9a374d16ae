"""Keep-together groups planners think in: parent account families, and merged groupings.

- :func:`parent_families`: each account's family (the top of its ``parent_id`` chain),
  named by the top account's name;
- :func:`unit_families`: the geo units holding the accounts of one family, as one group
  (a unit holding accounts of two families joins them);
- :func:`merge_groupings`: several groupings (a family grouping and a file of metro areas)
  as one, groups sharing a unit merged (named "A + B", or "A + B + C + 4 more").

The result is always ``unit id -> group name`` for
:func:`~terraplan.planning.design.design_territories`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from terraplan.domain import Account, GeoUnit
from terraplan.planning.unit_metrics import account_unit_key

#: A merged group's name lists this many of its names, then how many more it holds.
MAX_NAMES_SHOWN = 3


def parent_families(
    accounts: Sequence[Account], *, hierarchy: Sequence[Account] = ()
) -> dict[str, str]:
    """Account id -> family name, for the accounts in a family of two or more.

    The family is the top of the ``parent_id`` chain (a parent that is not stored still
    names the family by its id; a cycle stops where it closes). ``hierarchy``: further
    stored accounts the chains pass through without being members themselves (closed
    accounts, accounts outside the design's states), so that a hospital under a closed
    sub-system stays in its health system's family. Families are told apart by their top
    account: two families whose tops share a name get that name with the top's place (or
    id) added.
    """
    by_id = {a.id: a for a in hierarchy}
    by_id.update((a.id, a) for a in accounts)
    top = {account.id: _top_of(account, by_id) for account in accounts}
    sizes: dict[str, int] = {}
    for root in top.values():
        sizes[root] = sizes.get(root, 0) + 1
    names = _family_names([root for root, size in sizes.items() if size >= 2], by_id)
    return {aid: names[root] for aid, root in top.items() if sizes[root] >= 2}


def _top_of(account: Account, by_id: Mapping[str, Account]) -> str:
    """The id at the top of ``account``'s ``parent_id`` chain (where a cycle closes, or
    at a parent that is not stored)."""
    seen = {account.id}
    current: Account | None = account
    root = account.id
    while current is not None and current.parent_id is not None and current.parent_id not in seen:
        root = current.parent_id
        seen.add(root)
        current = by_id.get(root)
    return root


def _family_names(roots: Sequence[str], by_id: Mapping[str, Account]) -> dict[str, str]:
    """Each family's name: its top account's name (its id when not stored); a name two
    families share gets the top's city and state added, or its id when that does not
    tell them apart."""
    plain = {root: (by_id[root].name if root in by_id else root) for root in roots}
    shared = _repeated(plain.values())
    placed = {root: f"{name} ({_place(by_id.get(root)) or root})" for root, name in plain.items()}
    still = _repeated(placed[root] for root in roots if plain[root] in shared)
    names: dict[str, str] = {}
    for root, name in plain.items():
        if name not in shared:
            names[root] = name
        elif placed[root] not in still:
            names[root] = placed[root]
        else:
            names[root] = f"{name} ({root})"
    return names


def _repeated(values: Iterable[str]) -> set[str]:
    seen: set[str] = set()
    twice: set[str] = set()
    for value in values:
        (twice if value in seen else seen).add(value)
    return twice


def _place(account: Account | None) -> str:
    """``"Rochester, MN"``: where an account is, as far as it says."""
    if account is None:
        return ""
    return ", ".join(part for part in (account.city, account.state) if part)


def unit_families(
    units: Sequence[GeoUnit], accounts: Sequence[Account], *, hierarchy: Sequence[Account] = ()
) -> dict[str, str]:
    """Geo unit id -> group name: the units holding the accounts of one family form a group.

    Accounts are matched to counties by county FIPS and to ZIP and custom units by postal
    code (as their metrics are summed onto units). Units holding accounts of several
    families join those families into one group (see :func:`merge_groupings`).
    ``hierarchy``: see :func:`parent_families`.
    """
    unit_key = account_unit_key(units)
    designed = {u.id for u in units}
    families = parent_families(accounts, hierarchy=hierarchy)
    grouping: dict[str, dict[str, None]] = {}
    for account in accounts:
        family = families.get(account.id)
        key = unit_key(account)
        if family is not None and key in designed:
            grouping.setdefault(family, {})[str(key)] = None
    # one grouping per family, so that a unit two families share merges them
    return merge_groupings(
        [dict.fromkeys(uids, name) for name, uids in grouping.items() if len(uids) > 1]
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
    return {uid: _joined(names[find(node)]) for uid, node in first_of_unit.items()}


def _joined(names: Sequence[str]) -> str:
    """A merged group's name: its names joined with " + ", the first three and a count
    beyond them (forty health systems sharing counties make one group, not one line)."""
    if len(names) <= MAX_NAMES_SHOWN:
        return " + ".join(names)
    shown = " + ".join(names[:MAX_NAMES_SHOWN])
    return f"{shown} + {len(names) - MAX_NAMES_SHOWN} more"
