"""Column mapping: from the headers of a file to canonical field names.

A header is matched, in this order, against

1. the caller's mapping (``{"Column In File": "our_field"}``, from a dict or a YAML/JSON
   file); a value of ``null`` ignores the column, ``"attributes.<name>"`` makes it a custom
   attribute named ``<name>``;
2. the canonical field names of the kind;
3. built-in aliases: out-of-the-box Salesforce export names (Account, Lead, User,
   Opportunity) and a few common spellings (``zip``, ``lat``, ``lng``...).

Steps 2 and 3 compare headers case-insensitively, ignoring spaces, underscores, hyphens
and dots, and ignoring a Salesforce custom-field suffix ``__c``. Headers that match nothing
become custom attributes (accounts, leads; geo units when numeric) or are reported in the
warnings and ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from terraplan.errors import DataError
from terraplan.io.schema import kind_spec

ATTRIBUTE_PREFIX = "attributes."

_ACCOUNT_ALIASES = {
    "id": ("accountid", "account id"),
    "name": ("accountname",),
    "street": ("billingstreet", "address", "street address"),
    "city": ("billingcity",),
    "state": ("billingstate", "billingstateprovince", "billing state/province", "stateprovince"),
    "postal_code": (
        "billingpostalcode",
        "billing zip/postal code",
        "zip",
        "zipcode",
        "postcode",
        "zip/postal code",
    ),
    "country": ("billingcountry",),
    "latitude": ("billinglatitude", "lat"),
    "longitude": ("billinglongitude", "lon", "lng", "long"),
    "county_fips": ("countyfips", "fips"),
    "customer_type": ("type", "accounttype"),
    "employees": ("numberofemployees",),
    "annual_revenue": ("annualrevenue", "revenue"),
    "owner_id": ("ownerid", "accountownerid"),
    "parent_id": ("parentid", "parentaccountid"),
}

_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": _ACCOUNT_ALIASES,
    "leads": {
        "id": ("leadid",),
        "company": ("companyaccount", "companyname", "account name"),
        "postal_code": ("zip", "zipcode", "postcode", "zip/postal code"),
        "state": ("stateprovince",),
        "latitude": ("lat",),
        "longitude": ("lon", "lng", "long"),
        "employees": ("numberofemployees",),
        "annual_revenue": ("annualrevenue", "revenue"),
        "source": ("leadsource",),
        "created_date": ("createddate",),
        "converted_opportunity_id": ("convertedopportunityid",),
    },
    "reps": {
        "id": ("userid", "repid"),
        "name": ("fullname", "repname"),
        "home_postal_code": ("postalcode", "zip", "zipcode", "zip/postal code"),
        "home_latitude": ("latitude", "lat"),
        "home_longitude": ("longitude", "lon", "lng"),
        "manager_id": ("managerid",),
        "role": ("userrole", "userrolename", "title"),
        "region": ("department", "division"),
        "active": ("isactive",),
        "hire_date": ("hiredate", "startdate"),
    },
    "geo_units": {
        "id": ("geoid", "zip", "zipcode", "fips"),
        "latitude": ("lat",),
        "longitude": ("lon", "lng", "long"),
        "parent_id": ("parent", "county_fips"),
    },
    "sales_lines": {
        "account_id": ("accountid",),
        "date": ("invoicedate", "orderdate"),
        "product": ("productname", "productcode"),
    },
    "opportunities": {
        "id": ("opportunityid",),
        "account_id": ("accountid",),
        "owner_id": ("ownerid",),
        "name": ("opportunityname",),
        "stage": ("stagename",),
        "created_date": ("createddate",),
        "close_date": ("closedate",),
        "is_closed": ("isclosed", "closed"),
        "is_won": ("iswon", "won"),
        "lead_source": ("leadsource",),
        "product": ("productname",),
    },
    "acquisition_costs": {
        "territory_id": ("territory",),
        "amount": ("cost", "spend"),
        "period_start": ("startdate", "start"),
        "period_end": ("enddate", "end"),
    },
    "targets": {
        "territory_id": ("territory",),
        "rep_id": ("ownerid", "userid", "rep"),
        "plan_id": ("plan",),
        "amount": ("quota", "quotaamount", "target"),
        "period_start": ("startdate", "start"),
        "period_end": ("enddate", "end"),
    },
}

_SEPARATORS = re.compile(r"[\s_\-./]+")


def normalize_header(header: str) -> str:
    """Lower-case ``header`` without separators and without a Salesforce ``__c`` suffix."""
    text = header.strip().lstrip("\ufeff")
    if text.lower().endswith("__c"):
        text = text[:-3]
    return _SEPARATORS.sub("", text.lower())


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """How the columns of one file map to canonical fields.

    ``fields`` maps a canonical field to the file column it comes from; ``attributes`` maps an
    attribute name to its file column; ``ignored`` lists file columns that are not used.
    """

    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def column_of(self, name: str) -> str:
        """The file column of field ``name`` (or of attribute ``attributes.<name>``)."""
        if name.startswith(ATTRIBUTE_PREFIX):
            return self.attributes.get(name[len(ATTRIBUTE_PREFIX) :], name)
        return self.fields.get(name, name)


def load_mapping(path: str | Path) -> dict[str, str | None]:
    """Read a user mapping file (YAML or JSON object ``{"Column In File": "our_field"}``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        raise DataError(
            f"{path}: cannot read the column mapping ({exc})",
            details={"file": str(path), "reason": str(exc)},
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
    ):
        reason = 'must be an object {"Column In File": "our_field"}'
        raise DataError(f"{path}: {reason}", details={"file": str(path), "reason": reason})
    return dict(data)


def resolve_columns(
    headers: Sequence[str],
    kind: str,
    mapping: Mapping[str, str | None] | None = None,
    *,
    mapping_source: str = "mapping",
) -> ColumnMap:
    """Map ``headers`` of a file of ``kind`` to canonical fields (see the module docstring).

    Raises :class:`DataError` when ``mapping`` names a field that ``kind`` does not have.
    """
    spec = kind_spec(kind)
    canonical = {n for n in spec.names if n != "attributes"}
    lookup: dict[str, str] = {normalize_header(n): n for n in canonical}
    for field_name, aliases in _ALIASES.get(kind, {}).items():
        for alias in aliases:
            lookup.setdefault(normalize_header(alias), field_name)
    user = dict(mapping or {})
    user_normalized = {normalize_header(k): v for k, v in user.items()}
    for wanted in user.values():
        if wanted is None or wanted.startswith(ATTRIBUTE_PREFIX) or wanted in canonical:
            continue
        reason = f"maps a column to {wanted!r}, which is not a field of {kind}"
        raise DataError(
            f"{mapping_source}: {reason}",
            details={"file": mapping_source, "reason": reason, "field": wanted},
        )

    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    ignored: list[str] = []
    warnings: list[str] = []
    for header in headers:
        key = normalize_header(header)
        target: str | None
        if header in user or key in user_normalized:
            target = user[header] if header in user else user_normalized[key]
            if target is None:
                ignored.append(header)
                continue
        elif header.startswith(ATTRIBUTE_PREFIX):
            target = header
        else:
            target = lookup.get(key)
        if target is None:
            if spec.extra_columns == "ignore":
                ignored.append(header)
                warnings.append(f"column {header!r} maps to no field of {kind} and is ignored")
            else:
                attributes.setdefault(header.strip(), header)
            continue
        if target.startswith(ATTRIBUTE_PREFIX):
            attributes.setdefault(target[len(ATTRIBUTE_PREFIX) :], header)
        elif target in fields:
            ignored.append(header)
            warnings.append(
                f"column {header!r} also maps to {target!r} (taken from {fields[target]!r});"
                " it is ignored"
            )
        else:
            fields[target] = header
    return ColumnMap(fields, attributes, tuple(ignored), tuple(warnings))
