"""Salesforce Enterprise Territory Management (ETM): export/import assignment rules as CSV.

Files (Data Loader shapes):
* ``ObjectTerritory2AssignmentRule.csv``: DeveloperName, MasterLabel, BooleanFilter,
  ObjectType (Account), IsActive;
* ``ObjectTerritory2AssignmentRuleItem.csv``: RuleId (the rule's DeveloperName), SortOrder,
  Field (``Account.BillingPostalCode``), Operation, Value (comma-separated = any of);
* ``RuleTerritory2Association.csv``: RuleId, Territory2Id (territory DeveloperName).

What ETM cannot express (more than 10 items, ends_with, regex, within, case-sensitive text,
named-account pins, exclusions, priorities, catch-all) is listed as problems, never raised.
Postal-code ranges are exported as the exact set of ``startsWith`` prefixes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from terraplan.domain import Territory, TerritoryType
from terraplan.errors import RuleError
from terraplan.rules.fields import ATTRIBUTE_PREFIX, CODE_FIELDS, field_kind
from terraplan.rules.model import AllOf, Always, AnyOf, Condition, NotOf, Op, Predicate, RuleSet
from terraplan.rules.model import RuleTerritory as _RuleTerritory
from terraplan.rules.parse import parse_rule_set

MAX_ITEMS = 10
MAX_VALUE = 255
RULE_FILE = "ObjectTerritory2AssignmentRule.csv"
ITEM_FILE = "ObjectTerritory2AssignmentRuleItem.csv"
ASSOCIATION_FILE = "RuleTerritory2Association.csv"

#: Our field -> Salesforce Account field.
SALESFORCE_FIELDS: dict[str, str] = {
    "name": "Name",
    "street": "BillingStreet",
    "city": "BillingCity",
    "state": "BillingState",
    "postal_code": "BillingPostalCode",
    "country": "BillingCountry",
    "latitude": "BillingLatitude",
    "longitude": "BillingLongitude",
    "county_fips": "County_FIPS__c",
    "industry": "Industry",
    "customer_type": "Type",
    "segment": "Segment__c",
    "employees": "NumberOfEmployees",
    "annual_revenue": "AnnualRevenue",
    "potential": "Potential__c",
    "workload": "Workload__c",
    "parent_id": "ParentId",
    "owner_id": "OwnerId",
}
_FROM_SALESFORCE = {v.lower(): k for k, v in SALESFORCE_FIELDS.items()}
# orgs with state and country picklists may write rules on the code fields
_FROM_SALESFORCE |= {"billingstatecode": "state", "billingcountrycode": "country"}
_SIMPLE = {
    Op.EQUALS: "equals",
    Op.IN: "equals",
    Op.IN_GEOGRAPHY: "equals",
    Op.NOT_EQUALS: "notEqual",
    Op.NOT_IN: "notEqual",
    Op.STARTS_WITH: "startsWith",
    Op.CONTAINS: "contains",
    Op.NOT_CONTAINS: "notContain",
    Op.LT: "lessThan",
    Op.LE: "lessOrEqual",
    Op.GT: "greaterThan",
    Op.GE: "greaterOrEqual",
}


@dataclass(frozen=True, slots=True)
class EtmProblem:
    """Something ETM cannot express (export) or we cannot read (import). ``rule`` may be None."""

    rule: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class EtmExport:
    rules_csv: str
    items_csv: str
    associations_csv: str
    problems: tuple[EtmProblem, ...]

    def files(self) -> dict[str, str]:
        """File name -> CSV text."""
        return {
            RULE_FILE: self.rules_csv,
            ITEM_FILE: self.items_csv,
            ASSOCIATION_FILE: self.associations_csv,
        }


@dataclass(frozen=True, slots=True)
class EtmImport:
    rule_set: RuleSet
    problems: tuple[EtmProblem, ...]


class _InexpressibleError(Exception):
    pass


def developer_name(rule_id: str) -> str:
    """A valid Salesforce DeveloperName (letters, digits, single underscores, starts with a letter)."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", rule_id).strip("_") or "rule"
    if not name[0].isalpha():
        name = "R_" + name
    return name[:80]


