"""Hypothesis strategies of rule sets and records, shared by the rules' property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from terraplan.rules import RuleSet, parse_rule_set

TEXT_VOCAB = {
    "state": ["CA", "ca", "Ca", "NY", "ny", "TX", "WA", ""],
    # whitespace runs compare as one space, none at either end (CRM values typed by hand; a
    # no-break space from a web form too); case folds alike everywhere (É, İ, final sigma)
    "industry": [
        "Software", "software", "SaaS", "Health Care", "  Health   Care ", "health", "",
        "Software\u00a0", "\u3000Health\u00a0Care", "İnternet", "internet", "ΟΔΟΣ", "οδος",
    ],
    "name": [
        "Acme Inc", "ACME inc", "Acme\t Inc ", " a c", "MegaCorp", "a.c", "x123y", "",
        "Société Générale", "SOCIÉTÉ GÉNÉRALE", "Acme\u202fInc",
    ],
    "postal_code": ["94000", "94999", "95000", "94107-1234", "9410", "ab123", "09999", "10001", ""],
    # a record abroad has no US state, county or ZIP number
    "country": ["US", "usa", "United States", "DE", "Germany", "CA", " us\u00a0", ""],
}  # fmt: skip
NUMBERS = [0, 49, 50, 51, 100, 1000]
REGEXES = ["^ca$", "soft", "[0-9]{3}", "^a.*c$", "inc$", "^9[45]", "a|y"]
POINTS = [(37.77, -122.42), (34.05, -118.24), (40.71, -74.0), (37.9, -122.3)]

text_field = st.sampled_from(sorted(TEXT_VOCAB))


@st.composite
def text_predicate(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(text_field)
    vocab = [v for v in TEXT_VOCAB[field] if v]
    op = draw(
        st.sampled_from(
            [
                "equals",
                "not_equals",
                "in",
                "not_in",
                "starts_with",
                "ends_with",
                "contains",
                "not_contains",
                "regex",
                "is_empty",
                "not_empty",
            ]
        )
    )
    pred: dict[str, Any] = {"field": field, "op": op}
    if op in ("in", "not_in"):
        pred["value"] = draw(st.lists(st.sampled_from(vocab), min_size=1, max_size=3))
    elif op == "regex":
        pred["value"] = draw(st.sampled_from(REGEXES))
    elif op in ("starts_with", "ends_with", "contains", "not_contains"):
        pieces = [v[:k] for v in vocab for k in (1, 2, 3)] + [v[-2:] for v in vocab]
        pred["value"] = draw(st.sampled_from(pieces))
    elif op not in ("is_empty", "not_empty"):
        pred["value"] = draw(st.sampled_from(vocab))
    if op not in ("is_empty", "not_empty") and draw(st.booleans()):
        pred["case_sensitive"] = True
    return pred


@st.composite
def number_predicate(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(["employees", "annual_revenue", "attributes.score"]))
    op = draw(
        st.sampled_from(
            [
                "equals",
                "not_equals",
                "in",
                "not_in",
                "lt",
                "le",
                "gt",
                "ge",
                "between",
                "is_empty",
                "not_empty",
            ]
        )
    )
    pred: dict[str, Any] = {"field": field, "op": op}
    if op in ("in", "not_in"):
        pred["value"] = draw(st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3))
    elif op == "between":
        pred["value"] = sorted(draw(st.lists(st.sampled_from(NUMBERS), min_size=2, max_size=2)))
    elif op not in ("is_empty", "not_empty"):
        pred["value"] = draw(st.sampled_from(NUMBERS))
    return pred


@st.composite
def code_predicate(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(["lt", "le", "gt", "ge", "between"]))
    bounds = [9999, 10001, 94000, 94107, 94999, 95000]
    if op == "between":
        return {
            "field": "postal_code",
            "op": op,
            "value": sorted(draw(st.lists(st.sampled_from(bounds), min_size=2, max_size=2))),
        }
    return {"field": "postal_code", "op": op, "value": draw(st.sampled_from(bounds))}


@st.composite
def distance_predicate(draw: st.DrawFn) -> dict[str, Any]:
    lat, lon = draw(st.sampled_from(POINTS))
    unit = draw(st.sampled_from(["km", "mi"]))
    return {
        "op": "within",
        "value": {"lat": lat, "lon": lon, unit: draw(st.sampled_from([5, 50, 600]))},
    }


predicate = st.one_of(text_predicate(), number_predicate(), code_predicate(), distance_predicate())
condition = st.recursive(
    predicate,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
        inner.map(lambda x: {"not": x}),
    ),
    max_leaves=5,
)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    types = ["geo", "vertical", "segment"]
    territories = [
        {"id": f"t{i}", "name": f"T{i}", "type": draw(st.sampled_from(types))} for i in range(4)
    ]
    territories += [{"id": "ov", "type": "overlay"}, {"id": "pool", "type": "catch_all"}]
    rules = [
        {
            "id": f"r{i}",
            "territory": f"t{draw(st.integers(0, 3))}",
            "order": draw(st.integers(0, 1)),
            "when": draw(condition),
        }
        for i in range(draw(st.integers(1, 6)))
    ]
    data: dict[str, Any] = {
        "attributes": {"score": "number"},
        "territories": territories,
        "rules": rules,
    }
    if draw(st.booleans()):
        data["exclusions"] = [
            {"territory": draw(st.sampled_from(["t0", "t1", "ov"])), "when": draw(condition)}
        ]
    if draw(st.booleans()):
        data["overlays"] = [
            {"id": f"o{i}", "territory": "ov", "when": draw(condition)}
            for i in range(draw(st.integers(1, 2)))
        ]
    if draw(st.booleans()):
        data["catch_all"] = "pool"
    if draw(st.booleans()):
        data["named_accounts"] = [{"territory": "t0", "accounts": ["id1"]}]
    data["tie_breaker"] = draw(st.sampled_from(["none", "none", "rule_position"]))
    return parse_rule_set(data)


def maybe(values: list[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.sampled_from(values))


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 12))
    out = []
    for i in range(n):
        point = draw(
            st.one_of(st.none(), st.sampled_from([*POINTS, (37.5, -122.0), (36.0, -120.0)]))
        )
        out.append(
            {
                "id": f"id{i}",
                **{f: draw(maybe(v)) for f, v in TEXT_VOCAB.items()},
                "employees": draw(maybe(NUMBERS)),
                "annual_revenue": draw(maybe([float(x) for x in NUMBERS] + [50.5])),
                "attr_score": draw(maybe([0.0, 50.0, 99.9])),
                "latitude": point[0] if point else None,
                "longitude": point[1] if point else None,
            }
        )
    return out
