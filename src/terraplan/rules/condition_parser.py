"""Parsing the conditions of a rule set (``all``/``any``/``not``/``use`` trees of predicates on
fields, geographies and distances) and its references to territories.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from terraplan.domain.salesforce_ids import with_other_forms
from terraplan.rules.element_checks import (
    as_list,
    as_mapping,
    check_keys,
    fail,
    is_number,
    join_path,
)
from terraplan.rules.fields import (
    CODE_FIELDS,
    CODE_LENGTH,
    CODE_LIKE_FIELDS,
    RECORD_ID_FIELDS,
    field_kind,
)
from terraplan.rules.model import (
    KM_PER_MILE,
    AllOf,
    AnyOf,
    Condition,
    Distance,
    NotOf,
    Op,
    Predicate,
    RuleTerritory,
    Scalar,
)
from terraplan.rules.regex import regex_problem

TEXT_ONLY = frozenset({Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS, Op.NOT_CONTAINS, Op.REGEX})
COMPARE = frozenset({Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN})
#: Tests of a record id that name records: either Salesforce form of an id is listed.
_ID_EQUALITY = frozenset({Op.EQUALS, Op.IN, Op.NOT_EQUALS, Op.NOT_IN})
LOCATION = "location"
#: Longest text operand of a condition (characters).
MAX_TEXT_VALUE = 10_000
#: A ZIP or county FIPS code as text: one to five digits.
_CODE = re.compile(r"\d{1,5}")
MAX_USE_DEPTH = 32


def is_whole_number(value: Any) -> bool:
    """An integer (a YAML/JSON number without a fraction), never a boolean."""
    return isinstance(value, int) and not isinstance(value, bool)


def _not_text(value: Any, field: str) -> str:
    """Why ``value`` (not text) cannot be a value of the text field ``field``."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
        if field in CODE_LIKE_FIELDS:
            return f"expected a code for {field!r}, got the boolean {shown}"
        return f"expected text for {field!r}, got the boolean {shown} (quote it: '{shown}')"
    if isinstance(value, list | tuple):
        return f"expected one value for {field!r}, got a list"
    if isinstance(value, dict):
        return f"expected one value for {field!r}, got a mapping"
    if field in CODE_LIKE_FIELDS and is_number(value):
        return f"expected a code for {field!r}, got the number {value!r} (codes are whole digits)"
    if is_number(value):
        return f"expected text for {field!r}, got the number {value!r} (quote it in YAML)"
    return f"expected text for {field!r}, got {value!r}"


