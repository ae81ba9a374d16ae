"""A cheap fingerprint of everything a plan's monitoring reads, to know when a cache is stale.

One statement of scalar sub-queries (counts, sums and latest ids): when any record a KPI
depends on is added, removed or changed through terraplan (imports, rule runs, targets,
plan edits), at least one of these figures changes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

_FINGERPRINT = """
SELECT
  (SELECT version FROM plans WHERE id = :plan_id),
  (SELECT MAX(updated_at) FROM plans WHERE id = :plan_id),
  (SELECT MAX(version) FROM rule_sets WHERE plan_id = :plan_id),
  (SELECT MAX(id) FROM assignment_runs WHERE plan_id = :plan_id),
  (SELECT MAX(created_at) FROM plan_results WHERE plan_id = :plan_id),
  (SELECT COUNT(*) FROM targets WHERE plan_id = :plan_id),
  (SELECT SUM(amount) FROM targets WHERE plan_id = :plan_id),
  (SELECT MAX(id) FROM import_runs),
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


def monitoring_fingerprint(connection: Connection, plan_id: str) -> tuple[Any, ...]:
    """A tuple that changes whenever the data behind the plan's KPIs changes."""
    row = connection.execute(text(_FINGERPRINT), {"plan_id": plan_id}).one()
    return tuple(row)