def code_prefixes(low: int, high: int) -> list[str]:
    """The fewest 5-digit-code prefixes covering exactly ``[low, high]`` (e.g. 94000–94999 -> 94)."""
    out: list[str] = []
    current = low
    while current <= high:
        k = 0
        while k < 5 and current % 10 ** (k + 1) == 0 and current + 10 ** (k + 1) - 1 <= high:
            k += 1
        out.append(f"{current:05d}"[: 5 - k])
        current += 10**k
    return out


def _code_range(pred: Predicate) -> tuple[int, int]:
    v = [int(x) for x in pred.values]
    return {
        Op.LT: (0, v[0] - 1),
        Op.LE: (0, v[0]),
        Op.GT: (v[0] + 1, 99999),
        Op.GE: (v[0], 99999),
        Op.BETWEEN: (v[0], v[-1]),
    }[pred.op]


def _sf_field(name: str) -> str:
    if name in SALESFORCE_FIELDS:
        return "Account." + SALESFORCE_FIELDS[name]
    if name.startswith(ATTRIBUTE_PREFIX):
        return "Account." + name[len(ATTRIBUTE_PREFIX) :] + "__c"
    raise _InexpressibleError(f"field {name!r} has no Salesforce Account equivalent")


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _joined(values: Iterable[Any]) -> str:
    texts = [_fmt(v) for v in values]
    if any("," in t for t in texts):
        raise _InexpressibleError("a value contains a comma, which ETM reads as a list separator")
    text = ",".join(texts)
    if len(text) > MAX_VALUE:
        raise _InexpressibleError(f"a value list is {len(text)} characters; ETM allows {MAX_VALUE}")
    return text


_ANY_OF = (Op.EQUALS, Op.IN, Op.IN_GEOGRAPHY, Op.NOT_EQUALS, Op.NOT_IN)


