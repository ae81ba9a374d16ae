"""Coverage audit of a rule set against accounts (and optionally a sample of leads).

Reports gaps, conflicts, rules matching nothing, rules fully shadowed by higher-priority ones,
and counts and potential per territory. Runs on the vectorised batch path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from terraplan.rules.batch import as_frame, assign_frame
from terraplan.rules.fields import ZipLookup
from terraplan.rules.model import RuleSet

SAMPLE = 20


@dataclass(frozen=True, slots=True)
class TerritoryTally:
    territory_id: str
    name: str
    type: str
    records: int
    potential: float
    overlay_records: int = 0


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Coverage of one record population (accounts or leads).

    ``gap_ids``/``conflict_ids`` are samples (at most 20 ids each). A rule is *unused* when no
    record satisfies it; *shadowed* when records satisfy it but every one of them was decided
    by a higher-ranked rule (never winning, never in a conflict).
    """

    population: str
    records: int
    assigned: int
    gaps: int
    gaps_to_catch_all: int
    conflicts: int
    gap_ids: tuple[str, ...]
    conflict_ids: tuple[str, ...]
    unused_rules: tuple[str, ...]
    shadowed_rules: tuple[str, ...]
    unused_overlays: tuple[str, ...]
    territories: tuple[TerritoryTally, ...]
    rule_matches: dict[str, int] = field(default_factory=dict)
    rule_wins: dict[str, int] = field(default_factory=dict)
    #: The territories each listed conflict (``conflict_ids``) is claimed by.
    conflict_territories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def coverage(self) -> float:
        """Share of records with exactly one primary territory decided by a rule (0..1)."""
        return (
            1.0 if self.records == 0 else (self.records - self.gaps - self.conflicts) / self.records
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "population": self.population,
            "records": self.records,
            "assigned": self.assigned,
            "coverage": self.coverage,
            "gaps": self.gaps,
            "gaps_to_catch_all": self.gaps_to_catch_all,
            "conflicts": self.conflicts,
            "gap_ids": list(self.gap_ids),
            "conflict_ids": list(self.conflict_ids),
            "conflict_territories": {k: list(v) for k, v in self.conflict_territories.items()},
            "unused_rules": list(self.unused_rules),
            "shadowed_rules": list(self.shadowed_rules),
            "unused_overlays": list(self.unused_overlays),
            "territories": [
                {
                    "territory_id": t.territory_id,
                    "name": t.name,
                    "type": t.type,
                    "records": t.records,
                    "potential": t.potential,
                    "overlay_records": t.overlay_records,
                }
                for t in self.territories
            ],
            "rule_matches": dict(self.rule_matches),
            "rule_wins": dict(self.rule_wins),
        }


@dataclass(frozen=True, slots=True)
class AuditReport:
    """The audit of a rule set: ``accounts`` and, when leads were given, ``leads``."""

    rule_set_name: str | None
    rules: int
    overlays: int
    accounts: CoverageReport
    leads: CoverageReport | None = None

    @property
    def ok(self) -> bool:
        """No gaps (other than to the catch-all) and no conflicts in any population."""
        reports = [self.accounts] + ([self.leads] if self.leads else [])
        return all(r.conflicts == 0 and r.gaps == r.gaps_to_catch_all for r in reports)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set_name,
            "rules": self.rules,
            "overlays": self.overlays,
            "ok": self.ok,
            "accounts": self.accounts.to_dict(),
            "leads": self.leads.to_dict() if self.leads else None,
        }


