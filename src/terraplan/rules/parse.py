"""Parse and validate rule sets (YAML/JSON text or plain mappings) into :class:`RuleSet`.

A malformed rule set is rejected as a whole with :class:`~terraplan.errors.RuleError`;
``details["path"]`` names the offending element (``rules[3].when.any[1].value``) and the
message says why.

The pieces: :mod:`~terraplan.rules.element_checks` (paths, errors, element shapes) and
:mod:`~terraplan.rules.condition_parser` (conditions and territory references).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from terraplan.domain import DEFAULT_PRIORITY, Territory, TerritoryType
from terraplan.domain.ids import ALLOWED_ID, is_usable_id
from terraplan.domain.salesforce_ids import record_key, with_other_forms
from terraplan.rules.condition_parser import (
    COMPARE,
    LOCATION,
    MAX_TEXT_VALUE,
    MAX_USE_DEPTH,
    TEXT_ONLY,
    ConditionParser,
)
from terraplan.rules.document import check_expanded
from terraplan.rules.element_checks import (
    MAX_ID_LENGTH,
    MAX_PATH_SHOWN,
    MAX_REASON_SHOWN,
    as_list,
    as_mapping,
    check_keys,
    fail,
    ident,
    join_path,
)
from terraplan.rules.fields import field_kind
from terraplan.rules.lookalikes import lookalike_notes
from terraplan.rules.model import (
    Always,
    Condition,
    Exclusion,
    Op,
    Overlay,
    Predicate,
    Rule,
    RuleSet,
    RuleTerritory,
    TieBreaker,
)

__all__ = [
    "COMPARE",
    "LOCATION",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "MAX_PATH_SHOWN",
    "MAX_REASON_SHOWN",
    "MAX_TEXT_VALUE",
    "MAX_USE_DEPTH",
    "TEXT_ONLY",
    "TOP_KEYS",
    "load_rule_set",
    "parse_rule_set",
]

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
#: Territory names are stored in a column of this width (and shown in every table).
MAX_NAME_LENGTH = 255


def _file_territories(raw: Any, known: dict[str, RuleTerritory]) -> dict[str, RuleTerritory]:
    territories = dict(known)
    declared: set[str] = set()
    parents: dict[str, tuple[str, str]] = {}
    for i, item in enumerate(as_list(raw, "territories", "'territories'", allow_empty=True)):
        path = f"territories[{i}]"
        data = as_mapping(item, path, "a territory")
        check_keys(data, ("id", "name", "type", "parent"), path)
        tid = ident(data.get("id"), join_path(path, "id"), "a territory id")
        if tid not in known and not is_usable_id(tid):
            # A territory the rule set declares may be added to the plan when it is saved, and
            # its id becomes part of URLs (its page, its KPIs): checked as `plans new` checks
            # ids, here, so that `rules check` and the API's validation say it too.
            raise fail(
                join_path(path, "id"),
                f"{tid!r} is not a usable territory id: use {ALLOWED_ID}",
            )
        if tid in declared:
            raise fail(join_path(path, "id"), f"duplicate territory id {tid!r}")
        declared.add(tid)
        try:
            ttype = TerritoryType(data.get("type", "geo"))
        except ValueError:
            raise fail(
                join_path(path, "type"), f"unknown territory type {data.get('type')!r}"
            ) from None
        name = data.get("name", tid)
        if not isinstance(name, str) or not name.strip():
            raise fail(join_path(path, "name"), "a territory name must be non-empty text")
        if len(name) > MAX_NAME_LENGTH:
            raise fail(
                join_path(path, "name"),
                f"a territory name is longer than {MAX_NAME_LENGTH} characters",
            )
        if tid in known and known[tid].type is not ttype:
            raise fail(
                join_path(path, "type"),
                f"{tid!r} is a {known[tid].type} territory in the plan, not {ttype}: declare it "
                f"{known[tid].type} here, or leave it out of the plan (a territory the rule "
                "set routes to and the plan lacks is added with the rule set's type)",
            )
        territories[tid] = RuleTerritory(tid, name, ttype)
        if "parent" in data:
            parents[tid] = (ident(data["parent"], join_path(path, "parent"), "a parent id"), path)
    for tid, (parent, path) in parents.items():
        if parent not in territories:
            raise fail(join_path(path, "parent"), f"unknown parent territory {parent!r}")
        seen = [tid]
        node: str | None = parent
        while node is not None:
            if node in seen:
                raise fail(
                    join_path(path, "parent"), f"the territory hierarchy has a cycle via {node!r}"
                )
            seen.append(node)
            node = parents[node][0] if node in parents else None
        territories[tid] = replace(territories[tid], parent_id=parent)
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
    root = as_mapping(data, "", "a rule set")
    check_keys(root, TOP_KEYS, "")
    known = {t.id: RuleTerritory(t.id, t.name, t.type) for t in territories or ()}
    terr = _file_territories(root.get("territories", []), known)
    geo = {k: frozenset(str(u) for u in v) for k, v in (geographies or {}).items()}
    parser = ConditionParser(root, terr, geo)

    for key, kind in as_mapping(root.get("attributes", {}), "attributes", "'attributes'").items():
        if field_kind(f"attributes.{key}", {}) is None:
            raise fail(f"attributes.{key}", f"bad attribute name {key!r}")
        if kind not in ("text", "number"):
            raise fail(
                f"attributes.{key}", f"attribute kind must be 'text' or 'number', got {kind!r}"
            )
        parser.attribute_kinds[str(key)] = kind
    parser.named_raw = as_mapping(root.get("conditions", {}), "conditions", "'conditions'")
    for name in parser.named_raw:
        parser.use(name, f"conditions.{name}")

    priority = DEFAULT_PRIORITY
    if "priority" in root:
        items = as_list(root["priority"], "priority", "'priority'")
        parsed_types: list[TerritoryType] = []
        for i, item in enumerate(items):
            try:
                ttype = TerritoryType(item)
            except ValueError:
                raise fail(f"priority[{i}]", f"unknown territory type {item!r}") from None
            if ttype is TerritoryType.OVERLAY:
                raise fail(f"priority[{i}]", "overlay territories never compete for ownership")
            if ttype in parsed_types:
                raise fail(f"priority[{i}]", f"territory type {item!r} is listed twice")
            parsed_types.append(ttype)
        priority = tuple(parsed_types)

    def primary_territory(value: Any, path: str) -> str:
        tid = parser.territory(value, path)
        ttype = terr[tid].type
        if ttype is TerritoryType.OVERLAY:
            raise fail(path, f"{tid!r} is an overlay territory; use 'overlays' for it")
        if ttype not in priority:
            raise fail(path, f"territory type {ttype.value!r} of {tid!r} is not in 'priority'")
        return tid

    rules: list[Rule] = []
    rule_ids: set[str] = set()
    pinned: dict[str, str] = {}
    named_accounts: dict[str, tuple[str, ...]] = {}
    for i, item in enumerate(
        as_list(
            root.get("named_accounts", []), "named_accounts", "'named_accounts'", allow_empty=True
        )
    ):
        path = f"named_accounts[{i}]"
        entry = as_mapping(item, path, "a named-account entry")
        check_keys(entry, ("territory", "accounts"), path)
        tid = primary_territory(entry.get("territory"), join_path(path, "territory"))
        if tid in named_accounts:
            raise fail(join_path(path, "territory"), f"territory {tid!r} already has a named list")
        apath = join_path(path, "accounts")
        ids = as_list(entry.get("accounts"), apath, "'accounts'")
        for j, account in enumerate(ids):
            ident(account, f"{apath}[{j}]", "an account id")
            key = record_key(account)  # 001A…(15) and 001A…AAA (18) are one account
            if key in pinned:
                raise fail(
                    f"{apath}[{j}]", f"account {account!r} is already pinned to {pinned[key]!r}"
                )
            pinned[key] = tid
        named_accounts[tid] = tuple(ids)
        # a pin names the account in either Salesforce form (15 or 18 characters), as an
        # import matches references: the CRM's report and its API give different ones
        when = Predicate("id", Op.IN, with_other_forms(ids), case_sensitive=True)
        rule_ids.add(f"named:{tid}")
        rules.append(Rule(f"named:{tid}", tid, when, -1, len(rules), "named accounts", True))

    for i, item in enumerate(as_list(root.get("rules", []), "rules", "'rules'", allow_empty=True)):
        path = f"rules[{i}]"
        entry = as_mapping(item, path, "a rule")
        check_keys(entry, ("id", "territory", "when", "order", "description"), path)
        rid = ident(entry.get("id"), join_path(path, "id"), "a rule id")
        if rid in rule_ids:
            raise fail(join_path(path, "id"), f"duplicate rule id {rid!r}")
        rule_ids.add(rid)
        tid = primary_territory(entry.get("territory"), join_path(path, "territory"))
        order = entry.get("order", 0)
        if not isinstance(order, int) or isinstance(order, bool) or order < 0:
            raise fail(
                join_path(path, "order"), f"order must be a whole number >= 0, got {order!r}"
            )
        rule_when: Condition = (
            parser.condition(entry["when"], join_path(path, "when"))
            if "when" in entry
            else Always()
        )
        description = entry.get("description")
        if description is not None and not isinstance(description, str):
            raise fail(join_path(path, "description"), "a description must be text")
        rules.append(Rule(rid, tid, rule_when, order, len(rules), description))

    exclusions: list[Exclusion] = []
    for i, item in enumerate(
        as_list(root.get("exclusions", []), "exclusions", "'exclusions'", allow_empty=True)
    ):
        path = f"exclusions[{i}]"
        entry = as_mapping(item, path, "an exclusion")
        check_keys(entry, ("territory", "when", "accounts"), path)
        tid = parser.territory(entry.get("territory"), join_path(path, "territory"))
        if ("when" in entry) == ("accounts" in entry):
            raise fail(path, "an exclusion needs exactly one of 'when' or 'accounts'")
        if "accounts" in entry:
            apath = join_path(path, "accounts")
            ids = as_list(entry["accounts"], apath, "'accounts'")
            for j, account in enumerate(ids):
                ident(account, f"{apath}[{j}]", "an account id")
            cond: Condition = Predicate("id", Op.IN, tuple(ids), case_sensitive=True)
        else:
            cond = parser.condition(entry["when"], join_path(path, "when"))
        exclusions.append(Exclusion(tid, cond))

    overlays: list[Overlay] = []
    for i, item in enumerate(
        as_list(root.get("overlays", []), "overlays", "'overlays'", allow_empty=True)
    ):
        path = f"overlays[{i}]"
        entry = as_mapping(item, path, "an overlay")
        check_keys(entry, ("id", "territory", "when", "role"), path)
        oid = ident(entry.get("id"), join_path(path, "id"), "an overlay id")
        if oid in rule_ids:
            raise fail(join_path(path, "id"), f"duplicate rule id {oid!r}")
        rule_ids.add(oid)
        tid = parser.territory(entry.get("territory"), join_path(path, "territory"))
        if terr[tid].type is not TerritoryType.OVERLAY:
            raise fail(join_path(path, "territory"), f"{tid!r} is not an overlay territory")
        role = entry.get("role", "overlay")
        if not isinstance(role, str) or not role.strip():
            raise fail(join_path(path, "role"), "a role must be non-empty text")
        if len(role) > MAX_ID_LENGTH:
            raise fail(join_path(path, "role"), f"a role is longer than {MAX_ID_LENGTH} characters")
        if "when" not in entry:
            raise fail(join_path(path, "when"), "an overlay needs a 'when' condition")
        overlays.append(
            Overlay(oid, tid, parser.condition(entry["when"], join_path(path, "when")), role)
        )

    catch_all = None
    if root.get("catch_all") is not None:
        catch_all = parser.territory(root["catch_all"], "catch_all")
        if terr[catch_all].type is TerritoryType.OVERLAY:
            raise fail("catch_all", "an overlay territory cannot be the catch-all")
    try:
        tie = TieBreaker(root.get("tie_breaker", "none"))
    except ValueError:
        raise fail("tie_breaker", f"unknown tie breaker {root.get('tie_breaker')!r}") from None
    set_name = root.get("name")
    if set_name is not None and not isinstance(set_name, str):
        raise fail("name", "a rule-set name must be text")
    version = root.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail("version", f"version must be a whole number >= 1, got {version!r}")
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
        notes=(
            *parser.notes,
            *lookalike_notes((t.id, t.name) for t in terr.values()),
        ),
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
    from terraplan.rules.catch_all_notes import idle_catch_all_notes
    from terraplan.rules.document import read_document

    data = read_document(text)
    rule_set = parse_rule_set(data, territories=territories, geographies=geographies)
    idle = idle_catch_all_notes(data, text, rule_set)
    return replace(rule_set, notes=(*rule_set.notes, *idle)) if idle else rule_set