def _items(
    cond: Condition,
    items: list[tuple[str, str, str]],
    spellings: Mapping[str, Mapping[str, str]],
) -> str:
    if isinstance(cond, Always):
        raise _InexpressibleError("a rule without conditions cannot be expressed in ETM")
    if isinstance(cond, AllOf | AnyOf):
        glue = " AND " if isinstance(cond, AllOf) else " OR "
        return "(" + glue.join(_items(c, items, spellings) for c in cond.items) + ")"
    if isinstance(cond, NotOf):
        return "NOT " + _items(cond.item, items, spellings)
    field = _sf_field(cond.field) if cond.op is not Op.WITHIN else ""
    if cond.case_sensitive and not cond.numeric:
        raise _InexpressibleError(
            "ETM compares text ignoring case; case_sensitive is not supported"
        )
    if cond.op in (Op.IS_EMPTY, Op.NOT_EMPTY):
        items.append((field, "equals" if cond.op is Op.IS_EMPTY else "notEqual", ""))
        return str(len(items))
    if cond.op in (Op.LT, Op.LE, Op.GT, Op.GE, Op.BETWEEN) and cond.field in CODE_FIELDS:
        low, high = _code_range(cond)
        if low > high:
            raise _InexpressibleError("an empty postal-code range")
        if (low, high) == (0, 99999):
            raise _InexpressibleError("a range over every code cannot be written as prefixes")
        items.append((field, "startsWith", _joined(code_prefixes(low, high))))
        return str(len(items))
    if cond.op is Op.BETWEEN:
        items.append((field, "greaterOrEqual", _fmt(cond.values[0])))
        items.append((field, "lessOrEqual", _fmt(cond.values[1])))
        return f"({len(items) - 1} AND {len(items)})"
    if cond.op not in _SIMPLE:
        raise _InexpressibleError(f"operator {cond.op.value!r} has no ETM equivalent")
    values: list[Any] = list(cond.values)
    other = spellings.get(cond.field)
    if other and cond.op in _ANY_OF:
        # the CRM's field may hold either spelling ('CA' typed, 'California' from a picklist)
        values += [other[v] for v in cond.values if isinstance(v, str) and v in other]
        values = list(dict.fromkeys(values))
    items.append((field, _SIMPLE[cond.op], _joined(values)))
    return str(len(items))


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def export_etm(
    rule_set: RuleSet,
    *,
    territory_names: Mapping[str, str] | None = None,
    model: str | None = None,
    spellings: Mapping[str, Mapping[str, str]] | None = None,
) -> EtmExport:
    """ETM CSVs for every expressible primary and overlay rule, plus the list of problems.

    ``territory_names`` maps territory id -> its Territory2 DeveloperName (default: derived
    from the id); with ``model`` the rules carry ``Territory2ModelId`` (the model's
    DeveloperName), which a full model load needs. ``spellings`` gives, per field, the other
    spelling of a value the CRM may hold instead (``{"state": {"CA": "California"}}``): an
    equals / not-equal item then lists both, so the rule matches either way the CRM writes it.
    """
    names = territory_names or {}
    problems: list[EtmProblem] = []
    rule_rows: list[list[Any]] = []
    item_rows: list[list[Any]] = []
    assoc_rows: list[list[Any]] = []
    used: set[str] = set()
    entries = [(r.id, r.territory_id, r.when, r.pinned) for r in rule_set.rules]
    entries += [(o.id, o.territory_id, o.when, False) for o in rule_set.overlays]
    for rule_id, tid, when, pinned in entries:
        if pinned:
            problems.append(EtmProblem(rule_id, "named-account pins are assigned manually in ETM"))
            continue
        items: list[tuple[str, str, str]] = []
        try:
            boolean_filter = _items(when, items, spellings or {})
        except _InexpressibleError as exc:
            problems.append(EtmProblem(rule_id, str(exc)))
            continue
        if len(items) > MAX_ITEMS:
            problems.append(
                EtmProblem(
                    rule_id, f"needs {len(items)} rule items; ETM allows at most {MAX_ITEMS}"
                )
            )
            continue
        name = developer_name(rule_id)
        while name in used:
            name = name[:76] + f"_{len(used) % 1000}"
        used.add(name)
        rule_rows.append(
            [name, rule_id[:80], boolean_filter, "Account", "true"] + ([model] if model else [])
        )
        for order, (field, operation, value) in enumerate(items, start=1):
            item_rows.append([name, order, field, operation, value])
        assoc_rows.append([name, names.get(tid) or developer_name(tid)])
    custom = sorted({str(row[2]) for row in item_rows if str(row[2]).endswith("__c")})
    if custom:
        # standard Account fields exist in every org; custom ones must be created first
        problems.append(
            EtmProblem(
                None,
                f"the rules read custom Account fields the org must have: {', '.join(custom)}",
            )
        )
    if rule_set.exclusions:
        problems.append(EtmProblem(None, "ETM has no exclusions; they were not exported"))
    if rule_set.catch_all:
        problems.append(EtmProblem(None, "ETM has no catch-all territory"))
    if len({rule_set.level_key(r) for r in rule_set.rules if not r.pinned}) > 1:
        problems.append(
            EtmProblem(
                None,
                "ETM assigns a record to every matching territory; type priorities and rule "
                "order are not exported",
            )
        )
    return EtmExport(
        _csv(
            ["DeveloperName", "MasterLabel", "BooleanFilter", "ObjectType", "IsActive"]
            + (["Territory2ModelId"] if model else []),
            rule_rows,
        ),
        _csv(["RuleId", "SortOrder", "Field", "Operation", "Value"], item_rows),
        _csv(["RuleId", "Territory2Id"], assoc_rows),
        tuple(problems),
    )


