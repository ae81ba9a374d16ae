"""Fields a rule can test: names, kinds, table column names and record flattening.

Field names are the domain field names of :class:`~terraplan.domain.Account` and
:class:`~terraplan.domain.Lead` (``company`` is an alias of ``name``). Custom attributes are
``attributes.<name>``; in tables (Polars frames, SQL) their column is ``attr_<name>``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from terraplan.domain import Account, Lead
from terraplan.domain.places import CUT_FIPS, DASHED_ZIP, UNDASHED_ZIP4, normalize_record_places
from terraplan.domain.salesforce_ids import as_typed
from terraplan.rules.model import Op, Predicate

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
#: Text fields whose values are codes or ids often written as bare numbers (``in: [94107]``,
#: ``owner_id: 1042``): an unquoted whole number is read as its digits (codes: 5 of them).
CODE_LIKE_FIELDS: frozenset[str] = CODE_FIELDS | {"id", "parent_id", "owner_id"}
#: Fields holding record ids, which a CRM such as Salesforce writes in two forms (15
#: characters in reports, 18 in the API): an equality test names the record in either.
RECORD_ID_FIELDS: frozenset[str] = frozenset({"id", "parent_id", "owner_id"})


def typed_values(pred: Predicate) -> tuple[Any, ...]:
    """A test's values as the rule file wrote them: on a record id field, without the other
    Salesforce forms the parser added (see :data:`RECORD_ID_FIELDS`)."""
    if pred.field in RECORD_ID_FIELDS and all(isinstance(v, str) for v in pred.values):
        return as_typed(str(v) for v in pred.values)
    return pred.values


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


#: Fields that hold a US place. On a record of another country (:func:`is_us` false) they
#: read as empty and its postal code has no ZIP number, so ZIP ranges, county and state rules
#: never place it: Berlin's 10117 is not in 10001–10299, Western Australia's WA is not
#: Washington. A text test of the postal code (``in``, ``starts_with``) compares the code as
#: written, whatever the country (custom areas are named by their postal codes).
US_PLACE_FIELDS: frozenset[str] = frozenset({"state", "county_fips"})
#: Operators that read a postal code as a ZIP number (its first five digits).
RANGE_OPS: frozenset[Op] = frozenset({Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN})
#: Table column of a postal code read as a US ZIP: the code on a US row, NULL abroad.
US_ZIP_COLUMN = "tp_us_postal_code"


def reads_us_zip(pred: Predicate) -> bool:
    """Whether ``pred`` reads the postal code as a US ZIP number (a range)."""
    return pred.field == "postal_code" and not pred.numeric and pred.op in RANGE_OPS


def us_only(pred: Predicate) -> bool:
    """Whether ``pred`` can hold only for a US record (see :data:`US_PLACE_FIELDS`)."""
    return pred.field in US_PLACE_FIELDS or reads_us_zip(pred)


def read_column(pred: Predicate) -> str:
    """The table column a predicate reads: :data:`US_ZIP_COLUMN` for a ZIP range, else the
    field's column (:func:`column_name`)."""
    return US_ZIP_COLUMN if reads_us_zip(pred) else column_name(pred.field)


def label(name: str) -> str:
    if name.startswith(ATTRIBUTE_PREFIX):
        return name[len(ATTRIBUTE_PREFIX) :].replace("_", " ")
    return LABELS.get(name, name.replace("_", " "))


def code_number(value: str) -> int | None:
    """Numeric value of a postal code / FIPS: its first five characters if all digits."""
    head = value[:CODE_LENGTH]
    return int(head) if _CODE.match(head) else None


#: The characters every channel reads as whitespace: Unicode's White_Space (what an import
#: trims, Polars' ``strip_chars()``), so that a no-break space typed in a web form reads as an
#: imported value does. Python's ``str.strip()`` adds ``\x1c``-``\x1f``, which are not.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: A run of :data:`WHITESPACE` as a regular expression every evaluator reads alike (Python,
#: Polars, PostgreSQL, DuckDB, Spark, Snowflake, BigQuery): the ASCII ones as escapes, the
#: others as themselves. ``"  Health\u00a0  Care "`` equals ``"Health Care"``.
WHITESPACE_RUN = (
    r"[ \t\n\r\f\x0B" + "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000" + "]+"
)
_WHITESPACE_RUN = re.compile(WHITESPACE_RUN)


def squeeze(text: str) -> str:
    """``text`` as a rule compares it: each run of whitespace one space, none at either end
    (``"  Health   Care "`` -> ``"Health Care"``; no-break spaces too)."""
    return _WHITESPACE_RUN.sub(" ", text).strip(" ")


#: Case folding every channel can do alike: lower case one character at a time (SQL's
#: ``LOWER``), so ``İ`` (capital dotted I) is ``i`` rather than Python's ``i`` + combining dot,
#: and a final sigma ``ς`` is ``σ`` (Python and ICU write ``ς`` at a word's end, libc ``σ``).
FOLD_BEFORE = ("\u0130", "i")
FOLD_AFTER = ("\u03c2", "\u03c3")


def fold_case(text: str) -> str:
    """``text`` lower-cased as rules compare it (see :data:`FOLD_BEFORE`): the evaluator, the
    rule index, Polars and the compiled SQL fold the same way."""
    return text.replace(*FOLD_BEFORE).lower().replace(*FOLD_AFTER)


