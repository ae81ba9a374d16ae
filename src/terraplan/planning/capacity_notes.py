"""What an alert report says of reps the capacity check could not judge: reps who carry a
load (accounts, hours of workload) and whom the rep data gives no capacity, named with their
load, once. A CRM export with no capacity columns and no workload still hears that capacity
went unchecked (it was passed as fine without a word)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from terraplan.planning.kpi_inputs import KpiInputs, optional_columns

#: Reps named in a note; more are counted.
SHOWN_REPS = 5


def capacity_notes(inputs: KpiInputs, capacity: pl.DataFrame) -> list[str]:
    """The note naming the reps that carry accounts or workload and have no capacity
    (status ``unknown`` in a :func:`~terraplan.planning.kpi_balance.rep_capacity` frame),
    heaviest first, each with their load: accounts, and hours when any rep carries
    workload. Empty when every such rep was checked."""
    loaded = capacity.filter((pl.col("workload") > 0) | (pl.col("account_count") > 0))
    unknown = loaded.filter(pl.col("status") == "unknown")
    if unknown.is_empty():
        return []
    hours = bool((loaded["workload"] > 0).any())
    names = _rep_names(inputs)
    rows = sorted(
        unknown.iter_rows(named=True),
        key=lambda r: (-r["workload"], -r["account_count"], names.get(str(r["rep_id"]), "")),
    )
    shown = "; ".join(
        f"{names.get(str(r['rep_id'])) or r['rep_id']} ({_load(r, hours=hours)})"
        for r in rows[:SHOWN_REPS]
    ) + (f"; {len(rows) - SHOWN_REPS:,} more" if len(rows) > SHOWN_REPS else "")
    if unknown.height == loaded.height:
        how = (
            "import them; `terraplan capacity` sizes the team from the workload instead"
            if hours
            else "import them"
        )
        return [
            # one sentence, no short topic before a colon: the CLI prints it whole
            "rep capacity was not checked, as the rep data gives no capacity_hours or "
            f"capacity_accounts; the reps' load: {shown} ({how})"
        ]
    count = f"{len(rows):,} reps" if len(rows) != 1 else "1 rep"
    return [
        f"rep capacity was not checked for {count} with no capacity_hours or capacity_accounts "
        f"in the rep data: {shown} (import their capacity)"
    ]


def _load(row: Mapping[str, Any], *, hours: bool) -> str:
    """``18 accounts`` or, when reps carry workload, ``18 accounts, 340 h``."""
    accounts = float(row["account_count"] or 0.0)
    text = f"{accounts:,.0f} account{'' if accounts == 1 else 's'}"
    if hours:
        text += f", {float(row['workload'] or 0.0):,.0f} h"
    return text


def _rep_names(inputs: KpiInputs) -> dict[str, str]:
    reps = inputs.frame("reps")
    if reps is None:
        return {}
    frame = optional_columns(reps, ("name",)).collect()
    return {str(i): str(n) for i, n in zip(frame["id"], frame["name"], strict=True) if n}
