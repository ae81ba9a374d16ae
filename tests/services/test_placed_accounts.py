"""A rep's or a manager's account list aligns only the accounts that could be theirs.

``accounts_in_read_territories`` (``GET /accounts`` for managers and reps) used to align every
open account of the book in every plan the caller may read (a second per request at 120,000
accounts). It now lets the database pick the accounts that could lie in the caller's
territories. These tests compare its answer with the whole-book alignment (the shared
``plan_alignment_frame`` over every open account, as the list computed it before) for every
kind of user, on a messy book: ZIP+4, lost leading zeros, padded and dotted codes, no address,
closed accounts, pins inside and outside the rule run, gaps, conflicts, shared and unowned
territories, a scoped plan, a plan never applied, a past plan, a plan of custom geo codes.
"""

from __future__ import annotations

import random

import polars as pl
import pytest

from terraplan.domain import Account, AlignmentEntry, Plan, RecordKind
from terraplan.domain.access import Action
from terraplan.services.access import Principal, plan_resource, visible_territories
from terraplan.services.account_reach import accounts_in_read_territories
from terraplan.services.alignment import plan_alignment_frame
from terraplan.storage import bulk
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .test_account_reach import PLACES, REPS, _principals, _store


def _whole_book(
    uow: UnitOfWork, principal: Principal, except_owners: frozenset[str]
) -> frozenset[str]:
    """The list's former answer: every open account aligned in every readable plan."""
    frame = pl.from_arrow(
        bulk.read_open_accounts(uow.connection, ["id", "postal_code", "county_fips", "owner_id"])
    )
    assert isinstance(frame, pl.DataFrame)
    accounts = frame.filter(
        ~pl.col("owner_id").cast(pl.String).is_in(sorted(except_owners))
        | pl.col("owner_id").is_null()
    )
    found: set[str] = set()
    for row in uow.plans.list():
        plan = uow.plans.get(row.id)
        resource, territories = plan_resource(uow, plan)
        if not principal.can(Action.READ, resource):
            continue
        shown = visible_territories(principal, territories)
        if shown:
            placed, _ = plan_alignment_frame(uow, plan, accounts)
            inside = placed.filter(pl.col("territory_id").is_in(sorted(shown)))
            found.update(inside["account_id"].to_list())
    return frozenset(found)


def _odd_codes(db: Database, seed: int) -> None:
    """Codes as odd as stores hold them, and a plan of custom geo codes."""
    rng = random.Random(seed)
    odd = []
    for i, code in enumerate(sorted(PLACES) * 2):
        fips = PLACES[code]
        postal = rng.choice([f"\t{code}", f"{code.lstrip('0')}.0", f"{code}1234", code + " ", ""])
        bare = fips.lstrip("0")  # a county column holds 5 characters at most
        county = rng.choice([f" {fips[1:]}", f"{fips[1:]} ", f"{bare[:3]}.0", bare, fips, None])
        odd.append(
            Account(
                f"001B0000{i:07d}",
                f"Odd {i}",
                postal_code=postal or None,
                county_fips=county,
                owner_id=rng.choice([r.id for r in REPS] + [None]),
            )
        )
    with UnitOfWork(db) as uow:
        uow.accounts.add_many(odd)
        source = uow.plans.get("FY27")
        custom = Plan(
            id="CUSTOM",
            name="CUSTOM",
            territories=source.territories,
            alignment=tuple(
                AlignmentEntry(RecordKind.GEO_UNIT, code, rng.choice(source.leaves()).id)
                for code in [*sorted(PLACES), " 94107", "94107-1234"]
            ),
            parameters={"units": "custom"},
        )
        uow.plans.add(custom)
        uow.commit()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_list_reads_what_the_whole_book_alignment_gives(db: Database, seed: int) -> None:
    _store(db, seed)
    _odd_codes(db, seed)
    seen = 0
    with UnitOfWork(db) as uow:
        for principal in _principals():
            user = principal.user
            mine = frozenset({user.rep_id} if user.rep_id else set())
            region = frozenset(r.id for r in REPS if user.region and r.region == user.region)
            for except_owners in (frozenset(), mine, mine | region):
                new = accounts_in_read_territories(uow, principal, except_owners=except_owners)
                old = _whole_book(uow, principal, except_owners)
                assert new == old, (user.username, sorted(except_owners), new ^ old)
                seen += len(new)
    assert seen > 0  # the book is not trivially hidden from everyone