def clean_text(value: Any) -> Any:
    """A text value as an import stores it: accents composed (Unicode NFC: an ``é`` typed as
    ``e`` and a combining accent is the one character), :data:`WHITESPACE` trimmed at both
    ends, blank as None; anything else unchanged."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip(WHITESPACE) or None
    return value


def squeeze_operand(value: Any, op_is_equality: bool, case_sensitive: bool) -> str:
    """A rule's text operand as compared: whitespace runs made one space, lower case unless
    ``case_sensitive``; trimmed for ``equals``/``in`` (a value), not for ``starts_with``,
    ``ends_with`` and ``contains`` (whose outer spaces mark a word's edge: ``contains " inc"``)."""
    # composed as an import stores text (NFC), so that a rule file saved with decomposed
    # accents names the stored "Société" too
    text = _WHITESPACE_RUN.sub(" ", unicodedata.normalize("NFC", str(value)))
    if op_is_equality:
        text = text.strip(" ")
    return text if case_sensitive else fold_case(text)


#: Country values that mean the United States (compared lower-case); an empty country counts too.
US_COUNTRIES: frozenset[str] = frozenset(
    {"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"}
)
_US_OR_EMPTY = US_COUNTRIES | {""}
_ZIP = re.compile(DASHED_ZIP)
_ZIP9 = re.compile(UNDASHED_ZIP4)


@dataclass(frozen=True, slots=True)
class ZipPlace:
    """What a US ZIP code tells the rules: county FIPS, state code and centroid (degrees)."""

    county_fips: str | None
    state: str | None
    latitude: float | None = None
    longitude: float | None = None


#: A look-up from a 5-digit ZIP to its place (None when unknown), supplied by the caller:
#: the rules layer holds no geography of its own.
ZipLookup: TypeAlias = Callable[[str], ZipPlace | None]


def code_text(value: Any) -> Any:
    """A postal code / FIPS as text: whole numbers (``2134``, ``94107.0``) zero-padded to 5.

    Spreadsheets and JSON clients send codes as numbers; rules compare them as text.
    Anything else (text included) is returned unchanged.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and 0 <= value <= 99999:
        return f"{value:05d}"
    return value


def zip5(value: Any) -> str | None:
    """The 5-digit US ZIP of a postal code (``94107-1234``, ``941071234``, ``2134``,
    ``94107.0``), or None (as the importer reads them)."""
    text = code_text(value)
    if isinstance(text, int) and not isinstance(text, bool):
        text = str(text)  # a number too long for a plain ZIP: perhaps a ZIP+4
    if not isinstance(text, str):
        return None
    text = text.strip()
    if _ZIP9.fullmatch(text):
        return text[:5]
    match = _ZIP.fullmatch(text)
    return match.group(1).zfill(5) if match else None


def is_us(country: Any) -> bool:
    """Whether a record's country is empty or names the United States."""
    if country is None or (isinstance(country, float) and math.isnan(country)):
        return True
    return squeeze(str(country)).lower() in _US_OR_EMPTY


def _empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and math.isnan(value))


def fill_location(values: dict[str, Any], locate: ZipLookup) -> dict[str, Any]:
    """Fill a US record's missing county FIPS, state and coordinates from its ZIP (in place),
    and write its postal code as that 5-digit ZIP.

    Only empty fields are filled (coordinates only when both are missing); records of another
    country and unknown ZIPs are left as they are.
    """
    code = zip5(values.get("postal_code"))
    if code is None or not is_us(values.get("country")):
        return values
    # a ZIP is compared as the importer stores it: 8540 (its zero lost) and 94107-1234 are
    # 08540 and 94107, so that a lead routes as the same account placed by `rules apply`
    values["postal_code"] = code
    missing_point = _empty(values.get("latitude")) and _empty(values.get("longitude"))
    if not (missing_point or _empty(values.get("county_fips")) or _empty(values.get("state"))):
        return values
    place = locate(code)
    if place is None:
        return values
    if _empty(values.get("county_fips")) and place.county_fips:
        values["county_fips"] = place.county_fips
    if _empty(values.get("state")) and place.state:
        values["state"] = place.state
    if missing_point and place.latitude is not None and place.longitude is not None:
        values["latitude"], values["longitude"] = place.latitude, place.longitude
    return values


def normalize_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Flattened ``values`` (:func:`record_values`) read as an import stores a record, so that
    a record typed in routes as the same record imported: country and a US row's state as
    codes (``"California"`` -> ``CA``, :func:`~terraplan.domain.places.normalize_record_places`),
    every text value trimmed of :data:`WHITESPACE` (a no-break space too; blank: None),
    the postal code trimmed and, on a US row, written as its 5-digit ZIP (``02134-1234``,
    ``2134`` -> ``02134``, as :func:`fill_location` writes it), and a county FIPS code that
    lost its leading zero padded (``6075`` -> ``06075``). Idempotent."""
    out = normalize_record_places({key: clean_text(value) for key, value in values.items()})
    code = zip5(out.get("postal_code"))
    if code is not None and is_us(out.get("country")):
        out["postal_code"] = code
    fips = out.get("county_fips")
    if isinstance(fips, str):
        fips = fips.strip()
        out["county_fips"] = fips.zfill(5) if _FIPS_CUT.fullmatch(fips) else fips or None
    return out


_FIPS_CUT = re.compile(CUT_FIPS)


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
    for key in CODE_FIELDS:
        if key in values and (key != "postal_code" or is_us(values.get("country"))):
            values[key] = code_text(values[key])
        elif key in values:
            # a postal code abroad sent as a number (Portugal's 2134) is its digits, not a
            # US ZIP padded to 02134
            values[key] = _number_text(values[key])
    return values


def _number_text(value: Any) -> Any:
    """A whole number as its digits (``2134.0`` -> ``"2134"``); anything else unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return str(value) if isinstance(value, int) else value
