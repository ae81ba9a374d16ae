"""Properties: KPI values do not depend on how territories are labelled, and each group's
additive KPIs are the sum of its parts (regions, reps, segments, industries)."""

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


# -- a hierarchy's groups add up -------------------------------------------------------------

#: KPIs that are sums over accounts (or over territories' costs and targets), so every group's
#: figure is the sum of the figures of the groups it is made of.
ADDITIVE = (
    "revenue",
    "revenue_prior_year",
    "target",
    "open_pipeline",
    "new_customers",
    "acquisition_cost",
    "account_count",
    "potential",
    "whitespace",
    "inactive_accounts",
)


@st.composite
def hierarchies(draw: st.DrawFn) -> KpiInputs:
    """Leaves T0.. under regions R1, R2 (both under ALL) or directly under ALL; accounts with
    or without a territory, segment, potential; sales, opportunities, targets and costs."""
    n_leaves = draw(st.integers(1, 5))
    leaves = [f"T{i}" for i in range(n_leaves)]
    parents = [draw(st.sampled_from(["R1", "R2", "ALL"])) for _ in leaves]
    owners = [draw(st.sampled_from(["rep1", "rep2", None])) for _ in leaves]
    territories = pl.DataFrame(
        {
            "id": ["ALL", "R1", "R2", *leaves],
            "parent_id": [None, "ALL", "ALL", *parents],
            "owner_id": [None, None, None, *owners],
        },
        schema={"id": pl.String, "parent_id": pl.String, "owner_id": pl.String},
    )
    n_accounts = draw(st.integers(1, 8))
    ids = [f"A{i}" for i in range(n_accounts)]
    accounts = pl.DataFrame(
        {
            "id": ids,
            "segment": [draw(st.sampled_from(["smb", "ent", None])) for _ in ids],
            "industry": [draw(st.sampled_from(["x", "y", None])) for _ in ids],
            "potential": [draw(st.sampled_from([None, 0.0, 500.0, 2400.0])) for _ in ids],
            "closed_on": [
                draw(st.one_of(st.none(), st.none(), st.integers(0, 540).map(_day))) for _ in ids
            ],
        },
        schema={
            "id": pl.String,
            "segment": pl.String,
            "industry": pl.String,
            "potential": pl.Float64,
            "closed_on": pl.Date,
        },
    )
    alignment = pl.DataFrame(
        {"account_id": ids, "territory_id": [draw(st.sampled_from([*leaves, None])) for _ in ids]},
        schema={"account_id": pl.String, "territory_id": pl.String},
    )
    lines = draw(
        st.lists(
            st.tuples(st.sampled_from(ids), st.integers(0, 540), st.integers(-50, 500)),
            max_size=20,
        )
    )
    sales = pl.DataFrame(
        {
            "account_id": [a for a, _, _ in lines],
            "date": [_day(d) for _, d, _ in lines],
            "amount": [float(x) for _, _, x in lines],
        },
        schema={"account_id": pl.String, "date": pl.Date, "amount": pl.Float64},
    )
    opp_rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ids),
                st.integers(0, 500),
                st.one_of(st.none(), st.integers(0, 120)),
                st.booleans(),
                st.integers(1, 900),
            ),
            max_size=6,
        )
    )
    opportunities = pl.DataFrame(
        {
            "account_id": [r[0] for r in opp_rows],
            "created_date": [_day(r[1]) for r in opp_rows],
            "close_date": [None if r[2] is None else _day(r[1] + r[2]) for r in opp_rows],
            "amount": [float(r[4]) for r in opp_rows],
            "is_closed": [r[2] is not None for r in opp_rows],
            "is_won": [r[2] is not None and r[3] for r in opp_rows],
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
    spans = st.tuples(st.sampled_from(leaves), st.integers(0, 540), st.integers(0, 400))
    target_rows = draw(st.lists(spans, max_size=4))
    cost_rows = draw(st.lists(spans, max_size=3))
    return KpiInputs(
        sales_lines=sales,
        opportunities=opportunities if opportunities.height else None,
        accounts=accounts,
        alignment=alignment,
        territories=territories,
        targets=_spans(target_rows, rep_id=True) if target_rows else None,
        costs=_spans(cost_rows, rep_id=False) if cost_rows else None,
    )


def _day(n: int) -> date:
    return START + timedelta(days=n)


def _spans(rows: list[tuple[str, int, int]], *, rep_id: bool) -> pl.DataFrame:
    columns: dict[str, list[object]] = {
        "territory_id": [r[0] for r in rows],
        "period_start": [_day(r[1]) for r in rows],
        "period_end": [_day(r[1] + r[2]) for r in rows],
        "amount": [1000.0 + 10 * r[2] for r in rows],
    }
    schema: dict[str, type[pl.DataType]] = {
        "territory_id": pl.String,
        "period_start": pl.Date,
        "period_end": pl.Date,
        "amount": pl.Float64,
    }
    if rep_id:
        columns["rep_id"] = [None for _ in rows]
        schema["rep_id"] = pl.String
    return pl.DataFrame(columns, schema=schema)


def _total(values: list[float | None]) -> float | None:
    """The sum of a group's parts; None when every part is None (no figure at all)."""
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@settings(max_examples=25, deadline=None)
@given(hierarchies())
def test_each_group_is_the_sum_of_its_parts(inputs: KpiInputs) -> None:
    """A region is the sum of its territories, a rep of the territories they own, and the
    segments, the industries and (for the aligned accounts) the territories all add up to one
    company total: the figure a manager reads for a region is never a different number from
    the one they get by adding up its territories."""
    kpis = compute_kpis(inputs, as_of=AS_OF, periods=["2025Q4", "2026-03", "YTD", "2025"])
    territories = inputs.frame("territories")
    assert territories is not None
    tree = territories.collect()
    parent = dict(zip(tree["id"].to_list(), tree["parent_id"].to_list(), strict=True))
    owner = dict(zip(tree["id"].to_list(), tree["owner_id"].to_list(), strict=True))
    regions = {p for p in parent.values() if p is not None}
    leaves = [t for t in parent if t not in regions]  # a region with no territory is one

    def below(node: str) -> list[str]:
        out = []
        for leaf in leaves:
            up = parent[leaf]
            while up is not None and up != node:
                up = parent[up]
            if up == node:
                out.append(leaf)
        return out

    for period in kpis["period"].unique().to_list():
        rows = kpis.filter(pl.col("period") == period)
        for name in ADDITIVE:
            value = {(d, k): v for d, k, v in rows.select("dimension", "key", name).iter_rows()}
            by_leaf = [value["territory", t] for t in leaves]
            for region in sorted(regions):
                parts = [value["territory", t] for t in below(region)]
                assert _close(value["region", region], _total(parts)), (period, name, region)
            for rep in ("rep1", "rep2"):
                mine = [value["territory", t] for t in leaves if owner[t] == rep]
                if mine:
                    assert _close(value["rep", rep], _total(mine)), (period, name, rep)
            if name in ("target", "acquisition_cost"):
                continue  # set on territories: no segment or industry holds them
            segments = [v for (d, _), v in value.items() if d == "segment"]
            industries = [v for (d, _), v in value.items() if d == "industry"]
            assert _close(_total(segments), _total(industries)), (period, name)
            assert _close(_total(by_leaf), value["region", "ALL"]), (period, name)
