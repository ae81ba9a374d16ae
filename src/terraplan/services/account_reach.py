"""The accounts a manager or rep reads beyond those whose owner they are: the accounts placed
in a territory they may read, in a plan they may read.

The map and the territory page of a plan show a territory's accounts to whoever owns the
territory, whoever the CRM names as each account's owner (a territory shared by several
primary reps, a draft that gives a rep new ground); the account record and the account list
follow the same rule, so a rep reads the same accounts wherever they ask
(:mod:`terraplan.domain.access` decides who may read which territory).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from terraplan.domain.access import Action, require_visible
from terraplan.errors import NotFoundError
from terraplan.services.access import (
    Principal,
    account_resource,
    plan_resource,
    visible_territories,
)
from terraplan.services.alignment import account_territory
from terraplan.services.placed_accounts import accounts_placed_in
from terraplan.storage.orm import AccountRow
from terraplan.storage.unit_of_work import UnitOfWork


def accounts_in_read_territories(
    uow: UnitOfWork, principal: Principal, *, except_owners: frozenset[str] = frozenset()
) -> frozenset[str]:
    """Ids of the open accounts that a plan ``principal`` may read places in a territory of
    that plan they may read (as its map shows them). Empty for a user with no territory.
    Only the accounts that could lie in those territories are aligned
    (:func:`terraplan.services.placed_accounts.accounts_placed_in`).
    ``except_owners``: leave out the accounts of these owners (those the caller reads anyway),
    so that a list query names few ids."""
    found: set[str] = set()
    for row in uow.plans.list():
        plan = uow.plans.header(row.id)  # the rows about the shown territories only
        resource, territories = plan_resource(uow, plan)
        if not principal.can(Action.READ, resource):
            continue
        shown = visible_territories(principal, territories)
        if shown:
            found |= accounts_placed_in(uow, plan, shown, except_owners=except_owners)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class _StoredAccount:
    id: str
    postal_code: str | None
    county_fips: str | None
    owner_id: str | None
    segment: str | None
    state: str | None


def account_in_read_territories(uow: UnitOfWork, principal: Principal, account_id: str) -> bool:
    """Whether a plan ``principal`` may read places the open account ``account_id`` in a
    territory of that plan they may read: ``account_id in accounts_in_read_territories(...)``,
    evaluating that one account in each plan rather than aligning every open account."""
    row = uow.connection.execute(
        select(
            AccountRow.id,
            AccountRow.postal_code,
            AccountRow.county_fips,
            AccountRow.owner_id,
            AccountRow.segment,
            AccountRow.state,
        ).where(AccountRow.id == account_id, AccountRow.closed_on.is_(None))
    ).first()
    if row is None:
        return False
    account = _StoredAccount(*row)
    for header in uow.plans.list():
        plan = uow.plans.header(header.id)  # the alignment rows about the account only
        resource, territories = plan_resource(uow, plan)
        if not principal.can(Action.READ, resource):
            continue
        shown = visible_territories(principal, territories)
        if shown and account_territory(uow, plan, account) in shown:
            return True
    return False


def require_account_readable(
    uow: UnitOfWork, principal: Principal, account_id: str, owner_id: str | None
) -> None:
    """Raise 404 (as for a missing id) unless ``principal`` owns the account (or, a manager,
    its owner is of their region) or a territory of theirs holds it; 403 for a token without
    the read scope."""
    resource = account_resource(uow, account_id, owner_id)
    if principal.can(Action.READ, resource):
        return
    if principal.can(Action.READ) and account_in_read_territories(uow, principal, account_id):
        return
    require_visible(
        principal.user,
        resource,
        NotFoundError(
            f"no account with id {account_id!r}", details={"kind": "accounts", "id": account_id}
        ),
        scopes=principal.scopes,
    )
