"""What deploying a plan changes in a Salesforce territory model (what an admin reviews)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ModelSnapshot:
    """One side of a diff, keyed by territory DeveloperName."""

    names: Mapping[str, str]  # DeveloperName -> Name
    parents: Mapping[str, str | None]  # DeveloperName -> parent DeveloperName
    accounts: Mapping[str, str | None]  # account id -> DeveloperName (None: no territory)
    users: Mapping[str, frozenset[str]]  # user id -> DeveloperNames


@dataclass(frozen=True, slots=True)
class ModelDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    renamed: tuple[tuple[str, str, str], ...]  # DeveloperName, old Name, new Name
    moved: tuple[tuple[str, str | None, str | None], ...]  # new parent
    accounts: tuple[tuple[str, str | None, str | None], ...]  # account, before, after
    users: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]  # user, left, joined

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.renamed or self.moved or self.accounts or self.users
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "territories_added": list(self.added),
            "territories_removed": list(self.removed),
            "territories_renamed": [
                {"developer_name": d, "before": a, "after": b} for d, a, b in self.renamed
            ],
            "territories_moved": [
                {"developer_name": d, "parent_before": a, "parent_after": b}
                for d, a, b in self.moved
            ],
            "accounts_changing": [
                {"account": a, "before": b, "after": c} for a, b, c in self.accounts
            ],
            "users_changing": [
                {"user": u, "leaves": list(a), "joins": list(b)} for u, a, b in self.users
            ],
        }


def diff_models(before: ModelSnapshot, after: ModelSnapshot) -> ModelDiff:
    """Territories added/removed/renamed/moved, accounts and users changing territory."""
    old, new = set(before.names), set(after.names)
    both = sorted(old & new)
    accounts = [
        (a, before.accounts.get(a), after.accounts.get(a))
        for a in sorted(set(before.accounts) | set(after.accounts))
        if before.accounts.get(a) != after.accounts.get(a)
    ]
    users = []
    for user in sorted(set(before.users) | set(after.users)):
        was, now = before.users.get(user, frozenset()), after.users.get(user, frozenset())
        if was != now:
            users.append((user, tuple(sorted(was - now)), tuple(sorted(now - was))))
    return ModelDiff(
        added=tuple(sorted(new - old)),
        removed=tuple(sorted(old - new)),
        renamed=tuple(
            (d, before.names[d], after.names[d]) for d in both if before.names[d] != after.names[d]
        ),
        moved=tuple(
            (d, before.parents.get(d), after.parents.get(d))
            for d in both
            if before.parents.get(d) != after.parents.get(d)
        ),
        accounts=tuple(accounts),
        users=tuple(users),
    )
