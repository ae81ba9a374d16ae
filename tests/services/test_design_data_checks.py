"""Design stops on balance metrics that are missing, all zero or mostly empty, and on an
infeasible balance; it names units and says each diagnosis once."""

from __future__ import annotations

import csv
import io
import warnings

import pytest

from terraplan.domain import Account
from terraplan.errors import DataError, InfeasibleError
from terraplan.planning.design import MAX_MISSING_SHARE
from terraplan.planning.design_export import alignment_csv
from terraplan.services.design import design_plan, territory_rows
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.unit_of_work import UnitOfWork

#: Rhode Island's five counties (bundled data).
RI_COUNTIES = ("44001", "44003", "44005", "44007", "44009")


def _salesforce_like_accounts(
    n: int = 40, *, potential: float | None = None, with_potential: int = 0
) -> list[Account]:
    """Accounts as a Salesforce export gives them: revenue, no potential (``with_potential``
    of them carry ``potential``)."""
    return [
        Account(
            id=f"001{i:05d}",
            name=f"Company {i}",
            state="RI",
            county_fips=RI_COUNTIES[i % len(RI_COUNTIES)],
            annual_revenue=1_000_000.0 + 10_000.0 * i,
            potential=potential if i < with_potential else None,
        )
        for i in range(n)
    ]


def _store(db: Database, accounts: list[Account]) -> None:
    with UnitOfWork(db) as uow:
        uow.accounts.upsert_records(to_record(a) for a in accounts)
        uow.commit()


def _plan_count(db: Database) -> int:
    with UnitOfWork(db) as uow:
        return len(uow.plans.list())


def test_missing_potential_stops_with_a_remedy(db: Database) -> None:
    _store(db, _salesforce_like_accounts())
    with pytest.raises(DataError, match="potential") as caught:
        design_plan(db, states={"RI"}, n_territories=2, balance={"potential": 0.10})
    message = str(caught.value)
    assert "40 of 40 accounts have no value" in message
    assert "annual_revenue" in message and "count" in message and "mapping" in message
    assert caught.value.details["field"] == "potential"
    assert _plan_count(db) == 0


def test_all_zero_potential_stops(db: Database) -> None:
    _store(db, _salesforce_like_accounts(potential=0.0, with_potential=40))
    with pytest.raises(DataError, match="0 for every one of the accounts"):
        design_plan(db, states={"RI"}, n_territories=2, balance={"potential": 0.10})
    assert _plan_count(db) == 0


def test_mostly_empty_metric_stops_but_a_few_gaps_are_a_note(db: Database) -> None:
    assert MAX_MISSING_SHARE == 0.5
    _store(db, _salesforce_like_accounts(potential=5000.0, with_potential=19))  # 21 of 40 lack it
    with pytest.raises(DataError, match="21 of 40 accounts have no value"):
        design_plan(db, states={"RI"}, n_territories=2, balance={"potential": 0.30})


def test_empty_database_stops_on_an_account_metric(db: Database) -> None:
    with pytest.raises(DataError, match="there are no accounts"):
        design_plan(db, states={"RI"}, n_territories=2, balance={"potential": 0.10})


def test_the_same_export_designs_on_revenue_and_count(db: Database) -> None:
    _store(db, _salesforce_like_accounts())
    run = design_plan(
        db,
        states={"RI"},
        n_territories=2,
        balance={"annual_revenue": 0.25, "count": 0.25},
        method="exact",
        time_limit=10,
    )
    totals = run.outcome.report.balance.totals
    assert totals[:, 0].sum() == pytest.approx(
        sum(a.annual_revenue or 0 for a in _salesforce_like_accounts())
    )
    assert totals[:, 1].sum() == 40
    assert run.outcome.report.balance.all_within


def test_infeasible_design_raises_and_saves_nothing(db: Database) -> None:
    with pytest.raises(InfeasibleError, match="nothing was saved") as caught:
        design_plan(db, states={"RI"}, n_territories=6, balance={"population": 0.05})
    assert "fewer_units_than_territories" in caught.value.details["constraints"]
    # Rhode Island's 5 counties: the count is the one thing to change, said once, in counties.
    message = str(caught.value)
    assert "5 counties cannot fill 6 territories: design at most 5." in message
    assert "upper band" not in message and "Loosen" not in message
    assert _plan_count(db) == 0


def test_a_window_no_plan_can_meet_stops_before_the_search(db: Database) -> None:
    """Los Angeles County alone holds more population than the window allows: the design
    stops before any search step (the progress bar never moves past 0), names the county,
    advises once, and saves nothing."""
    from terraplan.planning.design_options import BalanceWindow

    steps: list[int] = []
    with pytest.raises(InfeasibleError, match="nothing was saved") as caught:
        design_plan(
            db, states={"CA"}, n_territories=8,
            windows=[BalanceWindow("population", None, 6e6, source="--window")],
            progress=lambda _what, done, _total: steps.append(done),
        )  # fmt: skip
    message = str(caught.value)
    assert "Los Angeles County, CA alone exceeds the upper band of population" in message
    # a window, not a tolerance: more territories would not help, a higher window would
    assert "raise the upper end of the population window." in message
    assert "loosen the tolerance" not in message.lower()
    assert caught.value.details["constraints"] == ["unit_over_band"]
    assert steps == [0]
    assert _plan_count(db) == 0


def test_oversize_county_is_named_once_and_csv_names_counties(db: Database) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Python warning reaches the caller
        run = design_plan(
            db,
            states={"CA"},
            n_territories=8,
            balance={"population": 0.10},
            method="heuristic",
            seed=1,
            time_limit=5,
        )
    notes = run.outcome.notes
    la = [n for n in notes if "Los Angeles County, CA" in n]
    assert len(la) == 1, notes
    assert "of its own" in la[0] and "unit " not in la[0]
    assert not any("unit 1" in n for n in notes)
    stored = run.outcome.plan.parameters
    assert stored["balance"] == {"population": 0.10}
    rows = list(csv.DictReader(io.StringIO(alignment_csv(run.outcome))))
    by_id = {r["record_id"]: r for r in rows}
    assert by_id["06037"]["record_name"] == "Los Angeles County, CA"
    assert len(rows) == 58

    table = territory_rows(run.outcome)
    assert set(table[0]) == {"territory", "units", "population (dev)", "diam. km"}
    assert "M" in "".join(r["population (dev)"] for r in table)
    # Los Angeles' own territory has no target: "own", not a deviation of +0.0 %
    (own,) = {t for _, t in run.outcome.diagnosis.dedicated}
    la_row = table[own]
    assert (la_row["units"], la_row["population (dev)"].split()[-1]) == (1, "own")
    others = [r["population (dev)"] for i, r in enumerate(table) if i != own]
    assert all(cell.endswith("%") for cell in others)
