"""Opportunity types (Salesforce ``Type``, HubSpot ``Deal Type``) and what each one means.

The import stores a type as one spelling (:func:`canonical_deal_type`): HubSpot's internal
values (``newbusiness``, ``existingbusiness``) and any letter case or punctuation of a known
type read as its label, so the KPIs in-process and in the warehouse query compare plain
labels. A type of neither kind (a custom ``Partner``) is kept as written and counts in
neither split.
"""

from __future__ import annotations

import re

#: New business: a deal that wins a new customer.
NEW_BUSINESS = ("New Business",)
#: Business with an existing customer: renewals and expansion (and their downgrades).
EXISTING_BUSINESS = (
    "Existing Business",
    "Renewal",
    "Upsell",
    "Add-On",
    "Expansion",
    "Cross-Sell",
    "Upgrade",
    "Downgrade",
)
DEAL_TYPES = NEW_BUSINESS + EXISTING_BUSINESS

_EXTRA = {
    "new": "New Business",
    "newlogo": "New Business",
    "newcustomer": "New Business",
    "netnew": "New Business",
    "existing": "Existing Business",
    "existingcustomer": "Existing Business",
    "renewals": "Renewal",
    "renew": "Renewal",
    "addon": "Add-On",
    "crosssell": "Cross-Sell",
}
#: A type written in letters only, lower case -> its label.
DEAL_TYPE_KEYS = {**{re.sub(r"[^a-z]", "", label.lower()): label for label in DEAL_TYPES}, **_EXTRA}


def canonical_deal_type(text: str | None) -> str | None:
    """``text`` as the stored label: ``newbusiness`` -> ``New Business``, ``add on`` ->
    ``Add-On``; an unknown type trimmed as written; blank -> None."""
    if text is None or not text.strip():
        return None
    return DEAL_TYPE_KEYS.get(re.sub(r"[^a-z]", "", text.lower()), text.strip())
