"""The main job with DataFrames: design, balance, rules, targets, matching, KPIs and the map.

Each function takes pandas or Polars DataFrames (with the import columns) or domain records
where :mod:`terraplan.planning` takes records, validates frames as a file import does
(:func:`terraplan.frames.convert.records`), calls the planning function, and gives results
back as DataFrames (``library="pandas"`` by default, or ``"polars"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import polars as pl

from terraplan.domain import Account, GeoKind, GeoUnit, Plan
from terraplan.errors import DataError, InvalidParameterError
from terraplan.frames.convert import Library, is_frame, records, records_frame, to_library
from terraplan.planning.design import DesignOutcome
from terraplan.planning.fiscal import FiscalCalendar
from terraplan.planning.unit_metrics import ACCOUNT_METRICS, sum_account_metrics
from terraplan.rules import RuleSet


@dataclass(frozen=True, eq=False)
class Design:
    """A designed draft plan (``outcome``: :class:`~terraplan.planning.design.DesignOutcome`)
    with its units, readable as DataFrames."""

    outcome: DesignOutcome
    units: tuple[Any, ...]

    @property
    def plan(self) -> Plan:
        return self.outcome.plan

    @property
    def notes(self) -> tuple[str, ...]:
        """What the design wants you to know (each said once)."""
        return self.outcome.notes

    @property
    def territory_of(self) -> dict[str, str]:
        """Unit id -> territory id."""
        territories = self.plan.territories
        return {
            unit: territories[label].id
            for unit, label in zip(self.outcome.unit_ids, self.outcome.labels.tolist(), strict=True)
        }

    def to_frame(self, library: Library = "pandas") -> Any:
        """The alignment: ``unit_id, unit, territory_id, territory``, one row per unit."""
        territories = self.plan.territories
        labels = self.outcome.labels.tolist()
        frame = pl.DataFrame(
            {
                "unit_id": list(self.outcome.unit_ids),
                "unit": list(self.outcome.unit_names or self.outcome.unit_ids),
                "territory_id": [territories[j].id for j in labels],
                "territory": [territories[j].name for j in labels],
            },
            schema=dict.fromkeys(("unit_id", "unit", "territory_id", "territory"), pl.String),
        )
        return to_library(frame, library)

    def balance(self, library: Library = "pandas") -> Any:
        """Each territory's total of each balance metric against its target: ``territory_id,
        territory, metric, total, target, deviation`` (total / target - 1), ``tolerance,
        within_tolerance``; and ``units`` (how many units the territory holds)."""
        report = self.outcome.report.balance
        counts = [0] * len(self.plan.territories)
        for label in self.outcome.labels.tolist():
            counts[label] += 1
        rows: list[dict[str, Any]] = []
        for t, territory in enumerate(self.plan.territories):
            for m, metric in enumerate(self.outcome.metric_names):
                rows.append(
                    {
                        "territory_id": territory.id,
                        "territory": territory.name,
                        "units": counts[t],
                        "metric": metric,
                        "total": float(report.totals[t, m]),
                        "target": float(report.targets[t, m]),
                        "deviation": float(report.deviation[t, m]),
                        "tolerance": float(report.tolerance[m]),
                        "within_tolerance": bool(report.within[t, m]),
                    }
                )
        return to_library(pl.DataFrame(rows), library)

    def rules(self, *, name: str | None = None) -> RuleSet:
        """The ownership rules that reproduce the alignment (``county_fips in [...]`` per
        territory for counties, ``postal_code in [...]`` for ZIPs and custom areas)."""
        from terraplan.rules import rules_from_alignment

        kinds = {getattr(u, "kind", None) for u in self.units}
        if kinds == {GeoKind.COUNTY}:
            unit_kind: Literal["county", "zip", "custom"] = "county"
        elif kinds == {GeoKind.CUSTOM}:
            unit_kind = "custom"
        elif kinds <= {GeoKind.ZIP, GeoKind.CUSTOM}:
            unit_kind = "zip"
        else:
            raise InvalidParameterError(
                "rules come from a design of geo units (counties or ZIPs), not of accounts",
                details={"parameter": "units"},
            )
        return rules_from_alignment(
            self.plan.territories, unit_kind, self.territory_of, name=name or self.plan.name
        )

    def to_geodataframe(self) -> Any:
        """One row per territory (``territory_id, territory, units`` and each metric's total)
        with its dissolved polygon, as a GeoPandas GeoDataFrame in WGS84 (EPSG:4326).

        Needs GeoPandas (``pip install 'terraplan[geo]'``) and units with polygons.
        """
        try:
            import geopandas
        except ImportError:
            raise InvalidParameterError(
                "to_geodataframe needs GeoPandas: pip install 'terraplan[geo]'",
                details={"parameter": "geopandas"},
            ) from None
        import shapely

        from terraplan.geometry import dissolve_groups

        polygons = {u.id: u.polygon for u in self.units if getattr(u, "polygon", None)}
        if not polygons:
            raise DataError(
                "the designed units have no polygons (load them with polygons to draw a map)",
                details={"field": "polygon", "reason": "missing"},
            )
        groups: list[list[Any]] = [[] for _ in self.plan.territories]
        for unit, label in zip(self.outcome.unit_ids, self.outcome.labels.tolist(), strict=True):
            if unit in polygons:
                groups[label].append(polygons[unit])
        shapes = dissolve_groups(groups)
        balance = self.balance("polars")
        totals = balance.pivot(
            "metric", index=["territory_id", "territory", "units"], values="total"
        )
        geometry = [
            shapely.geometry.shape({"type": "MultiPolygon", "coordinates": s}) for s in shapes
        ]
        return geopandas.GeoDataFrame(totals.to_pandas(), geometry=geometry, crs="EPSG:4326")


def add_account_metrics(
    units: Sequence[GeoUnit], accounts: Sequence[Account], metrics: Sequence[str]
) -> list[GeoUnit]:
    """Geo units with the accounts' totals of ``metrics`` (of :data:`ACCOUNT_METRICS`) in
    their attributes: by county FIPS for counties, by postal code for ZIP and custom units;
    units without accounts get 0; a metric a unit already carries is kept."""
    return sum_account_metrics(units, accounts, [m for m in metrics if m in ACCOUNT_METRICS])


def design_territories(
    units: Any,
    *,
    accounts: Any = None,
    units_kind: Literal["auto", "geo_units", "accounts"] = "auto",
    mapping: Mapping[str, Any] | None = None,
    **parameters: Any,
) -> Design:
    """:func:`terraplan.planning.design.design_territories` on DataFrames or records.

    ``units``: geo units or accounts (a DataFrame, or domain records). A DataFrame holds geo
    units when ``units_kind="geo_units"``, or with ``"auto"`` when it has a ``neighbours``,
    ``polygon`` or ``kind`` column; else accounts. ``accounts`` (DataFrame or records), with
    geo units: their ``potential``, ``workload``, ``annual_revenue`` or ``count`` are summed
    onto the units for the metrics ``balance`` names. ``mapping`` renames the units' columns.
    Every other keyword is passed on (``n_territories``, ``balance``, ``contiguous``,
    ``seed``...).
    """
    from terraplan.planning.design import design_territories as design

    if is_frame(units):
        kind = units_kind
        if kind == "auto":
            columns = {str(c) for c in units.columns}
            kind = "geo_units" if columns & {"neighbours", "polygon", "kind"} else "accounts"
        chosen = records(units, kind, mapping=mapping)
    else:
        chosen = records(units, "units")
    if accounts is not None and chosen and isinstance(chosen[0], GeoUnit):
        # the metrics balanced and those windows bound (a window on `count` alone found no
        # count on the units)
        metrics = dict.fromkeys(parameters.get("balance") or {})
        metrics.update(dict.fromkeys(w.metric for w in parameters.get("windows") or ()))
        chosen = add_account_metrics(chosen, records(accounts, "accounts"), list(metrics))
    outcome = design(chosen, **parameters)
    return Design(outcome, tuple(chosen))


def assign_accounts(accounts: Any, rule_set: RuleSet, library: Library = "pandas") -> Any:
    """Every account's territory under ``rule_set``: the input columns ``id, name`` then
    ``territory_id, rule_id, conflict, gap`` (:func:`terraplan.rules.assign_batch`)."""
    from terraplan.io.records import records_to_frame
    from terraplan.rules import assign_batch

    items = records(accounts, "accounts")
    frame = records_to_frame(items, "accounts").drop("attributes")
    routed = assign_batch(frame, rule_set)
    out = frame.select("id", "name").with_columns(
        routed.select("territory_id", "rule_id", "conflict", "gap")
    )
    return to_library(out, library)


def compute_kpis(
    plan: Plan,
    *,
    sales_lines: Any,
    accounts: Any,
    opportunities: Any = (),
    reps: Any = (),
    targets: Any = (),
    periods: Sequence[str] | None = None,
    as_of: date | None = None,
    dimensions: Sequence[str] | None = None,
    library: Library = "pandas",
    fiscal: FiscalCalendar | int | None = None,
) -> Any:
    """:func:`terraplan.planning.kpis.compute_kpis` for ``plan`` from DataFrames or records
    (accounts are placed in the plan's units: by county, ZIP or postal area as the design
    recorded, else by county); ``fiscal``: the
    fiscal calendar or the fiscal year's start month (default: calendar years)."""
    from terraplan.planning.kpi_inputs import KpiInputs
    from terraplan.planning.kpi_registry import DIMENSIONS
    from terraplan.planning.kpis import compute_kpis as kpis

    inputs = KpiInputs.from_domain(
        sales_lines=records(sales_lines, "sales_lines"),
        opportunities=records(opportunities, "opportunities"),
        targets=records(targets, "targets"),
        accounts=records(accounts, "accounts"),
        reps=records(reps, "reps"),
        plan=plan,
    )
    table = kpis(
        inputs,
        periods=periods,
        as_of=as_of,
        dimensions=DIMENSIONS if dimensions is None else dimensions,
        fiscal=fiscal,
    )
    return to_library(table, library)


def set_targets(
    plan: Plan,
    accounts: Any,
    sales_lines: Any,
    reps: Any = None,
    *,
    opportunities: Any = (),
    **parameters: Any,
) -> Any:
    """:func:`terraplan.planning.targets.set_targets` from DataFrames or records; the
    :class:`~terraplan.planning.target_report.TargetPlan` reads as a frame with
    :func:`to_frame`."""
    from terraplan.planning.targets import set_targets as targets

    return targets(
        plan,
        records(accounts, "accounts"),
        records(sales_lines, "sales_lines"),
        None if reps is None else records(reps, "reps"),
        opportunities=records(opportunities, "opportunities"),
        **parameters,
    )


def match_reps(plan: Plan, reps: Any, accounts: Any, **parameters: Any) -> Any:
    """:func:`terraplan.planning.matching.match_reps` from DataFrames or records; the
    :class:`~terraplan.planning.matching.MatchResult` reads as a frame with :func:`to_frame`."""
    from terraplan.planning.matching import match_reps as match

    return match(plan, records(reps, "reps"), records(accounts, "accounts"), **parameters)


def demo_frames(
    seed: int = 2026, n_accounts: int = 20_000, *, library: Library = "pandas"
) -> dict[str, Any]:
    """The bundled demo (:func:`terraplan.data.demo.generate_demo`) as DataFrames with the
    import columns: ``geo_units`` (counties with polygons as GeoJSON text), ``reps``,
    ``accounts``, ``leads``, ``sales_lines``, ``opportunities``."""
    from terraplan.data.demo import generate_demo

    demo = generate_demo(seed=seed, n_accounts=n_accounts)
    kinds = ("geo_units", "reps", "accounts", "leads", "sales_lines", "opportunities")
    return {kind: records_frame(getattr(demo, kind), kind, library) for kind in kinds}


def to_frame(result: Any, library: Library = "pandas") -> Any:
    """A result as a DataFrame: a :class:`Design` (alignment), a plan (its alignment entries:
    ``record_kind, record_id, territory_id, territory``), a match
    (:class:`~terraplan.planning.matching.MatchResult`: one row per rep and territory), a
    target plan (:class:`~terraplan.planning.target_report.TargetPlan`: one row per
    territory), an import report or a frame's validation (:func:`validate_frame`: its
    issues), a Polars frame, or a list of domain records."""
    from terraplan.io.report import ImportReport
    from terraplan.io.validation import ValidationResult

    if isinstance(result, ValidationResult):
        result = result.report
    if isinstance(result, Design):
        return result.to_frame(library)
    if isinstance(result, Plan):
        names = {t.id: t.name for t in result.territories}
        entries = result.alignment
        frame = pl.DataFrame(
            {
                "record_kind": [e.record_kind.value for e in entries],
                "record_id": [e.record_id for e in entries],
                "territory_id": [e.territory_id for e in entries],
                "territory": [names.get(e.territory_id) for e in entries],
            },
            schema=dict.fromkeys(
                ("record_kind", "record_id", "territory_id", "territory"), pl.String
            ),
        )
        return to_library(frame, library)
    if isinstance(result, pl.DataFrame):
        return to_library(result, library)
    if isinstance(result, ImportReport):
        issues = [
            {"file": i.file, "row": i.row, "column": i.column, "field": i.field}
            | {"value": i.value, "reason": i.reason, "severity": i.severity}
            for i in result.issues
        ]
        schema = {"row": pl.Int64} | dict.fromkeys(
            ("file", "column", "field", "value", "reason", "severity"), pl.String
        )
        return to_library(pl.DataFrame(issues, schema=schema), library)
    rows = getattr(result, "rows", None)
    if callable(rows):
        return to_library(pl.DataFrame(rows(), infer_schema_length=None), library)
    if isinstance(result, Sequence) and result:
        kinds = {
            "Account": "accounts",
            "Rep": "reps",
            "GeoUnit": "geo_units",
            "SalesLine": "sales_lines",
            "Opportunity": "opportunities",
            "Lead": "leads",
            "Target": "targets",
        }
        kind = kinds.get(type(result[0]).__name__)
        if kind is not None:
            return records_frame(result, kind, library)
    raise InvalidParameterError(
        f"cannot make a DataFrame of {type(result).__name__}", details={"parameter": "result"}
    )
