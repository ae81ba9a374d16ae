"""Opportunity types read as one spelling; only a won opportunity may be negative."""

from __future__ import annotations

from datetime import date

import pytest

from terraplan.domain import Opportunity
from terraplan.domain.deal_types import canonical_deal_type
from terraplan.errors import DataError


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("newbusiness", "New Business"),  # HubSpot's internal value
        ("NEW BUSINESS ", "New Business"),
        ("existingbusiness", "Existing Business"),
        ("Add On", "Add-On"),
        ("add-on", "Add-On"),
        ("renewal", "Renewal"),
        ("Upsell", "Upsell"),
        ("  Partner ", "Partner"),  # no known type: kept as written
        ("   ", None),
        (None, None),
    ],
)
def test_one_spelling_per_type(written: str | None, stored: str | None) -> None:
    assert canonical_deal_type(written) == stored


def test_only_a_won_opportunity_may_be_negative() -> None:
    credit = Opportunity(
        "006C1", "001A", date(2026, 3, 1), -250.0, "Closed Won",
        close_date=date(2026, 3, 2), is_closed=True, is_won=True, deal_type="Renewal",
    )  # fmt: skip
    assert (credit.amount, credit.deal_type) == (-250.0, "Renewal")
    with pytest.raises(DataError, match="only a won opportunity may be negative"):
        Opportunity("006O1", "001A", date(2026, 3, 1), -250.0, "Negotiation")
    with pytest.raises(DataError, match="only a won opportunity may be negative"):
        Opportunity(
            "006L1", "001A", date(2026, 3, 1), -1.0, "Closed Lost",
            close_date=date(2026, 3, 2), is_closed=True,
        )  # fmt: skip
