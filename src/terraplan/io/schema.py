"""The import kinds and the canonical fields of each, as the importers and exporters see them.

Canonical column names are the field names of the domain dataclasses (:class:`Account`,
:class:`Lead`, :class:`Rep`, :class:`GeoUnit`, :class:`SalesLine`, :class:`Opportunity`,
:class:`Target`). Each field has a value type, whether it is required, an optional lower bound,
an optional set of allowed values and an optional reference to another kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from terraplan.domain import (
    Account,
    AcquisitionCost,
    GeoKind,
    GeoUnit,
    Lead,
    Opportunity,
    Rep,
    RepRole,
    SalesLine,
    Target,
)
from terraplan.errors import InvalidParameterError

#: Value types of a canonical field.
FieldType = Literal["str", "float", "int", "date", "bool", "enum", "list", "json", "attributes"]

#: The kinds of file the importers read.
KINDS: tuple[str, ...] = (
    "accounts",
    "leads",
    "reps",
    "geo_units",
    "sales_lines",
    "opportunities",
    "targets",
    "acquisition_costs",
)

#: Kinds whose rows belong to one plan (``plan_id``; territory ids repeat across plans) ->
#: what a row is called in messages.
PLANNED_KINDS: dict[str, str] = {"targets": "target", "acquisition_costs": "cost"}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One canonical field.

    ``minimum`` is an inclusive lower bound for numbers; ``choices`` the allowed values of an
    enum; ``references`` the kind (a key of ``known_ids``) whose ids the value must name;
    ``default`` the value used when the column is absent or the cell empty; ``external`` marks
    a reference that may name a record not imported yet (an owner id from the CRM): an unknown
    one is kept and reported in one warning instead of rejecting the row.
    """

    name: str
    type: FieldType
    required: bool = False
    minimum: float | None = None
    choices: tuple[str, ...] = ()
    references: str | None = None
    default: Any = None
    external: bool = False
    #: Read from files but neither stored nor written (an account's ``active`` flag, which
    #: becomes its ``closed_on``).
    import_only: bool = False
    #: False: read only to check other fields of the row (a rep's country decides how the
    #: home postal code is read), not a column of the accepted frame.
    in_frame: bool = True
    #: What to do with a number below ``minimum``, said after the bound in the row's reason.
    below_minimum: str | None = None


