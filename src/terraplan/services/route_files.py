"""Route a whole file of leads (a CRM's Lead export, a web-form dump): each lead's territory,
owner and why, as ``terraplan route`` and ``POST /route/batch`` give them one by one.

The file is read and checked as ``terraplan import leads`` reads it (Salesforce column names,
states and ZIPs normalised, bad rows named), so a lead routes the same from the file as
imported; leads the CRM deleted (``IsDeleted`` true) are left out. Nothing is stored but the
routing turns of territories with several primary reps, taken in the file's order, as the API's
batch takes them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terraplan.errors import DataError
from terraplan.io.readers import read_table
from terraplan.io.records import iter_records
from terraplan.io.report import ImportReport, counted
from terraplan.io.validation import validate
from terraplan.services.import_facts import area_centres, stored_facts
from terraplan.services.routing import OwnerMethod, Routed, RoutingCache, route_record
from terraplan.storage.database import Database

#: The columns of the routed file, in order.
ROUTED_COLUMNS = (
    "id",
    "company",
    "postal_code",
    "state",
    "country",
    "industry",
    "territory_id",
    "territory",
    "owner_id",
    "owner",
    "rule_id",
    "explanation",
    "overlay_owners",
    "notes",
)


@dataclass(frozen=True)
class RoutedFile:
    """Every lead of a file with its territory and owner (``rows``, in the file's order)."""

    plan_id: str | None
    rows: list[dict[str, Any]]
    report: ImportReport
    notes: list[str] = field(default_factory=list)

    @property
    def unplaced(self) -> int:
        """Leads no rule placed and no catch-all took (a conflict, or a gap)."""
        return sum(1 for row in self.rows if row["territory_id"] is None)

    def owner_counts(self) -> list[tuple[str, str, int]]:
        """``(territory, owner, leads)`` per territory and owner, most leads first."""
        counts = Counter(
            (row["territory"] or "(none)", row["owner"] or "(vacant)") for row in self.rows
        )
        return [(t, o, n) for (t, o), n in counts.most_common()]


def route_file(
    db: Database,
    path: str | Path,
    *,
    plan_id: str | None = None,
    scope: str | None = None,
    method: OwnerMethod = "round_robin",
    mapping: str | Path | None = None,
) -> RoutedFile:
    """Route every lead of ``path`` with the plan (default: the active one of ``scope``).

    Raises :class:`DataError` (``details["report"]``) when a row is bad: nothing is routed
    then, as an import writes nothing (fix the file, or import it with ``--on-error skip``).
    """
    table = read_table(path, "leads", mapping=mapping)
    facts = stored_facts(db, "leads", table)
    loaded = validate(  # as an import checks it (custom areas, spellings, text limits)
        table,
        text_limits=facts.text_limits,
        custom_areas=facts.custom_areas,
        area_centres=area_centres(db, "leads", table),
        spellings=facts.spellings,
    )
    report = loaded.report
    if report.file_errors or not report.ok:
        first = (report.file_errors or report.errors)[0]
        raise DataError(
            f"{counted(report.rejected, 'row')} of {report.file} cannot be read as leads, "
            f"first: {first}; nothing was routed",
            details={"file": report.file, "report": report.to_dict()},
        )
    # validation leaves out the leads the CRM deleted (IsDeleted), naming their ids
    frame = loaded.frame
    deleted_ids = [str(i) for i in report.details.get("removed_ids") or []]
    cache: RoutingCache = {}
    rows: list[dict[str, Any]] = []
    used_plan: str | None = None
    for record in iter_records(frame):
        routed = route_record(
            db, _routable(record), plan_id=plan_id, scope=scope, method=method, rule_cache=cache
        )
        used_plan = routed.plan_id
        rows.append(_row(record, routed))
    notes = []
    if deleted_ids:
        sample = ", ".join(deleted_ids[:3]) + (", ..." if len(deleted_ids) > 3 else "")
        notes.append(
            f"{counted(len(deleted_ids), 'lead')} of the file "
            f"{'is' if len(deleted_ids) == 1 else 'are'} deleted in the CRM (IsDeleted true: "
            f"{sample}): not routed"
        )
    return RoutedFile(used_plan, rows, report, notes)


def _routable(record: dict[str, Any]) -> dict[str, Any]:
    """The record as ``route_record`` reads a lead: ``name`` is its company."""
    found = {k: v for k, v in record.items() if v is not None and v != {}}
    found["name"] = found.get("company")
    return found


def _row(record: dict[str, Any], routed: Routed) -> dict[str, Any]:
    result = routed.result
    overlays = "; ".join(
        f"{o.territory_name or o.territory_id}: {o.owner_name or o.owner_id or 'nobody yet'}"
        for o in routed.overlays
    )
    return {
        "id": record.get("id"),
        "company": record.get("company"),
        "postal_code": record.get("postal_code"),
        "state": record.get("state"),
        "country": record.get("country"),
        "industry": record.get("industry"),
        "territory_id": result.territory_id,
        "territory": routed.territory_name,
        "owner_id": routed.owner_id,
        "owner": routed.owner_name,
        "rule_id": result.rule_id,
        "explanation": result.explanation,
        "overlay_owners": overlays or None,
        "notes": "; ".join(routed.notes) or None,
    }
