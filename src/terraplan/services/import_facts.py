"""What an import's validation needs to know of storage, read in one place.

The io layer checks a file against the stored records without importing storage: this module
reads what it needs and hands it over (:class:`StoredFacts`, the keyword arguments of
:func:`terraplan.io.validation.validate`):

- the lengths of the kind's text columns, from the storage schema (their one source), so that a
  value too long is a row error on SQLite as on PostgreSQL;
- the stored parent/manager links of the kind, so that a cycle through stored records is found;
- for geo units, the kind and name of each stored unit the file names, so that a unit of
  another kind does not replace it;
- for an opportunity file of ids and amounts without a stage or won flag, how each stored deal
  it names reads (won, lost, open), so that a credit on a stored won deal is kept;
- for accounts and leads, the stored custom areas their postal codes name, so that a code with
  no country is not read as a US ZIP outside its area, and how the stored accounts spell each
  segment and industry, so that the file's rows are written in the same spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl
from sqlalchemy import select

from terraplan.io.readers import SourceTable
from terraplan.io.spellings import GROUPING_FIELDS
from terraplan.io.stored_checks import SELF_REFERENCES
from terraplan.storage.bulk import read_geo_kinds, read_links, read_value_counts, text_limits
from terraplan.storage.database import Database
from terraplan.storage.orm import OpportunityRow


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """Arguments of :func:`terraplan.io.validation.validate` read from storage (same names)."""

    text_limits: Mapping[str, int] = field(default_factory=dict)
    stored_links: Mapping[str, str] = field(default_factory=dict)
    stored_units: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: Stored custom areas (geo units of kind ``custom``) whose id is a postal code of the
    #: accounts or leads: id -> name (see :func:`terraplan.io.custom_areas.check_custom_areas`).
    custom_areas: Mapping[str, str] = field(default_factory=dict)
    #: How the stored accounts spell each segment, industry and customer type (see
    #: :mod:`terraplan.io.spellings`).
    spellings: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def stored_facts(db: Database, kind: str, table: SourceTable | None = None) -> StoredFacts:
    """The facts for importing ``kind``; ``table`` (a file, or a batch) names the geo units
    to look up (without it, none are)."""
    limits = text_limits(kind)
    links: dict[str, str] = {}
    units: dict[str, tuple[str, str]] = {}
    entry = SELF_REFERENCES.get(kind)
    maps_link = table is None or (entry is not None and entry[0] in table.columns.fields)
    with db.connect() as connection:
        if entry is not None and maps_link:
            links = read_links(connection, kind, entry[0])
        if kind == "geo_units" and table is not None:
            units = read_geo_kinds(connection, unit_ids(table))
    areas = custom_areas(db, kind, table) if table is not None else {}
    return StoredFacts(limits, links, units, areas, stored_spellings(db, kind))


def stored_spellings(db: Database, kind: str) -> Mapping[str, Mapping[str, int]]:
    """How the stored accounts and leads spell the grouping fields an import of ``kind``
    writes (one industry name for both)."""
    if kind not in GROUPING_FIELDS:
        return {}
    counts: dict[str, dict[str, int]] = {}
    with db.connect() as connection:
        for table, fields in GROUPING_FIELDS.items():
            wanted = [f for f in fields if f in GROUPING_FIELDS[kind]]
            for field, values in read_value_counts(connection, table, wanted).items():
                into = counts.setdefault(field, {})
                for value, n in values.items():
                    into[value] = into.get(value, 0) + n
    return counts


def custom_areas(db: Database, kind: str, table: SourceTable) -> Mapping[str, str]:
    """The stored custom areas (id -> name) whose id is a postal code of ``table``'s accounts
    or leads (as typed, trimmed)."""
    codes = _postal_codes(kind, table)
    if not codes:
        return {}
    with db.connect() as connection:
        found = read_geo_kinds(connection, codes)
    return {code: name for code, (unit_kind, name) in found.items() if unit_kind == "custom"}


def area_centres(db: Database, kind: str, table: SourceTable) -> Mapping[str, tuple[float, float]]:
    """The centres (latitude, longitude) of the stored custom areas whose id is a postal code
    of ``table``'s accounts or leads: a row abroad without coordinates is placed there."""
    codes = _postal_codes(kind, table)
    if not codes:
        return {}
    from terraplan.storage.bulk import read_area_centres

    with db.connect() as connection:
        return read_area_centres(connection, codes)


def _postal_codes(kind: str, table: SourceTable) -> list[str]:
    """The distinct postal codes (trimmed) of an accounts or leads table (none otherwise)."""
    column = table.columns.fields.get("postal_code") if kind in ("accounts", "leads") else None
    if column is None:
        return []
    return table.frame[column].drop_nulls().cast(pl.String).str.strip_chars().unique().to_list()


def unit_ids(table: SourceTable) -> list[str]:
    """The ids a geo units table names (stripped, as validation reads them)."""
    column = table.columns.fields.get("id")
    if column is None:
        return []
    values = table.frame[column].drop_nulls().cast(pl.String).str.strip_chars()
    return values.unique().to_list()


def more_units(db: Database, table: SourceTable) -> Mapping[str, tuple[str, str]]:
    """The stored geo units a further batch names."""
    with db.connect() as connection:
        return read_geo_kinds(connection, unit_ids(table))


def stored_deal_readings(
    db: Database, table: SourceTable, forms: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Stored opportunity id -> ``won``, ``lost`` or ``open``, for the ids an opportunity
    ``table`` names when it has an amount but neither a stage nor a won flag (a file of
    ids and amounts updating stored deals: their stored reading stays, and says whether a
    negative amount is a credit). ``forms``: the file's ids whose other Salesforce form is
    stored (:func:`terraplan.services.id_forms.stored_id_forms`). Empty otherwise."""
    fields = table.columns.fields
    if table.kind != "opportunities" or "amount" not in fields:
        return {}
    if "stage" in fields or "is_won" in fields:
        return {}
    ids = sorted({*unit_ids(table), *(forms or {}).values()})
    found: dict[str, str] = {}
    with db.connect() as connection:
        for start in range(0, len(ids), 5_000):  # bound the IN list (SQLite, PostgreSQL)
            query = select(
                OpportunityRow.id, OpportunityRow.is_closed, OpportunityRow.is_won
            ).where(OpportunityRow.id.in_(ids[start : start + 5_000]))
            for ident, closed, won in connection.execute(query):
                found[str(ident)] = "won" if won else "lost" if closed else "open"
    return found