# -- import -----------------------------------------------------------------------------------------
_OPS_BACK = {
    "equals": ("equals", "in"),
    "notequal": ("not_equals", "not_in"),
    "startswith": ("starts_with", "starts_with"),
    "contains": ("contains", "contains"),
    "notcontain": ("not_contains", "not_contains"),
    "lessthan": ("lt", "lt"),
    "lessorequal": ("le", "le"),
    "greaterthan": ("gt", "gt"),
    "greaterorequal": ("ge", "ge"),
}


def _our_field(sf_field: str) -> str:
    name = sf_field.split(".", 1)[1] if "." in sf_field else sf_field
    if name.lower() in _FROM_SALESFORCE:
        return _FROM_SALESFORCE[name.lower()]
    return ATTRIBUTE_PREFIX + (name[:-3] if name.endswith("__c") else name)


def _predicate(
    field: str,
    operation: str,
    value: str,
    numeric: bool,
    codes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One rule item as a predicate; ``codes`` (lower-case spelling -> the stored form, e.g.
    'california' -> 'CA') rewrites equality values to the form the records are stored in."""
    key = operation.lower()
    if key not in _OPS_BACK:
        raise _InexpressibleError(f"operation {operation!r} is not supported by terraplan rules")
    if value == "" and key in ("equals", "notequal"):
        return {"field": field, "op": "is_empty" if key == "equals" else "not_empty"}
    parts = value.split(",")
    single, many = _OPS_BACK[key]
    if key in ("lessthan", "lessorequal", "greaterthan", "greaterorequal"):
        if not numeric:
            raise _InexpressibleError(f"{operation} on text field {field!r} is not supported")
        try:
            return {"field": field, "op": single, "value": float(value)}
        except ValueError:
            raise _InexpressibleError(f"{value!r} is not a number") from None
    values: list[Any] = parts
    if codes and key in ("equals", "notequal"):
        values = list(dict.fromkeys(codes.get(p.strip().lower(), p) for p in parts))
    if numeric:
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise _InexpressibleError(f"{value!r} is not a number") from None
    if len(values) == 1 and single in ("equals", "not_equals"):
        return {"field": field, "op": single, "value": values[0]}
    return {"field": field, "op": many, "value": values if len(values) > 1 else values[0]}


_TOKEN = re.compile(r"\s*(\d+|AND|OR|NOT|\(|\))", re.IGNORECASE)


def _parse_filter(text: str, items: Mapping[int, dict[str, Any]]) -> dict[str, Any]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise _InexpressibleError(f"cannot read BooleanFilter {text!r}")
        tokens.append(match.group(1).upper())
        pos = match.end()
    at = 0

    def expr() -> dict[str, Any]:
        nonlocal at
        node = term()
        while at < len(tokens) and tokens[at] in ("AND", "OR"):
            glue = tokens[at].lower().replace("and", "all").replace("or", "any")
            at += 1
            node = {glue: [node, term()]} if glue not in node else {glue: [*node[glue], term()]}
        return node

    def term() -> dict[str, Any]:
        nonlocal at
        if at >= len(tokens):
            raise _InexpressibleError(f"BooleanFilter {text!r} ends too early")
        token = tokens[at]
        at += 1
        if token == "NOT":
            return {"not": term()}
        if token == "(":
            node = expr()
            if at >= len(tokens) or tokens[at] != ")":
                raise _InexpressibleError(f"unbalanced parentheses in {text!r}")
            at += 1
            return node
        if token.isdigit() and int(token) in items:
            return items[int(token)]
        raise _InexpressibleError(f"BooleanFilter {text!r} refers to unknown item {token}")

    node = expr()
    if at != len(tokens):
        raise _InexpressibleError(f"cannot read BooleanFilter {text!r}")
    return node


def _rows(text: str) -> list[dict[str, str]]:
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def import_etm(
    rules_csv: str,
    items_csv: str,
    associations_csv: str,
    *,
    territories: Iterable[Territory | _RuleTerritory] | None = None,
    spellings: Mapping[str, Mapping[str, str]] | None = None,
    attribute_kinds: Mapping[str, str] | None = None,
) -> EtmImport:
    """Rebuild a rule set from ETM CSVs. Rules we cannot read are skipped and listed as problems.

    Territories not in ``territories`` are created as geo territories (named after their
    DeveloperName). All rules get order 0 (ETM has no rule priority). ``spellings`` as for
    :func:`export_etm` (stored form -> other spelling): equality values in the other
    spelling (``BillingState equals California``) become the stored form (``CA``).
    ``attribute_kinds`` (attribute -> "text"/"number", as a rule set's ``attributes``) says
    which custom fields hold numbers: the CSVs do not, and a number field's items read as
    text would compare ``score__c equals 0`` with the text of 0.0 and miss it. The imported
    rule set declares these kinds.
    """
    kinds = dict(attribute_kinds or {})
    codes = {
        field: {
            **{other.lower(): stored for stored, other in table.items()},
            **{stored.lower(): stored for stored in table},
        }
        for field, table in (spellings or {}).items()
    }
    known = {t.id: t for t in territories or ()}
    by_developer_name = {developer_name(tid): tid for tid in known}
    items_by_rule: dict[str, list[dict[str, str]]] = {}
    for row in _rows(items_csv):
        items_by_rule.setdefault(row.get("RuleId", ""), []).append(row)
    terr_by_rule: dict[str, list[str]] = {}
    for row in _rows(associations_csv):
        terr_by_rule.setdefault(row.get("RuleId", ""), []).append(row.get("Territory2Id", ""))
    problems: list[EtmProblem] = []
    rules: list[dict[str, Any]] = []
    overlays: list[dict[str, Any]] = []
    needed: set[str] = set()
    for row in _rows(rules_csv):
        name = row.get("DeveloperName", "")
        label = row.get("MasterLabel") or name
        if row.get("ObjectType", "Account") != "Account":
            problems.append(EtmProblem(name, "only Account rules are imported"))
            continue
        if row.get("IsActive", "true").lower() not in ("true", "1"):
            problems.append(EtmProblem(name, "inactive rule skipped"))
            continue
        try:
            parsed: dict[int, dict[str, Any]] = {}
            for item in sorted(items_by_rule.get(name, []), key=lambda r: int(r["SortOrder"])):
                field = _our_field(item["Field"])
                numeric = field_kind(field, kinds) == "number"
                parsed[int(item["SortOrder"])] = _predicate(
                    field, item["Operation"], item.get("Value", ""), numeric, codes.get(field)
                )
            if not parsed:
                raise _InexpressibleError("the rule has no items")
            text = row.get("BooleanFilter", "").strip()
            when = (
                _parse_filter(text, parsed)
                if text
                else {"all": [parsed[k] for k in sorted(parsed)]}
            )
        except (_InexpressibleError, KeyError, ValueError) as exc:
            problems.append(EtmProblem(name, str(exc) or "malformed rule item"))
            continue
        targets = terr_by_rule.get(name, [])
        if not targets:
            problems.append(EtmProblem(name, "the rule is not associated with any territory"))
            continue
        for target in targets:
            tid = target if target in known else by_developer_name.get(target, target)
            rid = label if len(targets) == 1 else f"{label}@{target}"
            needed.add(tid)
            entry = {"id": rid, "territory": tid, "when": when}
            known_type = known[tid].type if tid in known else TerritoryType.GEO
            (overlays if known_type is TerritoryType.OVERLAY else rules).append(entry)
    file_territories = [{"id": t, "name": t, "type": "geo"} for t in sorted(needed - set(known))]
    data = {
        "attributes": kinds,
        "territories": file_territories,
        "rules": rules,
        "overlays": overlays,
    }
    try:
        rule_set = parse_rule_set(data, territories=known.values())
    except RuleError as exc:
        problems.append(EtmProblem(None, f"the imported rules are invalid: {exc.message}"))
        rule_set = parse_rule_set(
            {"attributes": kinds, "territories": file_territories}, territories=known.values()
        )
    return EtmImport(rule_set, tuple(problems))
