"""Ownership rules: parse/validate rule sets, route records, assign tables, audit, compile SQL.

Public API (heavy libraries — Polars, SQLGlot, PyYAML — are imported only when used):

* :func:`load_rule_set` / :func:`parse_rule_set` / :func:`dump_rule_set` /
  :func:`rule_set_to_dict` — text or mapping <-> :class:`RuleSet` (:class:`RuleError` with
  ``details["path"]`` on any malformed element).
* :func:`route` -> :class:`RouteResult` — one record (Account, Lead or mapping), with explanation.
* :func:`assign_batch` — a whole table at once (Polars), one row per record.
* :func:`audit_rule_set` -> :class:`AuditReport` — gaps, conflicts, unused/shadowed rules.
* :func:`compile_sql` — one SQL query for postgres, duckdb, spark, snowflake or bigquery.
* :func:`export_etm` / :func:`import_etm` — Salesforce ETM assignment-rule CSVs.
* :func:`rules_from_alignment` — rules from a designed plan's geo alignment.
* :func:`pick_owner` — round-robin / capacity-weighted rep choice from a rotation counter.
"""

from terraplan.rules.alignment import rules_from_alignment
from terraplan.rules.audit import AuditReport, CoverageReport, TerritoryTally, audit_rule_set
from terraplan.rules.batch import BatchStats, assign_batch, assign_frame, records_to_frame
from terraplan.rules.batch_places import with_locations
from terraplan.rules.etm import EtmExport, EtmImport, EtmProblem, export_etm, import_etm
from terraplan.rules.evaluate import (
    OverlayMatch,
    RouteResult,
    evaluate_condition,
    explain_condition,
    route,
    route_many,
)
from terraplan.rules.fields import (
    ZipLookup,
    ZipPlace,
    column_name,
    fill_location,
    record_values,
    zip5,
)
from terraplan.rules.model import DIALECTS, Op, Rule, RuleSet, RuleTerritory, TieBreaker
from terraplan.rules.owners import pick_owner
from terraplan.rules.parse import load_rule_set, parse_rule_set
from terraplan.rules.serialize import condition_to_dict, dump_rule_set, rule_set_to_dict


def compile_sql(
    rule_set: RuleSet,
    dialect: str,
    table: str = "accounts",
    *,
    id_column: str = "id",
    records: str = "accounts",
) -> str:
    """One SQL query assigning every row of ``table`` (see :mod:`terraplan.rules.sql`);
    ``records="leads"`` reads a leads table (the company in ``company``)."""
    from terraplan.rules.sql import compile_sql as _compile

    return _compile(rule_set, dialect, table, id_column=id_column, records=records)


__all__ = [
    "DIALECTS",
    "AuditReport",
    "BatchStats",
    "CoverageReport",
    "EtmExport",
    "EtmImport",
    "EtmProblem",
    "Op",
    "OverlayMatch",
    "RouteResult",
    "Rule",
    "RuleSet",
    "RuleTerritory",
    "TerritoryTally",
    "TieBreaker",
    "ZipLookup",
    "ZipPlace",
    "assign_batch",
    "assign_frame",
    "audit_rule_set",
    "column_name",
    "compile_sql",
    "condition_to_dict",
    "dump_rule_set",
    "evaluate_condition",
    "explain_condition",
    "export_etm",
    "fill_location",
    "import_etm",
    "load_rule_set",
    "parse_rule_set",
    "pick_owner",
    "record_values",
    "records_to_frame",
    "route",
    "route_many",
    "rule_set_to_dict",
    "rules_from_alignment",
    "with_locations",
    "zip5",
]
