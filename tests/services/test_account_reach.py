"""Whether a rep may read ONE account is decided by that account alone.

``require_account_readable`` used to align every open account of every plan the user may read
and then look the one id up in the result (a quarter of a second at 20,000 accounts, growing
with the book). It now evaluates the one account in each plan. These tests store a messy book
(ZIP+4, lost leading zeros, no address, closed accounts, parent families, pins inside and
outside the rule run, gaps, conflicts, shared territories, a scoped plan, a past plan) and
check, for every user and every account, that the one-account answer is the answer the
whole-book alignment gives.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from terraplan.domain import (
    Account,
    AlignmentEntry,
    Plan,
    PlanStatus,
    RecordKind,
    Rep,
    Territory,
    TerritoryOwner,
)
from terraplan.domain.access import Scope
from terraplan.domain.user import Role, User
from terraplan.errors import NotFoundError
from terraplan.services.access import Principal
from terraplan.services.account_reach import (
    account_in_read_territories,
    accounts_in_read_territories,
    require_account_readable,
)
from terraplan.storage.database import Database
from terraplan.storage.plan_records import AssignmentRecord
from terraplan.storage.unit_of_work import UnitOfWork

REGIONS = ("West", "East")
REPS = [Rep(f"R{i}", f"Rep {i}", region=REGIONS[i % 2]) for i in range(1, 7)]
#: ZIP code -> county FIPS of the book; the plans below cut them into territories.
PLACES = {
    "94107": "06075",
    "94110": "06075",
    "89501": "32031",
    "84101": "49035",
    "02108": "25025",
    "01002": "25015",
    "10001": "36061",
    "07030": "34017",
}


def _postal(rng: random.Random, code: str) -> str | None:
    """The ZIP as exports really carry it."""
    form = rng.randrange(6)
    if form == 0:
        return f"{code}-{rng.randrange(10_000):04d}"  # ZIP+4
    if form == 1:
        return code.lstrip("0")  # a spreadsheet ate the leading zero
    if form == 2:
        return f" {code} "
    if form == 3:
        return None  # no address
    return code


def _accounts(rng: random.Random) -> list[Account]:
    accounts: list[Account] = []
    for i in range(80):
        code = rng.choice(sorted(PLACES))
        fips = PLACES[code] if rng.random() > 0.1 else None
        if fips is not None and rng.random() < 0.2:
            fips = fips.lstrip("0")  # FIPS read as a number
        accounts.append(
            Account(
                f"001A0000{i:07d}",
                f"Account {i}",
                postal_code=_postal(rng, code),
                county_fips=fips,
                state=rng.choice(["CA", "California", "ny", None]),
                segment=rng.choice(["SMB", "Enterprise", None]),
                owner_id=rng.choice([r.id for r in REPS] + [None, "R99"]),
                parent_id=f"001A0000{rng.randrange(i):07d}" if i and rng.random() < 0.3 else None,
                closed_on=date(2026, 3, 1) if rng.random() < 0.1 else None,
            )
        )
    return accounts


def _territories(prefix: str, rng: random.Random) -> tuple[Territory, ...]:
    """Two regions, four leaves each; some leaves shared, one without owner."""
    nodes = [Territory(f"{prefix}-{r}", r, level="region") for r in REGIONS]
    for n in range(8):
        owners = tuple(TerritoryOwner(rep.id) for rep in rng.sample(REPS, rng.choice([0, 1, 1, 2])))
        nodes.append(Territory(f"{prefix}-T{n}", f"T{n}", parent_id=nodes[n % 2].id, owners=owners))
    return tuple(nodes)


def _plan(
    plan_id: str,
    rng: random.Random,
    accounts: list[Account],
    *,
    zip_units: bool,
    units: str | None = None,
    **fields: object,
) -> Plan:
    """``units``: the design's record of its code space (None: the stored kinds decide)."""
    territories = _territories(plan_id, rng)
    leaves = [t.id for t in territories if t.level == "territory"]
    codes = sorted(PLACES) if zip_units else sorted(set(PLACES.values()))
    geo = [AlignmentEntry(RecordKind.GEO_UNIT, c, rng.choice(leaves)) for c in codes[:-1]]
    pins = [
        AlignmentEntry(RecordKind.ACCOUNT, a.id, rng.choice(leaves))
        for a in rng.sample(accounts, 12)
    ]
    return Plan(
        id=plan_id,
        name=plan_id,
        territories=territories,
        alignment=tuple(geo + pins),
        parameters={} if units is None else {"units": units},
        **fields,  # type: ignore[arg-type]
    )