class ConditionParser:
    """Builds the conditions of one rule set: ``territories`` it may name, ``geographies``
    (territory id -> units) for ``in_geography``, ``attribute_kinds`` of its custom
    attributes, and its named conditions (``named_raw`` as given, ``named`` once parsed)."""

    def __init__(
        self,
        data: Mapping[str, Any],
        territories: dict[str, RuleTerritory],
        geographies: Mapping[str, frozenset[str]],
    ) -> None:
        self.data = data
        self.territories = territories
        self.geographies = geographies
        self.attribute_kinds: dict[str, str] = {}
        self.named_raw: Mapping[str, Any] = {}
        self.named: dict[str, Condition] = {}
        self.resolving: list[str] = []
        #: What the parser read in a way worth saying (a 4-digit code padded to 5).
        self.notes: list[str] = []

    # -- conditions -------------------------------------------------------------------------
    def condition(self, raw: Any, path: str) -> Condition:
        data = as_mapping(raw, path, "a condition")
        combinators = [k for k in ("all", "any", "not", "use") if k in data]
        if combinators:
            key = combinators[0]
            if len(data) != 1:
                extra = next(k for k in data if k != key)
                raise fail(
                    join_path(path, str(extra)),
                    f"a {key!r} condition takes no other key ({extra!r})",
                )
            sub = join_path(path, key)
            if key == "not":
                return NotOf(self.condition(data[key], sub))
            if key == "use":
                return self.use(data[key], sub)
            items = as_list(data[key], sub, f"{key!r}")
            parsed = tuple(self.condition(item, f"{sub}[{i}]") for i, item in enumerate(items))
            return AllOf(parsed) if key == "all" else AnyOf(parsed)
        return self.predicate(data, path)

    def use(self, name: Any, path: str) -> Condition:
        if not isinstance(name, str) or name not in self.named_raw:
            raise fail(path, f"unknown named condition {name!r}")
        if name in self.named:
            return self.named[name]
        if name in self.resolving:
            cycle = " -> ".join([*self.resolving[self.resolving.index(name) :], name])
            raise fail(path, f"cyclic reference between named conditions: {cycle}")
        if len(self.resolving) >= MAX_USE_DEPTH:
            raise fail(path, f"named conditions nest deeper than {MAX_USE_DEPTH} levels")
        self.resolving.append(name)
        parsed = self.condition(self.named_raw[name], f"conditions.{name}")
        self.resolving.pop()
        self.named[name] = parsed
        return parsed

    def predicate(self, data: Mapping[str, Any], path: str) -> Predicate:
        check_keys(data, ("field", "op", "value", "case_sensitive"), path)
        if "op" not in data:
            raise fail(join_path(path, "op"), "an operator ('op') is required")
        op_raw = data["op"]
        try:
            op = Op(op_raw)
        except ValueError:
            raise fail(
                join_path(path, "op"),
                f"unknown operator {op_raw!r}; expected one of {[o.value for o in Op]}",
            ) from None
        case = data.get("case_sensitive", False)
        if not isinstance(case, bool):
            raise fail(join_path(path, "case_sensitive"), "must be true or false")
        vpath = join_path(path, "value")
        if op is Op.WITHIN:
            field = data.get("field", LOCATION)
            if field != LOCATION:
                raise fail(join_path(path, "field"), "'within' tests the field 'location'")
            return Predicate(LOCATION, op, distance=self.distance(data.get("value"), vpath))
        if "field" not in data:
            raise fail(join_path(path, "field"), "a field is required")
        field = data["field"]
        kind = field_kind(field, self.attribute_kinds) if isinstance(field, str) else None
        if kind is None:
            raise fail(join_path(path, "field"), f"unknown field {field!r}")
        if op in (Op.IS_EMPTY, Op.NOT_EMPTY):
            if "value" in data:
                raise fail(vpath, f"{op.value!r} takes no value")
            return Predicate(field, op, numeric=kind == "number")
        if "value" not in data:
            raise fail(vpath, f"{op.value!r} needs a value")
        value = data["value"]
        if op is Op.IN_GEOGRAPHY:
            if field not in CODE_FIELDS:
                raise fail(
                    join_path(path, "field"), "'in_geography' tests postal_code or county_fips"
                )
            if not isinstance(value, str) or value not in self.territories:
                raise fail(vpath, f"unknown territory {value!r}")
            if value not in self.geographies:
                raise fail(vpath, f"no geography was supplied for territory {value!r}")
            units = tuple(sorted(self.geographies[value]))
            return Predicate(field, op, units, case, geography=value)
        if op in TEXT_ONLY and kind != "text":
            raise fail(
                join_path(path, "op"), f"{op.value!r} needs a text field; {field!r} is a number"
            )
        if op in COMPARE and kind == "text" and field not in CODE_FIELDS:
            raise fail(
                join_path(path, "op"),
                f"{op.value!r} needs a number field (or postal_code/county_fips); {field!r} is text",
            )
        numeric = kind == "number" or op in COMPARE
        if op is Op.BETWEEN:
            pair = as_list(value, vpath, "'between'")
            if len(pair) != 2:
                raise fail(vpath, "'between' needs exactly [min, max]")
            low, high = (
                self.scalar(v, f"{vpath}[{i}]", numeric, field) for i, v in enumerate(pair)
            )
            if low > high:  # type: ignore[operator]
                raise fail(vpath, f"'between' has min {low!r} > max {high!r}")
            return Predicate(field, op, (low, high), case, numeric=kind == "number")
        if op is Op.REGEX:
            if not isinstance(value, str) or not value:
                raise fail(vpath, "'regex' needs a non-empty pattern text")
            problem = regex_problem(value)
            if problem is not None:
                raise fail(vpath, problem)
            return Predicate(field, op, (value,), case)
        many = op in (Op.IN, Op.NOT_IN) or op in TEXT_ONLY
        # a prefix or fragment of a code (starts_with: 941) is the digits as typed, never
        # padded to a whole code
        whole = op not in TEXT_ONLY
        if op in (Op.IN, Op.NOT_IN):
            items = as_list(value, vpath, f"{op.value!r}")
            values = tuple(
                self.scalar(v, f"{vpath}[{i}]", numeric, field, whole) for i, v in enumerate(items)
            )
        elif many and isinstance(value, list | tuple):
            items = as_list(value, vpath, f"{op.value!r}")
            values = tuple(
                self.scalar(v, f"{vpath}[{i}]", False, field, whole) for i, v in enumerate(items)
            )
        else:
            values = (self.scalar(value, vpath, numeric, field, whole),)
        if op in TEXT_ONLY and any(v == "" for v in values):
            raise fail(vpath, f"{op.value!r} needs non-empty text")
        if field in RECORD_ID_FIELDS and op in _ID_EQUALITY:
            # a Salesforce id in its other form names the same record, as a pin does
            values = with_other_forms(str(v) for v in values)
        return Predicate(field, op, values, case, numeric=kind == "number")

    def scalar(
        self, value: Any, path: str, numeric: bool, field: str, whole: bool = True
    ) -> Scalar:
        if field in CODE_FIELDS and isinstance(value, str) and _CODE.fullmatch(value.strip()):
            # a ZIP or FIPS code as typed, leading zero kept ("07000"): a range bound is its
            # number, a listed code its text
            code = value.strip()
            return int(code) if numeric else code
        if not numeric and field in CODE_LIKE_FIELDS and is_whole_number(value):
            return self.code_from_number(value, path, field, whole)
        if numeric:
            if not is_number(value):
                raise fail(path, f"expected a number for {field!r}, got {value!r}")
            if field in CODE_FIELDS and (not float(value).is_integer() or not 0 <= value <= 99999):
                raise fail(path, f"a {field} range bound is a whole number 0..99999")
            return (
                int(value)
                if field in CODE_FIELDS
                else float(value)
                if isinstance(value, float)
                else int(value)
            )
        if not isinstance(value, str):
            raise fail(path, _not_text(value, field))
        if len(value) > MAX_TEXT_VALUE:
            raise fail(
                path,
                f"the text has {len(value):,} characters; at most {MAX_TEXT_VALUE:,} are allowed",
            )
        return value

    def code_from_number(self, value: int, path: str, field: str, whole: bool) -> str:
        """An unquoted code (``in: [94107, 36061]``) read as the code text.

        YAML keeps a leading zero as typed (``02134`` is the text ``"02134"``, see
        :mod:`terraplan.rules.document`), so a number here is the digits the author typed, or
        a JSON number (which cannot keep a leading zero). An id, or a prefix/fragment
        (``starts_with: 941``), is the digits as typed. A whole ZIP or FIPS code is 5 digits:
        4 digits are a code whose leading zero a spreadsheet or JSON dropped (``2134`` ->
        ``02134``, with a note); fewer or more digits are refused, naming the fix.
        """
        digits = str(value)
        if field not in CODE_FIELDS:
            return digits
        what = "ZIP" if field == "postal_code" else "county FIPS code"
        if value >= 0 and (not whole or len(digits) == CODE_LENGTH):
            return digits
        if value >= 0 and len(digits) == CODE_LENGTH - 1:
            padded = digits.zfill(CODE_LENGTH)
            self.notes.append(
                f"{path}: {field} {digits} has 4 digits; read as the {what} {padded} (its "
                f"leading zero lost, as a spreadsheet or a JSON number loses it): write "
                f"'{padded}' (quoted) to make it plain"
            )
            return padded
        if 0 <= value < 10 ** (CODE_LENGTH - 1):
            fix = f"write the whole {what} as text (e.g. '{digits.zfill(CODE_LENGTH)}')"
            if field == "postal_code":
                fix += f", or use starts_with: '{digits}' for the ZIPs that begin with it"
            raise fail(path, f"{field} {digits} is not a 5-digit {what}: {fix}")
        zip4 = field == "postal_code" and len(digits) == 2 * CODE_LENGTH - 1
        raise fail(
            path,
            f"{field} {digits} is not a 5-digit {what}"
            + (f" (a ZIP+4: the rule's ZIP is '{digits[:CODE_LENGTH]}')" if zip4 else ""),
        )

    def distance(self, value: Any, path: str) -> Distance:
        data = as_mapping(value, path, "'within' value")
        check_keys(data, ("lat", "lon", "km", "mi"), path)
        for key in ("lat", "lon"):
            if key not in data or not is_number(data[key]):
                raise fail(join_path(path, key), f"{key!r} must be a number")
        if not -90 <= data["lat"] <= 90:
            raise fail(join_path(path, "lat"), "latitude must be in [-90, 90]")
        if not -180 <= data["lon"] <= 180:
            raise fail(join_path(path, "lon"), "longitude must be in [-180, 180]")
        units = [k for k in ("km", "mi") if k in data]
        if len(units) != 1:
            raise fail(path, "give the radius as exactly one of 'km' or 'mi'")
        unit = units[0]
        radius = data[unit]
        if not is_number(radius) or radius <= 0:
            raise fail(
                join_path(path, unit), f"the radius must be a positive number, got {radius!r}"
            )
        km = float(radius) * (KM_PER_MILE if unit == "mi" else 1.0)
        return Distance(float(data["lat"]), float(data["lon"]), km, unit)

    # -- references ---------------------------------------------------------------------------
    def territory(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in self.territories:
            raise fail(path, f"unknown territory {value!r}")
        return value
