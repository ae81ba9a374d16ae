"""Sales history lines, opportunities and targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from terraplan.domain._checks import fail, require_finite, require_text


@dataclass(frozen=True, slots=True)
class SalesLine:
    """One invoiced line. ``amount`` in currency; negative for returns and credit notes."""

    id: str
    account_id: str
    date: date
    amount: float
    product: str | None = None
    quantity: float | None = None

    def __post_init__(self) -> None:
        require_text("SalesLine", "id", self.id)
        require_text("SalesLine", "account_id", self.account_id)
        require_finite("SalesLine", "amount", self.amount)
        require_finite("SalesLine", "quantity", self.quantity)


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A sales opportunity. ``is_closed``/``is_won`` follow Salesforce semantics."""

    id: str
    account_id: str
    created_date: date
    amount: float
    stage: str
    owner_id: str | None = None
    name: str | None = None
    close_date: date | None = None
    is_closed: bool = False
    is_won: bool = False
    product: str | None = None
    lead_source: str | None = None
    #: The CRM's opportunity type (Salesforce ``Type``, HubSpot ``Deal Type``), as the
    #: import spells it (:data:`terraplan.domain.deal_types.DEAL_TYPES`); None: not given.
    deal_type: str | None = None

    def __post_init__(self) -> None:
        require_text("Opportunity", "id", self.id)
        require_text("Opportunity", "account_id", self.account_id)
        require_text("Opportunity", "stage", self.stage)
        require_finite("Opportunity", "amount", self.amount)
        if self.amount < 0 and not self.is_won:
            # a credit memo or downgrade is a won deal that reduces revenue; an open or
            # lost deal of a negative amount would shrink the pipeline or mean nothing
            raise fail("Opportunity", "amount", "only a won opportunity may be negative")
        if self.is_won and not self.is_closed:
            raise fail("Opportunity", "is_won", "a won opportunity must be closed")
        if self.close_date is not None and self.close_date < self.created_date:
            raise fail("Opportunity", "close_date", "closes before it was created")


@dataclass(frozen=True, slots=True)
class Target:
    """What a territory or a rep (exactly one of them) should sell in a period.

    ``amount`` in currency over ``[period_start, period_end]`` (inclusive dates).
    """

    id: str
    period_start: date
    period_end: date
    amount: float
    territory_id: str | None = None
    rep_id: str | None = None
    plan_id: str | None = None
    metric: str = "revenue"

    def __post_init__(self) -> None:
        require_text("Target", "id", self.id)
        require_finite("Target", "amount", self.amount, minimum=0)
        if (self.territory_id is None) == (self.rep_id is None):
            raise fail("Target", "territory_id", "give exactly one of territory_id and rep_id")
        if self.period_end < self.period_start:
            raise fail("Target", "period_end", "ends before it starts")


@dataclass(frozen=True, slots=True)
class AcquisitionCost:
    """Money spent to win new customers in a territory over a period (campaigns, events, SDRs).

    ``amount`` in currency over ``[period_start, period_end]`` (inclusive dates); it feeds the
    customer acquisition cost KPI of its plan (``plan_id``: territory ids repeat across plans).
    """

    id: str
    territory_id: str
    period_start: date
    period_end: date
    amount: float
    category: str | None = None
    plan_id: str | None = None

    def __post_init__(self) -> None:
        require_text("AcquisitionCost", "id", self.id)
        require_text("AcquisitionCost", "territory_id", self.territory_id)
        require_finite("AcquisitionCost", "amount", self.amount, minimum=0)
        if self.period_end < self.period_start:
            raise fail("AcquisitionCost", "period_end", "ends before it starts")