def _run(rng: random.Random, plan: Plan, accounts: list[Account]) -> list[AssignmentRecord]:
    """A rule run that saw two thirds of the book (the rest came in after it)."""
    leaves = [t.id for t in plan.territories if t.level == "territory"] + ["gone"]
    records = []
    for account in accounts:
        if rng.random() < 0.33:
            continue
        status = rng.choice(["assigned", "assigned", "gap", "conflict", "closed", "catch_all"])
        territory = None if status == "conflict" else rng.choice(leaves)
        records.append(AssignmentRecord("account", account.id, territory, None, None, status))
    return records


def _store(db: Database, seed: int) -> list[Account]:
    rng = random.Random(seed)
    accounts = _accounts(rng)
    plans = [
        _plan(
            "FY27",
            rng,
            accounts,
            zip_units=True,
            units="zips",
            status=PlanStatus.ACTIVE,
            effective_from=date(2026, 1, 1),
        ),
        _plan("DRAFT-WEST", rng, accounts, zip_units=False, scope="West"),
        _plan("DRAFT-SMB", rng, accounts, zip_units=True, units="zip", scope="smb"),
        _plan(
            "FY25",
            rng,
            accounts,
            zip_units=False,
            units="counties",
            status=PlanStatus.ARCHIVED,
            effective_from=date(2025, 1, 1),
            effective_to=date(2025, 12, 31),
        ),
    ]
    with UnitOfWork(db) as uow:
        uow.reps.add_many(REPS)
        uow.accounts.add_many(accounts)
        for plan in plans:
            uow.plans.add(plan)
        for plan in plans[:2] + plans[3:]:  # DRAFT-SMB never had its rules applied
            uow.assignments.record_run(
                plan.id, plan_version=1, rule_set_version=1, assignments=_run(rng, plan, accounts)
            )
        uow.commit()
    return accounts


def _principals() -> list[Principal]:
    users = [User(f"rep{r.id.lower()}", Role.REP, rep_id=r.id) for r in REPS[:3]]
    users += [User("leadwest", Role.MANAGER, region="West")]
    users += [User("lead_with_book", Role.MANAGER, region="East", rep_id="R2")]
    principals = [Principal(u) for u in users]
    principals.append(Principal(users[0], scopes=frozenset({Scope.READ})))
    return principals


@pytest.mark.parametrize("seed", [1])
def test_one_account_gets_the_answer_the_whole_book_gives(db: Database, seed: int) -> None:
    accounts = _store(db, seed)
    readable = 0
    with UnitOfWork(db) as uow:
        for principal in _principals():
            whole_book = accounts_in_read_territories(uow, principal)
            readable += len(whole_book)
            for account in accounts:
                one = account_in_read_territories(uow, principal, account.id)
                assert one == (account.id in whole_book), (principal.user.username, account)
    assert readable > 0  # the book is not trivially hidden from everyone


def test_a_closed_or_unknown_account_is_in_no_territory(db: Database) -> None:
    accounts = _store(db, 4)
    closed = next(a for a in accounts if a.closed_on is not None)
    rep = Principal(User("repr1", Role.REP, rep_id="R1"))
    with UnitOfWork(db) as uow:
        assert not account_in_read_territories(uow, rep, closed.id)
        assert not account_in_read_territories(uow, rep, "001A0000NOSUCHID")


def test_require_account_readable_follows_the_one_account_answer(db: Database) -> None:
    accounts = _store(db, 5)
    rep = Principal(User("repr3", Role.REP, rep_id="R3"))
    with UnitOfWork(db) as uow:
        whole_book = accounts_in_read_territories(uow, rep)
        others = [a for a in accounts if a.owner_id != "R3"]
        inside = [a for a in others if a.id in whole_book]
        outside = [a for a in others if a.id not in whole_book]
        assert inside and outside
        for account in inside:
            require_account_readable(uow, rep, account.id, account.owner_id)
        for account in outside:
            with pytest.raises(NotFoundError):
                require_account_readable(uow, rep, account.id, account.owner_id)
