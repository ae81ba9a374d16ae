"""Which territory an account is in, for a plan: the one answer every use case shares.

Targets, team sizing, matching, KPIs, alerts, priorities and the report all ask it; two
implementations of this question once gave two different revenue figures for the same
territory, so there is exactly one (:func:`align_accounts`) and thin adapters around it.

The answer, in order:

1. the plan's latest rule run (``terraplan rules apply``), when one is given: it is what the
   plan's ownership rules decided for each account, named accounts and exclusions included;
2. else the account's own alignment entry (a named account pinned in the plan);
3. else the plan's geo alignment, matched in the plan's own code space: county FIPS codes
   against the account's county FIPS, ZIP codes against the account's ZIP. The two code
   spaces are never mixed: ZIP 17003 (Pennsylvania) is also the FIPS code of an Illinois
   county.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import polars as pl

from terraplan.domain import Plan, RecordKind

GeoCodeSpace = Literal["county", "zip", "custom"]

#: ``plan.parameters["units"]`` (set by the design) -> the code space of its geo alignment.
_UNITS_PARAMETER: dict[str, GeoCodeSpace] = {
    "counties": "county",
    "county": "county",
    "zips": "zip",
    "zip": "zip",
    "custom": "custom",
}


class LocatedAccount(Protocol):
    """What the alignment reads of an account (``terraplan.domain.Account`` has it)."""

    @property
    def id(self) -> str: ...

    @property
    def county_fips(self) -> str | None: ...

    @property
    def postal_code(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class AccountAlignment:
    """``territory_of``: account id -> leaf territory id (unaligned accounts are absent).

    ``source`` says in words where the answer came from (shown to users next to figures).
    """

    territory_of: dict[str, str]
    source: str
    unaligned: int

    def __len__(self) -> int:
        return len(self.territory_of)


def geo_code_space(
    plan: Plan, stored_kinds: Mapping[str, str] | None = None
) -> GeoCodeSpace | None:
    """The code space of the plan's geo alignment, or None when it has none.

    The design records its units in ``plan.parameters["units"]``; other plans (imported,
    hand-made) are recognised by the kind of their stored geo units (``stored_kinds``: geo
    unit id -> ``"county"``/``"zip"``/``"custom"``), the most common kind winning. A plan with
    neither is taken as county-based, the bundled geography.
    """
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    if not geo:
        return None
    declared = declared_code_space(plan)
    if declared is not None:
        return declared
    if stored_kinds:
        counts: dict[str, int] = {}
        for unit in geo:
            kind = stored_kinds.get(unit)
            if kind is not None:
                counts[str(kind)] = counts.get(str(kind), 0) + 1
        if counts:
            best = max(sorted(counts), key=lambda k: counts[k])
            if best in ("county", "zip", "custom"):
                return best  # type: ignore[return-value]
    return "county"


def declared_code_space(plan: Plan) -> GeoCodeSpace | None:
    """The code space the design recorded in ``plan.parameters["units"]``; None when the
    plan does not say (then :func:`geo_code_space` goes by the stored units' kinds)."""
    units = plan.parameters.get("units")
    if isinstance(units, str) and units in _UNITS_PARAMETER:
        return _UNITS_PARAMETER[units]
    return None


def geo_codes(account: LocatedAccount) -> list[str]:
    """The codes under which each code space's geo alignment would hold ``account`` (county
    FIPS, five-digit ZIP, postal code as stored), as :func:`align_accounts` reads them."""
    codes = []
    if account.county_fips:
        codes.append(str(account.county_fips).strip().zfill(5))
    code = zip5(account.postal_code)
    if code:
        codes.append(code)
    if account.postal_code:
        codes.append(str(account.postal_code).strip())
    return codes


def zip5(postal_code: str | None) -> str | None:
    """The five-digit ZIP of a stored postal code (``"94107-1234"`` -> ``"94107"``), read as
    routing and imports read it (:func:`terraplan.rules.fields.zip5`: ``"0094107"`` is no ZIP,
    not 00941); None when it is not a US ZIP."""
    from terraplan.rules.fields import zip5 as read_zip

    return read_zip(postal_code)


def align_accounts(
    plan: Plan,
    accounts: Iterable[LocatedAccount],
    *,
    assignments: Mapping[str, str | None] | None = None,
    code_space: GeoCodeSpace | None = None,
) -> AccountAlignment:
    """Which leaf territory each account is in, for ``plan`` (see the module docstring).

    ``assignments``: the plan's latest rule run (account id -> territory id, None for a gap),
    or None/empty when the plan's rules were never applied; accounts the run did not see
    (imported after it) fall back to the geo alignment. ``code_space``: the geo
    alignment's code space (:func:`geo_code_space` by default).
    """
    known = {t.id for t in plan.territories}
    space = code_space if code_space is not None else geo_code_space(plan)
    named = plan.alignment_map(RecordKind.ACCOUNT)
    geo = plan.alignment_map(RecordKind.GEO_UNIT)
    run = assignments or {}
    territory_of: dict[str, str] = {}
    unaligned = from_run = 0
    for account in accounts:
        if account.id in run:
            # The rules decided; a gap stays a gap rather than falling back to geography.
            territory = run[account.id]
            from_run += 1
        else:
            territory = named.get(account.id)
            if territory is None and space == "county" and account.county_fips:
                territory = geo.get(str(account.county_fips).strip().zfill(5))
            elif territory is None and space == "zip":
                code = zip5(account.postal_code)
                territory = geo.get(code) if code else None
            elif territory is None and space == "custom" and account.postal_code:
                territory = geo.get(str(account.postal_code).strip())
        if territory is None or territory not in known:
            unaligned += 1
        else:
            territory_of[account.id] = territory
    if from_run:
        return AccountAlignment(territory_of, "the plan's latest rule run", unaligned)
    where = {
        "county": "the plan's geo alignment, by each account's county",
        "zip": "the plan's geo alignment, by each account's ZIP code",
        "custom": "the plan's geo alignment, by each account's postal code",
    }.get(space or "", "the plan's named accounts")
    return AccountAlignment(territory_of, where, unaligned)


def account_territories(
    plan: Plan,
    accounts: Iterable[LocatedAccount],
    *,
    assignments: Mapping[str, str | None] | None = None,
    code_space: GeoCodeSpace | None = None,
) -> dict[str, str]:
    """``account id -> leaf territory id`` (:func:`align_accounts`, mapping only)."""
    return align_accounts(
        plan, accounts, assignments=assignments, code_space=code_space
    ).territory_of


@dataclass(frozen=True, slots=True)
class _Row:
    id: str
    county_fips: str | None
    postal_code: str | None


def alignment_frame(
    plan: Plan,
    accounts: pl.DataFrame,
    *,
    assignments: Mapping[str, str | None] | None = None,
    code_space: GeoCodeSpace | None = None,
) -> tuple[pl.DataFrame, str]:
    """The alignment as a frame ``account_id, territory_id`` (String), and its source.

    ``accounts`` needs the columns ``id``, ``county_fips`` and ``postal_code`` (the last two
    may be absent: then they count as missing).
    """
    ids = accounts["id"].cast(pl.String).to_list()
    counties = (
        accounts["county_fips"].cast(pl.String).to_list()
        if "county_fips" in accounts.columns
        else [None] * len(ids)
    )
    zips = (
        accounts["postal_code"].cast(pl.String).to_list()
        if "postal_code" in accounts.columns
        else [None] * len(ids)
    )
    rows = (_Row(i, c, z) for i, c, z in zip(ids, counties, zips, strict=True))
    result = align_accounts(plan, rows, assignments=assignments, code_space=code_space)
    frame = pl.DataFrame(
        {
            "account_id": list(result.territory_of),
            "territory_id": list(result.territory_of.values()),
        },
        schema={"account_id": pl.String, "territory_id": pl.String},
    )
    return frame, result.source
