"""What an alert report says of reps the capacity check could not judge: reps who carry a
load (accounts, hours of workload) and whom the rep data gives no capacity, named with their
load, once. A CRM export with no capacity columns and no workload still hears that capacity
went unchecked (it was passed as fine without a word).

The reps and their loads are kept (:class:`CapacityGap`), so that a manager or a rep, who
sees part of the plan, is told of the reps they see only: the company-wide note names every
rep of the company with their book."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

from terraplan.planning.kpi_inputs import KpiInputs, optional_columns

#: Reps named in a note; more are counted.
SHOWN_REPS = 5


@dataclass(frozen=True)
class RepLoad:
    """A rep with a load and no capacity: accounts, and hours of workload."""

    rep_id: str
    name: str
    accounts: float
    hours: float


@dataclass(frozen=True)
class CapacityGap:
    """The reps the capacity check could not judge, heaviest first."""

    #: Reps with a load and no capacity, heaviest first.
    unknown: tuple[RepLoad, ...] = ()
    #: Reps with a load, capacity known or not.
    loaded: frozenset[str] = frozenset()
    #: Whether any rep carries hours of workload (the loads then say them).
    hours: bool = False

    def notes(self, reps: Collection[str] | None = None) -> list[str]:
        """The note naming the unchecked reps with their load; with ``reps``, those reps
        only (a manager's or a rep's view): no other rep is named or counted. Empty when
        every such rep was checked."""
        unknown = [r for r in self.unknown if reps is None or r.rep_id in reps]
        if not unknown:
            return []
        loaded = self.loaded if reps is None else self.loaded & frozenset(reps)
        shown = "; ".join(
            f"{r.name} ({_load(r, hours=self.hours)})" for r in unknown[:SHOWN_REPS]
        ) + (f"; {len(unknown) - SHOWN_REPS:,} more" if len(unknown) > SHOWN_REPS else "")
        if len(unknown) == len(loaded):
            how = (
                "import them; `terraplan capacity` sizes the team from the workload instead"
                if self.hours
                else "import them"
            )
            return [
                # one sentence, no short topic before a colon: the CLI prints it whole
                "rep capacity was not checked, as the rep data gives no capacity_hours or "
                f"capacity_accounts; the reps' load: {shown} ({how})"
            ]
        count = f"{len(unknown):,} reps" if len(unknown) != 1 else "1 rep"
        return [
            f"rep capacity was not checked for {count} with no capacity_hours or "
            f"capacity_accounts in the rep data: {shown} (import their capacity)"
        ]


def capacity_gap(inputs: KpiInputs, capacity: pl.DataFrame) -> CapacityGap:
    """The reps that carry accounts or workload and have no capacity (status ``unknown`` in
    a :func:`~terraplan.planning.kpi_balance.rep_capacity` frame), heaviest first, each with
    their load."""
    loaded = capacity.filter((pl.col("workload") > 0) | (pl.col("account_count") > 0))
    unknown = loaded.filter(pl.col("status") == "unknown")
    names = _rep_names(inputs) if not unknown.is_empty() else {}
    rows = sorted(
        unknown.iter_rows(named=True),
        key=lambda r: (-r["workload"], -r["account_count"], names.get(str(r["rep_id"]), "")),
    )
    return CapacityGap(
        unknown=tuple(
            RepLoad(
                rep_id=str(r["rep_id"]),
                name=names.get(str(r["rep_id"])) or str(r["rep_id"]),
                accounts=float(r["account_count"] or 0.0),
                hours=float(r["workload"] or 0.0),
            )
            for r in rows
        ),
        loaded=frozenset(str(r) for r in loaded["rep_id"].to_list()),
        hours=bool((loaded["workload"] > 0).any()),
    )


def capacity_notes(inputs: KpiInputs, capacity: pl.DataFrame) -> list[str]:
    """The note naming the reps that carry accounts or workload and have no capacity,
    heaviest first, each with their load: accounts, and hours when any rep carries
    workload. Empty when every such rep was checked."""
    return capacity_gap(inputs, capacity).notes()


def _load(row: RepLoad, *, hours: bool) -> str:
    """``18 accounts`` or, when reps carry workload, ``18 accounts, 340 h``."""
    text = f"{row.accounts:,.0f} account{'' if row.accounts == 1 else 's'}"
    if hours:
        text += f", {row.hours:,.0f} h"
    return text


def _rep_names(inputs: KpiInputs) -> dict[str, str]:
    reps = inputs.frame("reps")
    if reps is None:
        return {}
    frame = optional_columns(reps, ("name",)).collect()
    return {str(i): str(n) for i, n in zip(frame["id"], frame["name"], strict=True) if n}


__all__ = ["CapacityGap", "RepLoad", "capacity_gap", "capacity_notes"]
