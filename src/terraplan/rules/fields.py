"""Fields a rule can test: names, kinds, table column names and record flattening.

Field names are the domain field names of :class:`~terraplan.domain.Account` and
:class:`~terraplan.domain.Lead` (``company`` is an alias of ``name``). Custom attributes are
``attributes.<name>``; in tables (Polars frames, SQL) their column is ``attr_<name>``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Literal

from terraplan.domain import Account, Lead

FieldKind = Literal["text", "number"]

TEXT_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "name",
        "company",
        "street",
        "city",
        "state",
        "postal_code",
        "country",
        "county_fips",
        "industry",
        "customer_type",
        "segment",
        "parent_id",
        "owner_id",
        "source",
        "email",
    }
)
NUMBER_FIELDS: frozenset[str] = frozenset(
    {"latitude", "longitude", "employees", "annual_revenue", "potential", "workload"}
)
#: Text fields whose first five characters, when all digits, compare as a number
#: (postal code ranges such as 94000–94999, county FIPS ranges).
CODE_FIELDS: frozenset[str] = frozenset({"postal_code", "county_fips"})
CODE_LENGTH = 5

ATTRIBUTE_PREFIX = "attributes."
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CODE = re.compile(r"[0-9]{5}\Z")

#: Human words for explanations.
LABELS: dict[str, str] = {
    "postal_code": "postal code",
    "county_fips": "county FIPS",
    "customer_type": "customer type",
    "annual_revenue": "annual revenue",
    "parent_id": "parent account",
    "owner_id": "owner",
    "id": "account id",
}


def field_kind(name: str, attribute_kinds: Mapping[str, str]) -> FieldKind | None:
    """Kind of a field, or None when the field is unknown."""
    if name in TEXT_FIELDS:
        return "text"
    if name in NUMBER_FIELDS:
        return "number"
    if name.startswith(ATTRIBUTE_PREFIX):
        attribute = name[len(ATTRIBUTE_PREFIX) :]
        if not ATTRIBUTE_NAME.match(attribute):
            return None
        return "number" if attribute_kinds.get(attribute) == "number" else "text"
    return None


def column_name(name: str) -> str:
    """Table column holding a field: ``attributes.tier`` -> ``attr_tier``; ``company`` -> ``name``."""
    if name.startswith(ATTRIBUTE_PREFIX):
        return "attr_" + name[len(ATTRIBUTE_PREFIX) :]
    if name == "company":
        return "name"
    return name


def label(name: str) -> str:
    if name.startswith(ATTRIBUTE_PREFIX):
        return name[len(ATTRIBUTE_PREFIX) :].replace("_", " ")
    return LABELS.get(name, name.replace("_", " "))


def code_number(value: str) -> int | None:
    """Numeric value of a postal code / FIPS: its first five characters if all digits."""
    head = value[:CODE_LENGTH]
    return int(head) if _CODE.match(head) else None


def record_values(record: Account | Lead | Mapping[str, Any]) -> dict[str, Any]:
    """Flatten a record to ``{field name: value}`` (attributes as ``attributes.<name>``).

    A mapping may use field names, column names (``attr_<name>``) or an ``attributes`` dict.
    """
    if isinstance(record, Account | Lead):
        values: dict[str, Any] = {
            f.name: getattr(record, f.name) for f in dataclasses.fields(record)
        }
    else:
        values = dict(record)
    attributes = values.pop("attributes", None) or {}
    if not isinstance(attributes, Mapping):
        attributes = {}
    for key, value in attributes.items():
        values[ATTRIBUTE_PREFIX + str(key)] = value
    for key in [k for k in values if k.startswith("attr_")]:
        values.setdefault(ATTRIBUTE_PREFIX + key[len("attr_") :], values[key])
    if "company" in values:
        values.setdefault("name", values["company"])
    elif "name" in values:
        values["company"] = values["name"]
    return values
