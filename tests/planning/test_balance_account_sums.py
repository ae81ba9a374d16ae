"""A plan designed on an account sum other than potential, workload or the count (a HubSpot or
Dynamics export's annual revenue, employees, a design on accounts' numeric attribute) is
monitored on it: the criteria keep it, balance totals it from the accounts as the design did,
and flags may ask for it. A geo unit's own figure (population) is still no account sum."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from terraplan.domain import Account, AlignmentEntry, Plan, RecordKind, Territory
from terraplan.errors import InvalidParameterError
from terraplan.planning.alerts import evaluate_alerts
from terraplan.planning.balance_criteria import plan_balance_criteria
from terraplan.planning.kpi_balance import carried_metrics, territory_balance, territory_totals
from terraplan.planning.kpi_inputs import KpiInputs

AS_OF = date(2026, 5, 31)


def _plan(balance: dict[str, float], units: str | None, *, accounts: bool = False) -> Plan:
    parameters: dict[str, object] = {"balance": balance}
    if units is not None:
        parameters["units"] = units
    alignment = (
        tuple(
            AlignmentEntry(RecordKind.ACCOUNT, f"A{i}", "T1" if i < 3 else "T2") for i in range(6)
        )
        if accounts
        else ()
    )
    return Plan(
        id="P1",
        name="Plan",
        territories=(Territory("T1", "North"), Territory("T2", "South")),
        alignment=alignment,
        parameters=parameters,
    )


def _inputs(attributes: pl.DataType = pl.String) -> KpiInputs:
    """Six open accounts and a closed one, as CRM exports leave them: a blank revenue, a
    revenue typed as text, employees as integers, attributes as stored JSON text (a number,
    text, a boolean, none) or as a struct."""
    text = [
        '{"seats": 40, "tier": "gold"}',
        '{"seats": "n/a"}',
        None,
        '{"seats": 25.5, "Seat Count": 3}',
        '{"seats": true}',
        '{"seats": 10}',
        '{"seats": 1000}',
    ]
    accounts = pl.DataFrame(
        {
            "id": [f"A{i}" for i in range(7)],
            "annual_revenue": ["5000000", None, "90000000", "1000000", "2000000", "0", "7e9"],
            "employees": [40, 400, None, 12, 30, 8, 99999],
            "attributes": text,
            "closed_on": [None] * 6 + [date(2026, 1, 31)],
        },
        schema={
            "id": pl.String,
            "annual_revenue": pl.String,
            "employees": pl.Int64,
            "attributes": pl.String,
            "closed_on": pl.Date,
        },
    )
    if attributes != pl.String:
        seats = [40.0, None, None, 25.5, None, 10.0, 1000.0]
        accounts = accounts.with_columns(
            pl.struct(pl.Series("seats", seats), pl.Series("tier", ["gold"] + [None] * 6)).alias(
                "attributes"
            )
        )
    return KpiInputs(
        sales_lines=pl.DataFrame(
            schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64}
        ),
        accounts=accounts,
        alignment=pl.DataFrame(
            {
                "account_id": [f"A{i}" for i in range(7)],
                "territory_id": ["T1", "T1", "T1", "T2", "T2", "T2", "T2"],
            }
        ),
        territories=pl.DataFrame({"id": ["T1", "T2"], "name": ["North", "South"]}),
    )


def test_a_geo_design_on_annual_revenue_is_checked_on_it_and_population_is_not() -> None:
    criteria = plan_balance_criteria(
        _plan({"annual_revenue": 0.15, "population": 0.05, "employees": 0.2}, "counties")
    )
    # a county design summed annual revenue from the accounts; population and employees are
    # the counties' own figures (a county design reads employees from the units, not accounts)
    assert dict(criteria.tolerances) == {"annual_revenue": 0.15}
    assert criteria.describe() == "annual_revenue ±15% (from the plan's design)"
    assert [n.split(",")[0] for n in criteria.notes] == [
        "the design balanced population",
        "the design balanced employees",
    ]


@pytest.mark.parametrize("units", ["accounts", None])
def test_a_design_on_accounts_is_checked_on_every_metric_it_balanced(units: str | None) -> None:
    """On accounts, employees and a custom attribute are account sums too (a library design
    of accounts stores no units: its account alignment tells)."""
    plan = _plan({"employees": 0.1, "seats": 0.2, "count": 0.1}, units, accounts=True)
    criteria = plan_balance_criteria(plan)
    assert dict(criteria.tolerances) == {"employees": 0.1, "seats": 0.2, "account_count": 0.1}
    assert criteria.notes == ()


def test_totals_are_the_open_accounts_sums_read_as_the_design_reads_them() -> None:
    for kind in (pl.String, pl.Struct({})):
        totals = territory_totals(_inputs(kind), ["annual_revenue", "employees", "seats"])
        rows = {r["territory_id"]: r for r in totals.iter_rows(named=True)}
        # the closed A6 is out; blanks, text and booleans count as 0
        assert rows["T1"]["annual_revenue"] == pytest.approx(95_000_000)
        assert rows["T2"]["annual_revenue"] == pytest.approx(3_000_000)
        assert (rows["T1"]["employees"], rows["T2"]["employees"]) == (440, 50)
        assert (rows["T1"]["seats"], rows["T2"]["seats"]) == (40, 35.5)
        assert (rows["T1"]["account_count"], rows["T2"]["account_count"]) == (3, 3)


def test_balance_and_alerts_judge_annual_revenue_in_the_users_words() -> None:
    data = _inputs()
    criteria = plan_balance_criteria(_plan({"annual_revenue": 0.15}, "counties"))
    frame = territory_balance(data, criteria=criteria)
    assert frame["metric"].unique().to_list() == ["annual_revenue"]
    report = evaluate_alerts(data, as_of=AS_OF, criteria=criteria)
    balance = [a for a in report.alerts if a.kind == "balance"]
    assert [(a.subject_id, a.metric) for a in balance] == [
        ("T1", "annual_revenue"),
        ("T2", "annual_revenue"),
    ]
    assert balance[0].reason.startswith("annual_revenue 95,000,000 is above the ±15% band")


def test_flags_may_name_any_account_sum_and_nothing_else() -> None:
    plan = _plan({"population": 0.05}, "counties")
    flagged = plan_balance_criteria(plan, balance={"annual_revenue": 0.15, "employees": 0.2})
    assert dict(flagged.tolerances) == {"annual_revenue": 0.15, "employees": 0.2}
    data = _inputs()
    assert carried_metrics(data, ["seats", "tier", "seat", "Seat Count"]) == {"seats", "Seat Count"}
    seats = plan_balance_criteria(plan, balance={"seats": 0.1}, attributes={"seats"})
    assert dict(seats.tolerances) == {"seats": 0.1}
    for wrong in ("seats", "population", "revenue"):  # not carried, a unit figure, a typo
        with pytest.raises(InvalidParameterError, match="annual_revenue, employees"):
            plan_balance_criteria(plan, balance={wrong: 0.1})
    # the library call checks the names against the data
    assert territory_balance(data, metrics=["seats"], tolerance=0.5).height == 2
    with pytest.raises(InvalidParameterError, match="tier"):
        territory_balance(data, metrics=["tier"])


def test_kpi_inputs_from_domain_carry_the_account_sums() -> None:
    plan = Plan(
        id="P",
        name="Plan",
        territories=(Territory("T1", "North"),),
        alignment=(AlignmentEntry(RecordKind.ACCOUNT, "A1", "T1"),),
    )
    data = KpiInputs.from_domain(
        accounts=[
            Account("A1", "Acme", annual_revenue=2e6, employees=12, attributes={"seats": 7}),
            Account("A2", "Beta"),
        ],
        plan=plan,
    )
    row = territory_totals(data, ["annual_revenue", "employees", "seats"]).row(0, named=True)
    assert (row["annual_revenue"], row["employees"], row["seats"]) == (2e6, 12, 7)


def _designed(balance: dict[str, float], totals: dict[str, dict[str, float]]) -> dict[str, object]:
    return {"balance_criteria": {"metrics": balance, "totals": totals}}


def test_drift_is_measured_on_what_the_design_balanced() -> None:
    """A plan designed on annual revenue drifts on annual revenue (T1 had 50M when designed,
    95M now: +90 %); population, a county's own figure, has no drift to measure, and an
    attribute no account carries any more is not read as every territory losing it all."""
    data = _inputs()
    plan = _plan({"annual_revenue": 0.15, "population": 0.05}, "counties")
    design = _designed(
        {"annual_revenue": 0.15, "population": 0.05},
        {
            "T1": {"annual_revenue": 50_000_000.0, "population": 1e6},
            "T2": {"annual_revenue": 3_100_000.0, "population": 9e5},
        },
    )
    criteria = plan_balance_criteria(plan, design)
    assert criteria.drift_metrics == ("annual_revenue",)
    report = evaluate_alerts(data, as_of=AS_OF, criteria=criteria)
    drift = [a for a in report.alerts if a.kind == "drift"]
    assert [(a.subject_id, a.metric, round(a.value or 0, 2)) for a in drift] == [
        ("T1", "annual_revenue", 0.9)
    ]
    assert drift[0].reason == (
        "annual_revenue moved +90% vs the plan's design (50,000,000 -> 95,000,000)"
    )
    # flags choose what balance checks, not what drifted since the design
    flagged = plan_balance_criteria(plan, design, balance={"employees": 0.2})
    assert flagged.drift_metrics == ("annual_revenue",)

    on_accounts = _plan({"seats": 0.2, "count": 0.1}, "accounts", accounts=True)
    totals = {"T1": {"seats": 40.0, "count": 3.0}, "T2": {"seats": 35.5, "count": 6.0}}
    criteria = plan_balance_criteria(on_accounts, _designed({"seats": 0.2, "count": 0.1}, totals))
    assert criteria.drift_metrics == ("seats", "account_count")
    drift = [
        (a.subject_id, a.metric)
        for a in evaluate_alerts(data, as_of=AS_OF, criteria=criteria).alerts
        if a.kind == "drift"
    ]
    assert drift == [("T2", "account_count")]  # 6 accounts designed, 3 open now
    gone = data.accounts.drop("attributes")  # type: ignore[union-attr]
    stripped = KpiInputs(
        sales_lines=data.sales_lines,
        accounts=gone,
        alignment=data.alignment,
        territories=data.territories,
    )
    kinds = {
        (a.kind, a.metric) for a in evaluate_alerts(stripped, as_of=AS_OF, criteria=criteria).alerts
    }
    assert ("drift", "seats") not in kinds
