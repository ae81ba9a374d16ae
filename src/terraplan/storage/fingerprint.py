"""Cheap fingerprints of everything a plan's monitoring reads, to know when a cache is stale.

Two statements of scalar sub-queries (counts, sums and latest ids):

- :func:`monitoring_fingerprint`, the full one: when any record a KPI depends on is added,
  removed or changed through terraplan (imports, rule runs, targets, plan edits), at least one
  of its figures changes. It sums whole record tables (the sales lines' amounts: 15-20 ms on
  the demo's 250,000 lines), so it is for caches of computed data, checked once per use.
- :func:`change_marker`, the per-request one (about a tenth of a millisecond): the plan's own
  figures (version, time of change, rule sets, rule runs, stored results) and the latest
  import run, each one index lookup. terraplan writes the record tables only through imports,
  which add their import run in the same transaction, and sets a plan's targets together with
  its stored targets result (a new ``created_at``), so every write through terraplan changes
  it without scanning a table. Writes that
  bypass terraplan (SQL by hand) change only the full fingerprint: a cache keyed by the marker
  must also check the full fingerprint now and then (the API's monitoring warmer does).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

_PLAN_PARTS = """
  (SELECT version FROM plans WHERE id = :plan_id),
  (SELECT MAX(updated_at) FROM plans WHERE id = :plan_id),
  (SELECT MAX(version) FROM rule_sets WHERE plan_id = :plan_id),
  (SELECT MAX(id) FROM assignment_runs WHERE plan_id = :plan_id),
  (SELECT MAX(created_at) FROM plan_results WHERE plan_id = :plan_id),
  (SELECT MAX(id) FROM import_runs)"""

_FINGERPRINT = f"""
SELECT{_PLAN_PARTS},
  (SELECT COUNT(*) FROM targets WHERE plan_id = :plan_id OR plan_id IS NULL),
  (SELECT SUM(amount) FROM targets WHERE plan_id = :plan_id OR plan_id IS NULL),
  (SELECT COUNT(*) FROM accounts),
  (SELECT SUM(potential) FROM accounts),
  (SELECT COUNT(*) FROM reps),
  (SELECT COUNT(*) FROM leads),
  (SELECT COUNT(*) FROM sales_lines),
  (SELECT SUM(amount) FROM sales_lines),
  (SELECT COUNT(*) FROM opportunities),
  (SELECT SUM(amount) FROM opportunities),
  (SELECT COUNT(*) FROM acquisition_costs),
  (SELECT MAX(id) FROM ownership_periods),
  (SELECT COUNT(*) FROM ownership_periods WHERE valid_to IS NULL)
"""

_MARKER = f"SELECT{_PLAN_PARTS}"

#: Parsed once: the API reads the marker on every hot read.
_FINGERPRINT_QUERY = text(_FINGERPRINT)
_MARKER_QUERY = text(_MARKER)


def monitoring_fingerprint(connection: Connection, plan_id: str) -> tuple[Any, ...]:
    """A tuple that changes whenever the data behind the plan's KPIs changes (first item: the
    plan's version, None when there is no such plan)."""
    row = connection.execute(_FINGERPRINT_QUERY, {"plan_id": plan_id}).one()
    return tuple(row)


def change_marker(connection: Connection, plan_id: str) -> tuple[Any, ...]:
    """A tuple that changes whenever the plan or the records change through terraplan (first
    item: the plan's version, None when there is no such plan); see the module's docstring."""
    row = connection.execute(_MARKER_QUERY, {"plan_id": plan_id}).one()
    return tuple(row)