@dataclass(frozen=True, slots=True)
class KindSpec:
    """The fields of one import kind and the domain class built from them."""

    kind: str
    domain_class: type
    fields: tuple[FieldSpec, ...]
    #: Extra columns become ``attributes``: "any" (accounts, leads) or "numeric" (geo units).
    extra_columns: Literal["any", "numeric", "ignore"] = "ignore"
    #: Field holding the US postal code to validate and geocode, if any.
    postal_field: str | None = None
    #: A row flagged ``deleted`` (``IsDeleted``) removes the stored record and is not
    #: written, so it needs none of the required fields (opportunities, leads).
    removes_deleted: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Fields whose column must be present in the file (required and without a default)."""
        return tuple(
            f.name
            for f in self.fields
            if f.required and f.default is None and f.type != "attributes"
        )


def _s(
    name: str, *, required: bool = False, references: str | None = None, external: bool = False
) -> FieldSpec:
    return FieldSpec(name, "str", required=required, references=references, external=external)


def _num(name: str, *, minimum: float | None = 0.0, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "float", required=required, minimum=minimum)


#: A record the CRM deleted (``IsDeleted`` true): an account is closed, a record of a kind
#: whose ``removes_deleted`` is left out and removes the stored one.
_DELETED = FieldSpec("deleted", "bool", import_only=True)


_COORDS = (_num("latitude", minimum=None), _num("longitude", minimum=None))

KIND_SPECS: dict[str, KindSpec] = {
    "accounts": KindSpec(
        "accounts",
        Account,
        (
            _s("id", required=True),
            _s("name", required=True),
            _s("street"),
            _s("city"),
            _s("state"),
            _s("postal_code"),
            _s("country"),
            *_COORDS,
            _s("county_fips"),
            _s("industry"),
            _s("customer_type"),
            _s("segment"),
            FieldSpec("employees", "int", minimum=0),
            _num("annual_revenue"),
            _num("potential"),
            _num("workload"),
            _s("parent_id", references="accounts"),
            _s("owner_id", references="reps", external=True),
            FieldSpec("attributes", "attributes"),
            FieldSpec("closed_on", "date"),
            # Not stored as such: an inactive row is closed on the day of the import.
            FieldSpec("active", "bool", import_only=True),
            # Salesforce's IsDeleted (queryAll, a merge's losers): closed as an inactive row
            _DELETED,
        ),
        extra_columns="any",
        postal_field="postal_code",
    ),
    "leads": KindSpec(
        "leads",
        Lead,
        (
            _s("id", required=True),
            _s("company", required=True),
            _s("postal_code"),
            _s("country"),
            _s("state"),
            _s("city"),
            *_COORDS,
            _s("industry"),
            FieldSpec("employees", "int", minimum=0),
            _num("annual_revenue"),
            _s("source"),
            _s("email"),
            FieldSpec("created_date", "date"),
            _s("converted_opportunity_id"),
            FieldSpec("attributes", "attributes"),
            # Salesforce's IsDeleted (a deleted or merged-away lead): the stored lead is removed
            _DELETED,
        ),
        extra_columns="any",
        removes_deleted=True,
        postal_field="postal_code",
    ),
    "reps": KindSpec(
        "reps",
        Rep,
        (
            _s("id", required=True),
            _s("name", required=True),
            _s("email"),
            FieldSpec(
                "role",
                "enum",
                choices=tuple(r.value for r in RepRole),
                default=RepRole.ACCOUNT_EXECUTIVE.value,
            ),
            _s("home_postal_code"),
            # Not stored: it says how the home postal code is read (a US ZIP, geocoded, or a
            # code of another country, kept as typed), as an account's country does.
            FieldSpec("country", "str", import_only=True, in_frame=False),
            _num("home_latitude", minimum=None),
            _num("home_longitude", minimum=None),
            FieldSpec("skills_industries", "list"),
            FieldSpec("skills_segments", "list"),
            FieldSpec("skills_products", "list"),
            _num("experience_years"),
            _num("capacity_hours"),
            FieldSpec("capacity_accounts", "int", minimum=0),
            _s("manager_id", references="reps"),
            _s("region"),
            FieldSpec("hire_date", "date"),
            FieldSpec("active", "bool", default=True),
        ),
        postal_field="home_postal_code",
    ),
    "geo_units": KindSpec(
        "geo_units",
        GeoUnit,
        (
            _s("id", required=True),
            FieldSpec("kind", "enum", required=True, choices=tuple(k.value for k in GeoKind)),
            _s("name", required=True),
            _num("latitude", minimum=None, required=True),
            _num("longitude", minimum=None, required=True),
            _s("state"),
            _s("parent_id", references="geo_units"),
            FieldSpec("attributes", "attributes"),
            FieldSpec("neighbours", "list", references="geo_units"),
            FieldSpec("polygon", "json"),
        ),
        extra_columns="numeric",
    ),
    "sales_lines": KindSpec(
        "sales_lines",
        SalesLine,
        (
            _s("id", required=True),
            _s("account_id", required=True, references="accounts"),
            FieldSpec("date", "date", required=True),
            _num("amount", minimum=None, required=True),
            _s("product"),
            _num("quantity", minimum=None),
            # Not stored: the stage of the line's deal (an Opportunity Products report);
            # the lines of open and lost deals are no revenue (kind_checks)
            FieldSpec("stage", "str", import_only=True, in_frame=False),
            # Salesforce's IsDeleted (an OpportunityLineItem deleted): the stored line is removed
            _DELETED,
        ),
        removes_deleted=True,
    ),
    "opportunities": KindSpec(
        "opportunities",
        Opportunity,
        (
            _s("id", required=True),
            _s("account_id", required=True, references="accounts"),
            FieldSpec("created_date", "date", required=True),
            # negative on a won deal only (a credit memo, a downgrade): io.deal_checks
            FieldSpec("amount", "float", required=True),
            _s("stage", required=True),
            _s("owner_id", references="reps", external=True),
            _s("name"),
            FieldSpec("close_date", "date"),
            FieldSpec("is_closed", "bool", default=False),
            FieldSpec("is_won", "bool", default=False),
            _s("product"),
            _s("lead_source"),
            # Salesforce's Type, HubSpot's Deal Type: one spelling (io.deal_checks)
            _s("deal_type"),
            # Salesforce's IsDeleted: the stored opportunity is removed, nothing is written
            _DELETED,
        ),
        removes_deleted=True,
    ),
    "targets": KindSpec(
        "targets",
        Target,
        (
            _s("id", required=True),
            FieldSpec("period_start", "date", required=True),
            FieldSpec("period_end", "date", required=True),
            _num("amount", required=True),
            _s("territory_id", references="territories"),
            _s("rep_id", references="reps"),
            _s("plan_id", references="plans"),
            FieldSpec("metric", "str", default="revenue"),
        ),
    ),
    "acquisition_costs": KindSpec(
        "acquisition_costs",
        AcquisitionCost,
        (
            _s("id", required=True),
            _s("territory_id", required=True, references="territories"),
            FieldSpec("period_start", "date", required=True),
            FieldSpec("period_end", "date", required=True),
            _num("amount", required=True),
            _s("category"),
            _s("plan_id", references="plans"),
        ),
    ),
}

#: Geo unit attribute columns that must hold numbers (a bad cell is a row issue).
GEO_NUMERIC_ATTRIBUTES: tuple[str, ...] = (
    "population",
    "households",
    "median_income",
    "median_household_income",
    "land_area",
    "area",
    "businesses",
    "employees",
)


def kind_spec(kind: str) -> KindSpec:
    """The :class:`KindSpec` of ``kind`` or :class:`InvalidParameterError`."""
    try:
        return KIND_SPECS[kind]
    except KeyError:
        raise InvalidParameterError(
            f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}",
            details={"parameter": "kind", "value": kind, "allowed": list(KINDS)},
        ) from None


def kind_of(record: object) -> str:
    """The import kind of a domain object (``Account`` -> "accounts")."""
    for spec in KIND_SPECS.values():
        if isinstance(record, spec.domain_class):
            return spec.kind
    raise InvalidParameterError(
        f"cannot tell the kind of a {type(record).__name__}; pass kind=",
        details={"parameter": "kind"},
    )
