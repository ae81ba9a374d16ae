"""Property: KPI values do not depend on how territories are labelled."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.kpi_registry import KPI_NAMES
from terraplan.planning.kpis import compute_kpis

AS_OF = date(2026, 6, 30)
START = date(2025, 1, 1)


@st.composite
def data_sets(draw: st.DrawFn) -> tuple[KpiInputs, dict[str, str], KpiInputs]:
    n_territories = draw(st.integers(1, 4))
    n_accounts = draw(st.integers(1, 8))
    territories = [f"T{i}" for i in range(n_territories)]
    owner = {a: draw(st.sampled_from(territories)) for a in range(n_accounts)}
    n_lines = draw(st.integers(0, 25))
    lines = [
        (
            f"A{draw(st.integers(0, n_accounts - 1))}",
            START + timedelta(days=draw(st.integers(0, 540))),
            float(draw(st.integers(-50, 500))),
        )
        for _ in range(n_lines)
    ]
    n_opps = draw(st.integers(0, 8))
    opps = []
    for _ in range(n_opps):
        created = START + timedelta(days=draw(st.integers(0, 500)))
        closed = draw(st.booleans())
        opps.append(
            (
                f"A{draw(st.integers(0, n_accounts - 1))}",
                created,
                created + timedelta(days=draw(st.integers(0, 90))) if closed else None,
                float(draw(st.integers(1, 900))),
                closed,
                closed and draw(st.booleans()),
            )
        )
    targets = [(t, float(draw(st.integers(0, 3000)))) for t in territories if draw(st.booleans())]
    labels = draw(st.permutations([f"X{i}" for i in range(n_territories)]))
    relabel = dict(zip(territories, labels, strict=True))
    accounts = pl.DataFrame(
        {
            "id": [f"A{a}" for a in range(n_accounts)],
            "potential": [float(draw(st.integers(0, 5000))) for _ in range(n_accounts)],
            "segment": ["s" for _ in range(n_accounts)],
        }
    )
    sales = pl.DataFrame(
        {
            "account_id": [x[0] for x in lines],
            "date": [x[1] for x in lines],
            "amount": [x[2] for x in lines],
        },
        schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )
    opportunities = pl.DataFrame(
        {
            "account_id": [o[0] for o in opps],
            "created_date": [o[1] for o in opps],
            "close_date": [o[2] for o in opps],
            "amount": [o[3] for o in opps],
            "is_closed": [o[4] for o in opps],
            "is_won": [o[5] for o in opps],
        },
        schema={
            "account_id": pl.String,
            "created_date": pl.Date,
            "close_date": pl.Date,
            "amount": pl.Float64,
            "is_closed": pl.Boolean,
            "is_won": pl.Boolean,
        },
    )

    def build(names: dict[str, str]) -> KpiInputs:
        return KpiInputs(
            sales_lines=sales,
            opportunities=opportunities,
            accounts=accounts,
            alignment=pl.DataFrame(
                {
                    "account_id": [f"A{a}" for a in range(n_accounts)],
                    "territory_id": [names[owner[a]] for a in range(n_accounts)],
                }
            ),
            targets=pl.DataFrame(
                {
                    "territory_id": [names[t] for t, _ in targets],
                    "rep_id": [None for _ in targets],
                    "period_start": [date(2026, 1, 1) for _ in targets],
                    "period_end": [date(2026, 12, 31) for _ in targets],
                    "amount": [a for _, a in targets],
                },
                schema={
                    "territory_id": pl.String,
                    "rep_id": pl.String,
                    "period_start": pl.Date,
                    "period_end": pl.Date,
                    "amount": pl.Float64,
                },
            ),
        )

    same = {t: t for t in territories}
    return build(same), relabel, build(relabel)


@settings(max_examples=25, deadline=None)
@given(data_sets())
def test_kpis_invariant_to_territory_labels(
    case: tuple[KpiInputs, dict[str, str], KpiInputs],
) -> None:
    original, relabel, renamed = case
    periods = ["2025Q4", "2026-03", "YTD", "2025"]
    before = compute_kpis(original, as_of=AS_OF, periods=periods, dimensions=["territory"])
    after = compute_kpis(renamed, as_of=AS_OF, periods=periods, dimensions=["territory"])
    mapped = before.with_columns(pl.col("key").replace_strict(relabel)).sort("key", "period")
    after = after.sort("key", "period")
    assert mapped.select("key", "period").equals(after.select("key", "period"))
    for name in KPI_NAMES:
        left, right = mapped[name].to_list(), after[name].to_list()
        for a, b in zip(left, right, strict=True):
            assert (a is None and b is None) or (
                a is not None and b is not None and abs(a - b) <= 1e-9 * max(1.0, abs(a))
            ), name
