"""Domain model: frozen standard-library dataclasses with invariants checked on construction."""

from terraplan.domain.account import Account, AttributeValue, Lead
from terraplan.domain.geo import GeoKind, GeoUnit
from terraplan.domain.plan import STATUS_TRANSITIONS, AlignmentEntry, Plan, PlanStatus, RecordKind
from terraplan.domain.rep import Rep, RepRole
from terraplan.domain.sales import AcquisitionCost, Opportunity, SalesLine, Target
from terraplan.domain.territory import (
    DEFAULT_PRIORITY,
    OwnerRole,
    Territory,
    TerritoryOwner,
    TerritoryType,
)

__all__ = [
    "DEFAULT_PRIORITY",
    "STATUS_TRANSITIONS",
    "Account",
    "AcquisitionCost",
    "AlignmentEntry",
    "AttributeValue",
    "GeoKind",
    "GeoUnit",
    "Lead",
    "Opportunity",
    "OwnerRole",
    "Plan",
    "PlanStatus",
    "RecordKind",
    "Rep",
    "RepRole",
    "SalesLine",
    "Target",
    "Territory",
    "TerritoryOwner",
    "TerritoryType",
]
