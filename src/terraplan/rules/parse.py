"""Parse and validate rule sets (YAML/JSON text or plain mappings) into :class:`RuleSet`.

A malformed rule set is rejected as a whole with :class:`~terraplan.errors.RuleError`;
``details["path"]`` names the offending element (``rules[3].when.any[1].value``) and the
message says why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from terraplan.domain import DEFAULT_PRIORITY, Territory, TerritoryType
from terraplan.errors import RuleError
from terraplan.rules.document import check_expanded
from terraplan.rules.fields import CODE_FIELDS, field_kind
from terraplan.rules.model import (
    KM_PER_MILE,
    AllOf,
    Always,
    AnyOf,
    Condition,
    Distance,
    Exclusion,
    NotOf,
    Op,
    Overlay,
    Predicate,
    Rule,
    RuleSet,
    RuleTerritory,
    Scalar,
    TieBreaker,
)
from terraplan.rules.regex import regex_problem, shorten

TOP_KEYS = frozenset(
    {
        "name",
        "version",
        "priority",
        "tie_breaker",
        "catch_all",
        "attributes",
        "territories",
        "conditions",
        "named_accounts",
        "rules",
        "exclusions",
        "overlays",
    }
)
TEXT_ONLY = frozenset({Op.STARTS_WITH, Op.ENDS_WITH, Op.CONTAINS, Op.NOT_CONTAINS, Op.REGEX})
COMPARE = frozenset({Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN})
LOCATION = "location"
MAX_ID_LENGTH = 80
#: Territory names are stored in a column of this width (and shown in every table).
MAX_NAME_LENGTH = 255
MAX_PATH_SHOWN = 200
#: Longest text operand of a condition (characters).
MAX_TEXT_VALUE = 10_000
MAX_USE_DEPTH = 32
MAX_REASON_SHOWN = 300


def _fail(path: str, reason: str) -> RuleError:
    # values quoted in messages can be huge (a 1 MB 'contains' text): keep messages short
    path, reason = shorten(path, MAX_PATH_SHOWN), shorten(reason, MAX_REASON_SHOWN)
    where = path or "rule set"
    return RuleError(f"{where}: {reason}", details={"path": path, "reason": reason})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _mapping(value: Any, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(path, f"{what} must be a mapping, got {type(value).__name__}")
    return value


def _list(value: Any, path: str, what: str, *, allow_empty: bool = False) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _fail(path, f"{what} must be a list, got {type(value).__name__}")
    if not value and not allow_empty:
        raise _fail(path, f"{what} must not be an empty list")
    return list(value)


def _keys(data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    allowed_set = set(allowed)
    for key in data:
        if key not in allowed_set:
            raise _fail(
                _join(path, str(key)), f"unknown key {key!r}; expected {sorted(allowed_set)}"
            )


def _ident(value: Any, path: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, f"{what} must be non-empty text")
    if len(value) > MAX_ID_LENGTH:
        raise _fail(path, f"{what} is longer than {MAX_ID_LENGTH} characters")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Parser:
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

    # -- conditions -------------------------------------------------------------------------
    def condition(self, raw: Any, path: str) -> Condition:
        data = _mapping(raw, path, "a condition")
        combinators = [k for k in ("all", "any", "not", "use") if k in data]
        if combinators:
            key = combinators[0]
            if len(data) != 1:
                extra = next(k for k in data if k != key)
                raise _fail(
                    _join(path, str(extra)), f"a {key!r} condition takes no other key ({extra!r})"
                )
            sub = _join(path, key)
            if key == "not":
                return NotOf(self.condition(data[key], sub))
            if key == "use":
                return self.use(data[key], sub)
            items = _list(data[key], sub, f"{key!r}")
            parsed = tuple(self.condition(item, f"{sub}[{i}]") for i, item in enumerate(items))
            return AllOf(parsed) if key == "all" else AnyOf(parsed)
        return self.predicate(data, path)

    def use(self, name: Any, path: str) -> Condition:
        if not isinstance(name, str) or name not in self.named_raw:
            raise _fail(path, f"unknown named condition {name!r}")
        if name in self.named:
            return self.named[name]
        if name in self.resolving:
            cycle = " -> ".join([*self.resolving[self.resolving.index(name) :], name])
            raise _fail(path, f"cyclic reference between named conditions: {cycle}")
        if len(self.resolving) >= MAX_USE_DEPTH:
            raise _fail(path, f"named conditions nest deeper than {MAX_USE_DEPTH} levels")
        self.resolving.append(name)
        parsed = self.condition(self.named_raw[name], f"conditions.{name}")
        self.resolving.pop()
        self.named[name] = parsed
        return parsed

    def predicate(self, data: Mapping[str, Any], path: str) -> Predicate:
        _keys(data, ("field", "op", "value", "case_sensitive"), path)
        if "op" not in data:
            raise _fail(_join(path, "op"), "an operator ('op') is required")
        op_raw = data["op"]
        try:
            op = Op(op_raw)
        except ValueError:
            raise _fail(
                _join(path, "op"),
                f"unknown operator {op_raw!r}; expected one of {[o.value for o in Op]}",
            ) from None
        case = data.get("case_sensitive", False)
        if not isinstance(case, bool):
            raise _fail(_join(path, "case_sensitive"), "must be true or false")
        vpath = _join(path, "value")
        if op is Op.WITHIN:
            field = data.get("field", LOCATION)
            if field != LOCATION:
                raise _fail(_join(path, "field"), "'within' tests the field 'location'")
            return Predicate(LOCATION, op, distance=self.distance(data.get("value"), vpath))
        if "field" not in data:
            raise _fail(_join(path, "field"), "a field is required")
        field = data["field"]
        kind = field_kind(field, self.attribute_kinds) if isinstance(field, str) else None
        if kind is None:
            raise _fail(_join(path, "field"), f"unknown field {field!r}")
        if op in (Op.IS_EMPTY, Op.NOT_EMPTY):
            if "value" in data:
                raise _fail(vpath, f"{op.value!r} takes no value")
            return Predicate(field, op, numeric=kind == "number")
        if "value" not in data:
            raise _fail(vpath, f"{op.value!r} needs a value")
        value = data["value"]
        if op is Op.IN_GEOGRAPHY:
            if field not in CODE_FIELDS:
                raise _fail(_join(path, "field"), "'in_geography' tests postal_code or county_fips")
            if not isinstance(value, str) or value not in self.territories:
                raise _fail(vpath, f"unknown territory {value!r}")
            if value not in self.geographies:
                raise _fail(vpath, f"no geography was supplied for territory {value!r}")
            units = tuple(sorted(self.geographies[value]))
            return Predicate(field, op, units, case, geography=value)
        if op in TEXT_ONLY and kind != "text":
            raise _fail(
                _join(path, "op"), f"{op.value!r} needs a text field; {field!r} is a number"
            )
        if op in COMPARE and kind == "text" and field not in CODE_FIELDS:
            raise _fail(
                _join(path, "op"),
                f"{op.value!r} needs a number field (or postal_code/county_fips); {field!r} is text",
            )
        numeric = kind == "number" or op in COMPARE
        if op is Op.BETWEEN:
            pair = _list(value, vpath, "'between'")
            if len(pair) != 2:
                raise _fail(vpath, "'between' needs exactly [min, max]")
            low, high = (
                self.scalar(v, f"{vpath}[{i}]", numeric, field) for i, v in enumerate(pair)
            )
            if low > high:  # type: ignore[operator]
                raise _fail(vpath, f"'between' has min {low!r} > max {high!r}")
            return Predicate(field, op, (low, high), case, numeric=kind == "number")
        if op is Op.REGEX:
            if not isinstance(value, str) or not value:
                raise _fail(vpath, "'regex' needs a non-empty pattern text")
            problem = regex_problem(value)
            if problem is not None:
                raise _fail(vpath, problem)
            return Predicate(field, op, (value,), case)
        many = op in (Op.IN, Op.NOT_IN) or op in TEXT_ONLY
        if op in (Op.IN, Op.NOT_IN):
            items = _list(value, vpath, f"{op.value!r}")
            values = tuple(
                self.scalar(v, f"{vpath}[{i}]", numeric, field) for i, v in enumerate(items)
            )
        elif many and isinstance(value, list | tuple):
            items = _list(value, vpath, f"{op.value!r}")
            values = tuple(
                self.scalar(v, f"{vpath}[{i}]", False, field) for i, v in enumerate(items)
            )
        else:
            values = (self.scalar(value, vpath, numeric, field),)
        if op in TEXT_ONLY and any(v == "" for v in values):
            raise _fail(vpath, f"{op.value!r} needs non-empty text")
        return Predicate(field, op, values, case, numeric=kind == "number")

    def scalar(self, value: Any, path: str, numeric: bool, field: str) -> Scalar:
        if numeric:
            if not _is_number(value):
                raise _fail(path, f"expected a number for {field!r}, got {value!r}")
            if field in CODE_FIELDS and (not float(value).is_integer() or not 0 <= value <= 99999):
                raise _fail(path, f"a {field} range bound is a whole number 0..99999")
            return (
                int(value)
                if field in CODE_FIELDS
                else float(value)
                if isinstance(value, float)
                else int(value)
            )
        if not isinstance(value, str):
            hint = " (quote codes in YAML)" if _is_number(value) else ""
            raise _fail(path, f"expected text for {field!r}, got {value!r}{hint}")
        if len(value) > MAX_TEXT_VALUE:
            raise _fail(
                path,
                f"the text has {len(value):,} characters; at most {MAX_TEXT_VALUE:,} are allowed",
            )
        return value

    def distance(self, value: Any, path: str) -> Distance:
        data = _mapping(value, path, "'within' value")
        _keys(data, ("lat", "lon", "km", "mi"), path)
        for key in ("lat", "lon"):
            if key not in data or not _is_number(data[key]):
                raise _fail(_join(path, key), f"{key!r} must be a number")
        if not -90 <= data["lat"] <= 90:
            raise _fail(_join(path, "lat"), "latitude must be in [-90, 90]")
        if not -180 <= data["lon"] <= 180:
            raise _fail(_join(path, "lon"), "longitude must be in [-180, 180]")
        units = [k for k in ("km", "mi") if k in data]
        if len(units) != 1:
            raise _fail(path, "give the radius as exactly one of 'km' or 'mi'")
        unit = units[0]
        radius = data[unit]
        if not _is_number(radius) or radius <= 0:
            raise _fail(_join(path, unit), f"the radius must be a positive number, got {radius!r}")
        km = float(radius) * (KM_PER_MILE if unit == "mi" else 1.0)
        return Distance(float(data["lat"]), float(data["lon"]), km, unit)

    # -- references ---------------------------------------------------------------------------
    def territory(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or value not in self.territories:
            raise _fail(path, f"unknown territory {value!r}")
        return value


def _file_territories(raw: Any, known: dict[str, RuleTerritory]) -> dict[str, RuleTerritory]:
    territories = dict(known)
    declared: set[str] = set()
    parents: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(_list(raw, "territories", "'territories'", allow_empty=True)):
        path = f"territories[{i}]"
        data = _mapping(item, path, "a territory")
        _keys(data, ("id", "name", "type", "parent"), path)
        tid = _ident(data.get("id"), _join(path, "id"), "a territory id")
        if tid in declared:
            raise _fail(_join(path, "id"), f"duplicate territory id {tid!r}")
        declared.add(tid)
        try:
            ttype = TerritoryType(data.get("type", "geo"))
        except ValueError:
            raise _fail(
                _join(path, "type"), f"unknown territory type {data.get('type')!r}"
            ) from None
        name = data.get("name", tid)
        if not isinstance(name, str) or not name.strip():
            raise _fail(_join(path, "name"), "a territory name must be non-empty text")
        if len(name) > MAX_NAME_LENGTH:
            raise _fail(
                _join(path, "name"), f"a territory name is longer than {MAX_NAME_LENGTH} characters"
            )
        if tid in known and known[tid].type is not ttype:
            raise _fail(
                _join(path, "type"), f"{tid!r} is a {known[tid].type} territory in the plan"
            )
        territories[tid] = RuleTerritory(tid, name, ttype)
        if "parent" in data:
            parents[tid] = (_ident(data["parent"], _join(path, "parent"), "a parent id"), path)
    for tid, (parent, path) in parents.items():
        if parent not in territories:
            raise _fail(_join(path, "parent"), f"unknown parent territory {parent!r}")
        seen = [tid]
        node: str | None = parent
        while node is not None:
            if node in seen:
                raise _fail(
                    _join(path, "parent"), f"the territory hierarchy has a cycle via {node!r}"
                )
            seen.append(node)
            node = parents[node][0] if node in parents else None
    return territories


def parse_rule_set(
    data: Mapping[str, Any],
    *,
    territories: Iterable[Territory | RuleTerritory] | None = None,
    geographies: Mapping[str, Iterable[str]] | None = None,
) -> RuleSet:
    """Validate a rule-set mapping (as loaded from YAML/JSON) and build a :class:`RuleSet`.

    ``territories`` are the territories of the plan the rules belong to (rules may point only
    at them or at territories declared in the rule set's own ``territories`` list).
    ``geographies`` maps territory id -> postal codes / county FIPS for ``in_geography``.
    Raises :class:`RuleError` (``details["path"]``) on the first problem found.
    """
    root = _mapping(data, "", "a rule set")
    _keys(root, TOP_KEYS, "")
    known = {t.id: RuleTerritory(t.id, t.name, t.type) for t in territories or ()}
    terr = _file_territories(root.get("territories", []), known)
    geo = {k: frozenset(str(u) for u in v) for k, v in (geographies or {}).items()}
    parser = _Parser(root, terr, geo)

    for key, kind in _mapping(root.get("attributes", {}), "attributes", "'attributes'").items():
        if field_kind(f"attributes.{key}", {}) is None:
            raise _fail(f"attributes.{key}", f"bad attribute name {key!r}")
        if kind not in ("text", "number"):
            raise _fail(
                f"attributes.{key}", f"attribute kind must be 'text' or 'number', got {kind!r}"
            )
        parser.attribute_kinds[str(key)] = kind
    parser.named_raw = _mapping(root.get("conditions", {}), "conditions", "'conditions'")
    for name in parser.named_raw:
        parser.use(name, f"conditions.{name}")

    priority = DEFAULT_PRIORITY
    if "priority" in root:
        items = _list(root["priority"], "priority", "'priority'")
        parsed_types: list[TerritoryType] = []
        for i, item in enumerate(items):
            try:
                ttype = TerritoryType(item)
            except ValueError:
                raise _fail(f"priority[{i}]", f"unknown territory type {item!r}") from None
            if ttype is TerritoryType.OVERLAY:
                raise _fail(f"priority[{i}]", "overlay territories never compete for ownership")
            if ttype in parsed_types:
                raise _fail(f"priority[{i}]", f"territory type {item!r} is listed twice")
            parsed_types.append(ttype)
        priority = tuple(parsed_types)

    def primary_territory(value: Any, path: str) -> str:
        tid = parser.territory(value, path)
        ttype = terr[tid].type
        if ttype is TerritoryType.OVERLAY:
            raise _fail(path, f"{tid!r} is an overlay territory; use 'overlays' for it")
        if ttype not in priority:
            raise _fail(path, f"territory type {ttype.value!r} of {tid!r} is not in 'priority'")
        return tid

    rules: list[Rule] = []
    rule_ids: set[str] = set()
    pinned: dict[str, str] = {}
    named_accounts: dict[str, tuple[str, ...]] = {}
    for i, item in enumerate(
        _list(
            root.get("named_accounts", []), "named_accounts", "'named_accounts'", allow_empty=True
        )
    ):
        path = f"named_accounts[{i}]"
        entry = _mapping(item, path, "a named-account entry")
        _keys(entry, ("territory", "accounts"), path)
        tid = primary_territory(entry.get("territory"), _join(path, "territory"))
        if tid in named_accounts:
            raise _fail(_join(path, "territory"), f"territory {tid!r} already has a named list")
        apath = _join(path, "accounts")
        ids = _list(entry.get("accounts"), apath, "'accounts'")
        for j, account in enumerate(ids):
            _ident(account, f"{apath}[{j}]", "an account id")
            if account in pinned:
                raise _fail(
                    f"{apath}[{j}]", f"account {account!r} is already pinned to {pinned[account]!r}"
                )
            pinned[account] = tid
        named_accounts[tid] = tuple(ids)
        when = Predicate("id", Op.IN, tuple(ids), case_sensitive=True)
        rule_ids.add(f"named:{tid}")
        rules.append(Rule(f"named:{tid}", tid, when, -1, len(rules), "named accounts", True))

    for i, item in enumerate(_list(root.get("rules", []), "rules", "'rules'", allow_empty=True)):
        path = f"rules[{i}]"
        entry = _mapping(item, path, "a rule")
        _keys(entry, ("id", "territory", "when", "order", "description"), path)
        rid = _ident(entry.get("id"), _join(path, "id"), "a rule id")
        if rid in rule_ids:
            raise _fail(_join(path, "id"), f"duplicate rule id {rid!r}")
        rule_ids.add(rid)
        tid = primary_territory(entry.get("territory"), _join(path, "territory"))
        order = entry.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise _fail(_join(path, "order"), f"order must be a whole number >= 0, got {order!r}")
        rule_when: Condition = (
            parser.condition(entry["when"], _join(path, "when")) if "when" in entry else Always()
        )
        description = entry.get("description")
        if description is not None and not isinstance(description, str):
            raise _fail(_join(path, "description"), "a description must be text")
        rules.append(Rule(rid, tid, rule_when, order, len(rules), description))

    exclusions: list[Exclusion] = []
    for i, item in enumerate(
        _list(root.get("exclusions", []), "exclusions", "'exclusions'", allow_empty=True)
    ):
        path = f"exclusions[{i}]"
        entry = _mapping(item, path, "an exclusion")
        _keys(entry, ("territory", "when", "accounts"), path)
        tid = parser.territory(entry.get("territory"), _join(path, "territory"))
        if ("when" in entry) == ("accounts" in entry):
            raise _fail(path, "an exclusion needs exactly one of 'when' or 'accounts'")
        if "accounts" in entry:
            apath = _join(path, "accounts")
            ids = _list(entry["accounts"], apath, "'accounts'")
            for j, account in enumerate(ids):
                _ident(account, f"{apath}[{j}]", "an account id")
            cond: Condition = Predicate("id", Op.IN, tuple(ids), case_sensitive=True)
        else:
            cond = parser.condition(entry["when"], _join(path, "when"))
        exclusions.append(Exclusion(tid, cond))

    overlays: list[Overlay] = []
    for i, item in enumerate(
        _list(root.get("overlays", []), "overlays", "'overlays'", allow_empty=True)
    ):
        path = f"overlays[{i}]"
        entry = _mapping(item, path, "an overlay")
        _keys(entry, ("id", "territory", "when", "role"), path)
        oid = _ident(entry.get("id"), _join(path, "id"), "an overlay id")
        if oid in rule_ids:
            raise _fail(_join(path, "id"), f"duplicate rule id {oid!r}")
        rule_ids.add(oid)
        tid = parser.territory(entry.get("territory"), _join(path, "territory"))
        if terr[tid].type is not TerritoryType.OVERLAY:
            raise _fail(_join(path, "territory"), f"{tid!r} is not an overlay territory")
        role = entry.get("role", "overlay")
        if not isinstance(role, str) or not role.strip():
            raise _fail(_join(path, "role"), "a role must be non-empty text")
        if len(role) > MAX_ID_LENGTH:
            raise _fail(_join(path, "role"), f"a role is longer than {MAX_ID_LENGTH} characters")
        if "when" not in entry:
            raise _fail(_join(path, "when"), "an overlay needs a 'when' condition")
        overlays.append(
            Overlay(oid, tid, parser.condition(entry["when"], _join(path, "when")), role)
        )

    catch_all = None
    if root.get("catch_all") is not None:
        catch_all = parser.territory(root["catch_all"], "catch_all")
        if terr[catch_all].type is TerritoryType.OVERLAY:
            raise _fail("catch_all", "an overlay territory cannot be the catch-all")
    try:
        tie = TieBreaker(root.get("tie_breaker", "none"))
    except ValueError:
        raise _fail("tie_breaker", f"unknown tie breaker {root.get('tie_breaker')!r}") from None
    set_name = root.get("name")
    if set_name is not None and not isinstance(set_name, str):
        raise _fail("name", "a rule-set name must be text")
    version = root.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail("version", f"version must be a whole number >= 1, got {version!r}")
    check_expanded(
        [(f"rules[{i}]", r.when) for i, r in enumerate(rules)]
        + [(f"exclusions[{i}]", e.when) for i, e in enumerate(exclusions)]
        + [(f"overlays[{i}]", o.when) for i, o in enumerate(overlays)]
    )
    return RuleSet(
        territories=terr,
        rules=tuple(rules),
        exclusions=tuple(exclusions),
        overlays=tuple(overlays),
        priority=priority,
        catch_all=catch_all,
        tie_breaker=tie,
        named_accounts=named_accounts,
        attribute_kinds=dict(parser.attribute_kinds),
        conditions=dict(parser.named),
        geographies=geo,
        name=set_name,
        version=version,
    )


def load_rule_set(
    text: str,
    *,
    territories: Iterable[Territory | RuleTerritory] | None = None,
    geographies: Mapping[str, Iterable[str]] | None = None,
) -> RuleSet:
    """Parse YAML or JSON text (JSON is tried first when the text starts with ``{``).

    The document is bounded (bytes, nodes after YAML alias expansion, depth, list lengths;
    see :mod:`terraplan.rules.document`) before it is built.
    """
    from terraplan.rules.document import read_document

    data = read_document(text)
    return parse_rule_set(data, territories=territories, geographies=geographies)
