"""A HubSpot deal whose primary company is blank, read from its only associated company.

HubSpot's deal export names a deal's company twice: ``Associated Company IDs (Primary)``
(one id, read as ``account_id``) and ``Associated Company IDs`` (every company of the deal,
``;``-separated; left out as the second column of the field). Deals made before HubSpot had
primary associations, or by an integration, often leave the primary blank while the list
holds their one company: such a row is read with that company, said in one warning. A
blank primary with several companies listed stays blank (which of them owns the deal is
not written) and the import refuses the row, naming both columns.
"""

from __future__ import annotations

from dataclasses import replace

import polars as pl

from terraplan.io.mapping import normalize_header
from terraplan.io.readers import ROW, SourceTable
from terraplan.io.report import counted, short

#: The primary company column as ``normalize_header`` writes it.
PRIMARY_HEADERS = frozenset({"associatedcompanyidsprimary", "associatedcompanyids(primary)"})
#: The list of every associated company, as ``normalize_header`` writes it.
LIST_HEADER = "associatedcompanyids"


def with_only_associated_company(table: SourceTable) -> SourceTable:
    """``table`` with each blank primary company filled from a list naming one company
    (opportunities only; other tables, and files without both columns, are unchanged)."""
    primary = table.columns.fields.get("account_id")
    if table.kind != "opportunities" or primary is None:
        return table
    if normalize_header(primary) not in PRIMARY_HEADERS:
        return table
    listed = next((h for h in table.columns.ignored if normalize_header(h) == LIST_HEADER), None)
    frame = table.frame
    if listed is None or listed not in frame.columns or primary not in frame.columns:
        return table
    companies = (
        pl.col(listed).str.split(";").list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )  # fmt: skip
    blank = pl.col(primary).is_null() | (pl.col(primary).str.strip_chars() == "")
    filling = (blank & (companies.list.len() == 1)).fill_null(False)
    chosen = frame.filter(filling).select(ROW, companies.list.first().alias("company"))
    if not chosen.height:
        return table
    filled = frame.with_columns(
        pl.when(filling).then(companies.list.first()).otherwise(pl.col(primary)).alias(primary)
    )
    row, company = chosen.row(0)
    # counts first, example in "(e.g. …)": the batches of a table import add them up
    warning = (
        f"{counted(chosen.height, 'opportunity', 'opportunities')} with a blank"
        f" {short(primary)!r} read the one company {short(listed)!r} names, a column read"
        f" only there (e.g. row {row}: {short(company)!r})"
    )
    # the mapping's "both give field 'account_id' … is ignored" is no longer true: this says it
    left_out = f"columns {short(primary)!r} and {short(listed)!r} both give field"
    kept = tuple(w for w in table.warnings if not w.startswith(left_out))
    return replace(table, frame=filled, warnings=(*kept, warning))
