"""Lead conversion as a marketing team reads it from a Salesforce export: figures as of a
past day count only the conversions made by then (in-process and in the warehouse query), and
a territory shared by several reps hands its leads out in turn, as routing does."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_sql import COLUMNS, KpiTables, compile_kpi_sql
from terraplan.planning.kpis import compute_kpis

TERRITORIES = pl.DataFrame(
    {"id": ["east", "west"], "parent_id": [None, None], "owner_id": ["dan", "ava"]}
)
# West is shared by Ava and Ben (the plan's order of its reps)
SHARED = pl.DataFrame(
    {"territory_id": ["west", "west"], "rep_id": ["ava", "ben"], "share": [1.0, 1.0]}
)
ACCOUNTS = pl.DataFrame({"id": ["A1", "A2"]})
ALIGNMENT = pl.DataFrame({"account_id": ["A1", "A2"], "territory_id": ["east", "west"]})
SALES = pl.DataFrame(
    {"account_id": ["A1"], "date": [date(2025, 12, 1)], "amount": [10.0]},
)
# lead -> opportunity: Salesforce creates the opportunity on the day the lead converts
OPPS = pl.DataFrame(
    {
        "id": ["O1", "O2", "O3"],
        "account_id": ["A1", "A1", "A2"],
        "created_date": [date(2026, 5, 10), date(2026, 8, 20), date(2026, 10, 1)],
        "close_date": [date(2026, 6, 1), None, date(2026, 11, 1)],
        "amount": [100.0, 200.0, 300.0],
        "is_closed": [True, False, True],
        "is_won": [True, False, True],
    }
)
LEADS = pl.DataFrame(
    {
        "id": ["L1", "L2", "L3", "L4", "W1", "W2", "W3", "W4"],
        # created in Q2 2026 (the west leads: two each month, same day for W3/W4)
        "created_date": [
            date(2026, 4, 2),
            date(2026, 4, 20),
            date(2026, 5, 3),
            date(2026, 6, 9),
            date(2026, 4, 5),
            date(2026, 5, 6),
            date(2026, 6, 7),
            date(2026, 6, 7),
        ],
        # L1 converted in May, L2 in August (after the Q2 as-of day), L3 to an opportunity
        # this export does not hold (its day unknown); W3 converted in October
        "converted_opportunity_id": [
            "O1", "O2", "O-not-exported", None, None, None, "O3", None,
        ],
        "territory_id": ["east"] * 4 + ["west"] * 4,
    }
)  # fmt: skip


def inputs() -> KpiInputs:
    return KpiInputs(
        sales_lines=SALES,
        opportunities=OPPS,
        accounts=ACCOUNTS,
        alignment=ALIGNMENT,
        territories=TERRITORIES,
        leads=LEADS,
        shared_owners=SHARED,
    )


def lead_figures(frame: pl.DataFrame, dimension: str, key: str) -> tuple[object, object]:
    found = frame.filter((pl.col("dimension") == dimension) & (pl.col("key") == key))
    assert found.height == 1
    return found.row(0, named=True)["lead_conversion_rate"], found.row(0, named=True)[
        "lead_win_rate"
    ]


def warehouse(as_of: date) -> pl.DataFrame:
    data = {
        "sales_lines": SALES,
        "opportunities": OPPS,
        "accounts": ACCOUNTS,
        "alignment": ALIGNMENT,
        "territories": TERRITORIES,
        "leads": LEADS,
    }
    missing = {n: [c for c in COLUMNS[n][1] if c not in f.columns] for n, f in data.items()}
    sql = compile_kpi_sql(
        KpiTables({name: f"in_{name}" for name in data}, missing),
        as_of=as_of,
        periods=["2026Q2"],
        dimensions=["territory"],
        dialect="duckdb",
    )
    with duckdb.connect() as conn:
        for name, frame in data.items():
            conn.register(f"in_{name}", frame.to_arrow())
        return pl.from_arrow(conn.sql(sql).arrow())  # type: ignore[return-value]


def test_conversion_as_of_a_past_day_counts_only_the_leads_converted_by_then() -> None:
    """As of 30 June, L1 had converted (May) and L2 had not (August): 2 of 4 east leads,
    counting L3, whose opportunity the export lacks, as converted (its day is unknown)."""
    q2 = compute_kpis(inputs(), as_of=date(2026, 6, 30), periods=["2026Q2"])
    assert lead_figures(q2, "territory", "east") == (pytest.approx(0.5), pytest.approx(0.25))
    # W3 converted in October: none of the west leads had converted by 30 June
    assert lead_figures(q2, "territory", "west")[0] == pytest.approx(0.0)
    later = compute_kpis(inputs(), as_of=date(2026, 12, 2), periods=["2026Q2"])
    assert lead_figures(later, "territory", "east") == (pytest.approx(0.75), pytest.approx(0.25))
    assert lead_figures(later, "territory", "west") == (pytest.approx(0.25), pytest.approx(0.25))


@pytest.mark.parametrize("as_of", [date(2026, 6, 30), date(2026, 12, 2)])
def test_the_warehouse_query_counts_conversions_as_of_the_same_day(as_of: date) -> None:
    mine = compute_kpis(inputs(), as_of=as_of, periods=["2026Q2"], dimensions=["territory"])
    theirs = warehouse(as_of)
    for key in ("east", "west"):
        assert lead_figures(theirs, "territory", key) == lead_figures(mine, "territory", key)
    if as_of == date(2026, 6, 30):  # L2 converted in August, after the as-of day
        assert lead_figures(theirs, "territory", "east") == (0.5, 0.25)


def test_a_shared_territorys_leads_are_handed_out_in_turn_by_rep() -> None:
    """Routing gives West's leads to Ava and Ben in turn: W1 and W3 (in order of creation,
    then id) are Ava's, W2 and W4 Ben's; neither rep holds the territory's whole conversion."""
    frame = compute_kpis(inputs(), as_of=date(2026, 12, 2), periods=["2026Q2"])
    assert lead_figures(frame, "rep", "ava") == (pytest.approx(0.5), pytest.approx(0.5))
    assert lead_figures(frame, "rep", "ben") == (pytest.approx(0.0), pytest.approx(0.0))
    # by territory the figures are whole; a rep alone in a territory keeps all of its leads
    assert lead_figures(frame, "territory", "west")[0] == pytest.approx(0.25)
    assert lead_figures(frame, "rep", "dan")[0] == pytest.approx(0.75)