def coverage(
    data: Any,
    rule_set: RuleSet,
    population: str = "accounts",
    *,
    locate: ZipLookup | None = None,
) -> CoverageReport:
    """Coverage of one table of records (frame, Arrow table or records).

    With ``locate``, missing county FIPS, state and coordinates are filled from the ZIP first
    (as routing does).
    """
    import polars as pl

    table = as_frame(data)
    result, stats = assign_frame(table, rule_set, locate=locate)
    potential = (
        table.get_column("potential").cast(pl.Float64, strict=False).fill_null(0.0)
        if "potential" in table.columns
        else pl.Series("potential", [0.0] * result.height, dtype=pl.Float64)
    )
    result = result.with_columns(potential.alias("potential"))
    gaps = result.filter(pl.col("gap"))
    conflicts = result.filter(pl.col("conflict"))
    per = (
        result.filter(pl.col("territory_id").is_not_null())
        .group_by("territory_id")
        .agg(pl.len().alias("records"), pl.col("potential").sum().alias("potential"))
    )
    counts = {row["territory_id"]: row for row in per.iter_rows(named=True)}
    overlay_counts = (
        result.select(pl.col("overlays").explode().alias("t")).drop_nulls().group_by("t").len()
    )
    ocount = {row["t"]: row["len"] for row in overlay_counts.iter_rows(named=True)}
    tallies = tuple(
        TerritoryTally(
            t.id,
            t.name,
            t.type.value,
            int(counts[t.id]["records"]) if t.id in counts else 0,
            float(counts[t.id]["potential"]) if t.id in counts else 0.0,
            int(ocount.get(t.id, 0)),
        )
        for t in rule_set.territories.values()
    )
    conflict_ids = tuple(str(x) for x in conflicts.get_column("id").head(SAMPLE).to_list())
    unused = tuple(r for r, n in zip(stats.rule_ids, stats.matched, strict=True) if n == 0)
    shadowed = tuple(
        r
        for r, n, w, c in zip(
            stats.rule_ids, stats.matched, stats.won, stats.in_conflict, strict=True
        )
        if n > 0 and w == 0 and c == 0
    )
    return CoverageReport(
        population=population,
        records=result.height,
        assigned=int(result.get_column("territory_id").is_not_null().sum()),
        gaps=gaps.height,
        gaps_to_catch_all=int(gaps.get_column("territory_id").is_not_null().sum()),
        conflicts=conflicts.height,
        gap_ids=tuple(str(x) for x in gaps.get_column("id").head(SAMPLE).to_list()),
        conflict_ids=conflict_ids,
        unused_rules=unused,
        shadowed_rules=shadowed,
        unused_overlays=tuple(o for o, n in stats.overlay_matched.items() if n == 0),
        territories=tallies,
        rule_matches=dict(zip(stats.rule_ids, stats.matched, strict=True)),
        rule_wins=dict(zip(stats.rule_ids, stats.won, strict=True)),
        conflict_territories=clashes(table, conflict_ids, rule_set, locate=locate),
    )


def clashes(
    table: Any, ids: Sequence[str], rule_set: RuleSet, *, locate: ZipLookup | None = None
) -> dict[str, tuple[str, ...]]:
    """The territories that claim each record of ``ids`` (conflicts of ``table``) at the same
    priority, as :func:`~terraplan.rules.route` names them."""
    import polars as pl

    from terraplan.rules.evaluate import route
    from terraplan.rules.index import RuleIndex

    if not ids:
        return {}
    frame = as_frame(table)
    rows = frame.filter(pl.col("id").cast(pl.Utf8).is_in(list(ids))).to_dicts()
    index = RuleIndex(rule_set)
    found = {
        str(row["id"]): route(row, rule_set, locate=locate, index=index).conflict_territories
        for row in rows
    }
    return {i: found[i] for i in ids if i in found}


def audit_rule_set(
    accounts: Any,
    rule_set: RuleSet,
    leads: Any | None = None,
    *,
    locate: ZipLookup | None = None,
) -> AuditReport:
    """Audit a rule set against accounts (and a sample of leads); ``to_dict()`` is JSON-ready.

    ``locate`` fills missing county FIPS/state/coordinates from ZIPs, as routing does.
    """
    return AuditReport(
        rule_set_name=rule_set.name,
        rules=len(rule_set.rules),
        overlays=len(rule_set.overlays),
        accounts=coverage(accounts, rule_set, "accounts", locate=locate),
        leads=coverage(leads, rule_set, "leads", locate=locate) if leads is not None else None,
    )
