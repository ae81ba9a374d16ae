"""The open accounts a plan places in a few of its territories, without aligning the whole book.

A rep's or a manager's account list asks, for each plan they may read, which accounts the plan
places in their territories. Aligning every open account to answer took a second at 120,000
accounts. Here the database first picks the accounts that could be there (a superset):

- those the plan's latest rule run put in one of the territories;
- those pinned (named) to one of them;
- those whose county FIPS (a county plan) or postal code (a ZIP plan) is a geo unit of one of
  them, and those whose code is not written plainly (``94107-1234``, ``2108``, `` 94107 ``,
  ``6075``): the shared alignment reads these, so it decides for them too.

Then :func:`terraplan.planning.alignment.align_accounts`, the one answer, decides for each of
these with the account's own run row, the plan's pins and the territories' geo units: an
account's territory depends on its own fields alone (a pin takes only the account it names),
so the answer is the whole-book alignment's, read for fewer accounts. A plan whose geo units are
custom codes (any text) is aligned whole, as before.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace

import polars as pl
from sqlalchemy import ColumnElement, and_, func, not_, or_, select, union

from terraplan.domain import AlignmentEntry, Plan, RecordKind
from terraplan.planning.alignment import GeoCodeSpace, align_accounts, declared_code_space
from terraplan.services.alignment import plan_alignment_frame, plan_code_space
from terraplan.services.plan_scopes import rows_in_scope
from terraplan.storage import bulk
from terraplan.storage.orm import AccountRow, AlignmentRow, AssignmentRow
from terraplan.storage.unit_of_work import UnitOfWork

_COLUMNS = ["id", "postal_code", "county_fips", "owner_id", "segment", "state"]
#: The rule run's statuses that place an account (``latest_rule_run``'s reading).
_PLACING = ("assigned", "gap", "closed")


def accounts_placed_in(
    uow: UnitOfWork,
    plan: Plan,
    territories: Collection[str],
    *,
    except_owners: Collection[str] = (),
) -> set[str]:
    """Ids of the open accounts the stored ``plan`` (a header is enough) places in one of
    ``territories``: :func:`terraplan.services.alignment.plan_alignment_frame` over every open
    account, filtered to those territories. ``except_owners``: leave out the accounts of these
    owners."""
    shown = sorted(set(territories))
    if not shown:
        return set()
    space = declared_code_space(plan)
    if space is None and _has_geo(uow, plan.id):  # the stored units' kinds decide
        space = plan_code_space(uow, uow.plans.get(plan.id))
    if space == "custom":
        return _whole_book(uow, uow.plans.get(plan.id), shown, except_owners)
    rows = _candidates(uow, plan.id, shown, space, sorted(set(except_owners)))
    frame = pl.DataFrame(
        [r[: len(_COLUMNS)] for r in rows],
        schema=dict.fromkeys(_COLUMNS, pl.String),
        orient="row",
    )
    inside = set(rows_in_scope(uow, plan.scope, frame)["id"].to_list())
    run = {str(r[0]): (r[-1] if r[-2] in _PLACING else None) for r in rows if r[-2] is not None}
    pins = _pins(uow, plan.id)
    geo = uow.plans.alignment_around(plan.id, RecordKind.GEO_UNIT, territories=shown, records=())
    partial = replace(
        plan,
        alignment=tuple(
            [AlignmentEntry(RecordKind.ACCOUNT, a, t) for a, t in sorted(pins.items())]
            + [AlignmentEntry(RecordKind.GEO_UNIT, c, t) for c, t in sorted(geo.items())]
        ),
    )
    result = align_accounts(
        partial,
        [_Located(str(r[0]), r[2], r[1]) for r in rows if r[0] in inside],
        # a pin wins over the run (rule_run_with_pins)
        assignments=run | {a: t for a, t in pins.items() if a in run},
        code_space=space,
    )
    wanted = set(shown)
    return {a for a, t in result.territory_of.items() if t in wanted}


@dataclass(frozen=True, slots=True)
class _Located:
    id: str
    county_fips: str | None
    postal_code: str | None


def _has_geo(uow: UnitOfWork, plan_id: str) -> bool:
    table = AlignmentRow.__table__
    row = uow.connection.execute(
        select(table.c.record_id)
        .where(table.c.plan_id == plan_id, table.c.record_kind == RecordKind.GEO_UNIT.value)
        .limit(1)
    ).first()
    return row is not None


def _pins(uow: UnitOfWork, plan_id: str) -> dict[str, str]:
    table = AlignmentRow.__table__
    rows = uow.connection.execute(
        select(table.c.record_id, table.c.territory_id).where(
            table.c.plan_id == plan_id, table.c.record_kind == RecordKind.ACCOUNT.value
        )
    )
    return {str(a): str(t) for a, t in rows}


def _plain(code: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether a stored code is five characters, a digit at each end and no dot: the shared
    alignment reads such a code as it is (no padding, no ZIP+4 cut, nothing to strip), so an
    exact match in SQL decides for it."""
    return and_(
        func.length(code) == 5,
        func.substr(code, 1, 1).between("0", "9"),
        func.substr(code, 5, 1).between("0", "9"),
        not_(code.contains(".")),
    )


