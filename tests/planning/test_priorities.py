"""Account prioritisation: hand-checked score parts and ranking."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from terraplan.errors import InvalidParameterError
from terraplan.planning.kpi_inputs import KpiInputs
from terraplan.planning.priorities import PARTS, PriorityWeights, prioritise_accounts

AS_OF = date(2026, 6, 30)


def data() -> KpiInputs:
    accounts = pl.DataFrame(
        {
            "id": ["A", "B", "C", "D", "E"],
            "potential": [1000.0, 500.0, 0.0, None, 800.0],
            "segment": ["smb", "smb", "ent", "ent", "smb"],
            "industry": ["x", "x", "x", "x", "x"],
        }
    )
    return KpiInputs(
        sales_lines=pl.DataFrame(
            {
                "account_id": ["A", "A", "B", "E"],
                "date": [date(2026, 6, 30), date(2025, 1, 1), date(2025, 6, 30), date(2026, 1, 1)],
                "amount": [200.0, 50.0, 100.0, 100.0],
            }
        ),
        opportunities=pl.DataFrame(
            {
                "account_id": ["B", "A", "A", "C"],
                "created_date": [
                    date(2026, 5, 1),
                    date(2025, 2, 1),
                    date(2025, 3, 1),
                    date(2025, 3, 1),
                ],
                "close_date": [None, date(2025, 4, 1), date(2025, 5, 1), date(2025, 5, 1)],
                "amount": [300.0, 10.0, 10.0, 10.0],
                "is_closed": [False, True, True, True],
                "is_won": [False, True, True, False],
            }
        ),
        accounts=accounts,
        alignment=pl.DataFrame(
            {
                "account_id": ["A", "B", "C", "D", "E"],
                "territory_id": ["T1", "T1", "T1", "T2", None],
            }
        ),
        territories=pl.DataFrame({"id": ["T1", "T2"], "owner_id": ["r1", "r2"]}),
    )


def test_score_parts_by_hand() -> None:
    weights = PriorityWeights(potential=2, whitespace=1, recency=1, pipeline=1, win_history=0)
    ranked = prioritise_accounts(data(), as_of=AS_OF, weights=weights)
    assert set(ranked["account_id"]) == {"A", "B", "C", "D"}  # E has no territory
    t1 = ranked.filter(pl.col("territory_id") == "T1")
    assert t1["account_id"].to_list() == ["A", "B", "C"]
    assert t1["rank"].to_list() == [1, 2, 3]
    assert t1["rep_id"].unique().to_list() == ["r1"]
    a, b, c = t1.iter_rows(named=True)
    # A: potential 1000 (max), lookback revenue 200 -> whitespace 800 (max), bought today,
    #    no open pipeline. Weights normalised by 5.
    assert a["potential_part"] == pytest.approx(0.4)
    assert a["whitespace_part"] == pytest.approx(0.2)
    assert a["recency_part"] == pytest.approx(0.2)
    assert a["pipeline_part"] == 0.0
    assert a["score"] == pytest.approx(0.8)
    # B: potential 500, bought 2025-06-30 (before the 12-month window) -> whitespace 500;
    #    12 months since purchase of a 24-month horizon; all the open pipeline
    assert b["revenue_lookback"] == 0.0
    assert b["whitespace_part"] == pytest.approx(0.2 * 500 / 800)
    assert b["months_since_purchase"] == pytest.approx(365 / (365.25 / 12))
    assert b["recency_part"] == pytest.approx(0.2 * (1 - (365 / (365.25 / 12)) / 24))
    assert b["pipeline_part"] == pytest.approx(0.2)
    assert c["score"] == 0.0
    for r in ranked.iter_rows(named=True):
        assert r["score"] == pytest.approx(sum(r[f"{p}_part"] for p in PARTS))


def test_win_history_of_similar_accounts() -> None:
    only_history = PriorityWeights(potential=0, whitespace=0, recency=0, pipeline=0, win_history=1)
    ranked = prioritise_accounts(data(), as_of=AS_OF, weights=only_history)
    rate = dict(zip(ranked["account_id"], ranked["similar_win_rate"], strict=True))
    assert rate["A"] == pytest.approx((2 + 1) / (2 + 2))  # smb/x: 2 won of 2 closed
    assert rate["B"] == pytest.approx(3 / 4)
    assert rate["C"] == pytest.approx(1 / 3)  # ent/x: 0 won of 1 closed
    assert ranked.filter(pl.col("territory_id") == "T1")["account_id"].to_list() == ["A", "B", "C"]


def test_top_n_and_validation() -> None:
    top = prioritise_accounts(data(), as_of=AS_OF, top_n=1)
    assert top["rank"].to_list() == [1, 1]
    with pytest.raises(InvalidParameterError):
        PriorityWeights(potential=-1)
    with pytest.raises(InvalidParameterError):
        PriorityWeights(0, 0, 0, 0, 0)
    with pytest.raises(InvalidParameterError):
        prioritise_accounts(data(), as_of=AS_OF, lookback_months=0)


def test_a_credit_memo_is_no_win_of_similar_accounts() -> None:
    """A won opportunity of a negative amount (a credit, a downgrade) is no won deal: the
    smb/x accounts keep 2 won of 2 closed, not 3 of 3."""
    inputs = data()
    opps = inputs.frame("opportunities")
    assert opps is not None
    credit = pl.DataFrame(
        {
            "account_id": ["B"],
            "created_date": [date(2025, 6, 1)],
            "close_date": [date(2025, 6, 2)],
            "amount": [-40.0],
            "is_closed": [True],
            "is_won": [True],
        }
    )
    with_credit = KpiInputs(
        sales_lines=inputs.frame("sales_lines"),
        opportunities=pl.concat([opps.collect(), credit]),
        accounts=inputs.frame("accounts"),
        alignment=inputs.frame("alignment"),
        territories=inputs.frame("territories"),
    )
    only_history = PriorityWeights(potential=0, whitespace=0, recency=0, pipeline=0, win_history=1)
    ranked = prioritise_accounts(with_credit, as_of=AS_OF, weights=only_history)
    rate = dict(zip(ranked["account_id"], ranked["similar_win_rate"], strict=True))
    assert rate["A"] == pytest.approx((2 + 1) / (2 + 2))