def _candidates(
    uow: UnitOfWork,
    plan_id: str,
    shown: list[str],
    space: GeoCodeSpace | None,
    except_owners: list[str],
) -> list[tuple[str | None, ...]]:
    """The open accounts that could lie in ``shown`` (see the module docstring): their
    ``_COLUMNS``, then their rule-run row's status and territory (None, None outside the run)."""
    accounts = AccountRow.__table__
    run = AssignmentRow.__table__
    aligned = AlignmentRow.__table__
    in_plan = (aligned.c.plan_id == plan_id, aligned.c.territory_id.in_(shown))
    parts = [
        select(run.c.record_id.label("id")).where(
            run.c.plan_id == plan_id,
            run.c.record_kind == RecordKind.ACCOUNT.value,
            run.c.territory_id.in_(shown),
        ),
        select(aligned.c.record_id.label("id")).where(
            *in_plan, aligned.c.record_kind == RecordKind.ACCOUNT.value
        ),
    ]
    if space in ("county", "zip"):
        code = accounts.c.county_fips if space == "county" else accounts.c.postal_code
        units = select(aligned.c.record_id).where(
            *in_plan, aligned.c.record_kind == RecordKind.GEO_UNIT.value
        )
        parts += [  # two parts: the first one uses the code's index
            select(accounts.c.id).where(code.in_(units)),
            select(accounts.c.id).where(code.is_not(None), not_(_plain(code))),
        ]
    joined = accounts.outerjoin(
        run,
        and_(
            run.c.plan_id == plan_id,
            run.c.record_kind == RecordKind.ACCOUNT.value,
            run.c.record_id == accounts.c.id,
        ),
    )
    query = (
        select(*(accounts.c[c] for c in _COLUMNS), run.c.status, run.c.territory_id)
        .select_from(joined)
        .where(accounts.c.id.in_(union(*parts).subquery().select()), accounts.c.closed_on.is_(None))
    )
    if except_owners:
        query = query.where(
            or_(accounts.c.owner_id.is_(None), accounts.c.owner_id.not_in(except_owners))
        )
    return [tuple(row) for row in uow.connection.execute(query).all()]  # text columns


def _whole_book(
    uow: UnitOfWork, plan: Plan, shown: list[str], except_owners: Collection[str]
) -> set[str]:
    """Every open account aligned (a plan of custom geo units: any text may be a code)."""
    frame = pl.from_arrow(bulk.read_open_accounts(uow.connection, ["id", *_COLUMNS[1:4]]))
    assert isinstance(frame, pl.DataFrame)
    frame = frame.filter(
        ~pl.col("owner_id").cast(pl.String).is_in(sorted(except_owners))
        | pl.col("owner_id").is_null()
    )
    placed, _ = plan_alignment_frame(uow, plan, frame)
    return set(placed.filter(pl.col("territory_id").is_in(shown))["account_id"].to_list())
