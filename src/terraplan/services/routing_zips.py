"""What a routed record's postal code says about where it goes.

A US record's ZIP decides its state and county over what was typed (as an import decides), and
notes say where a postal code failed to place a record: it is no US ZIP, a ZIP in no ZIP table,
or a ZIP in a county (a state) no rule of the plan names. Used by
:func:`terraplan.services.routing.route_record`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from terraplan.data.counties import county_labels
from terraplan.rules import RuleSet
from terraplan.rules.condition_parser import is_whole_number
from terraplan.rules.fields import is_us, squeeze, zip5
from terraplan.rules.model import Op
from terraplan.services.locations import zip_locator

#: Longest part of a sent postal code a note repeats.
_SHOWN = 40


def _sent(raw: Any) -> str:
    """A sent postal code as a note shows it (quoted text; a number as the number)."""
    text = str(raw).strip()
    shown = text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
    return shown if is_whole_number(raw) else repr(shown)


def unknown_zip_note(record: Mapping[str, Any]) -> tuple[str, ...]:
    """Why a US lead (no country, or the US) no rule placed may have had no county: its postal
    code is no US ZIP (a typo, a foreign code), or a ZIP in no ZIP table (a typo, or one the
    bundled tables lack). A record of another country is never read as a US ZIP."""
    raw = record.get("postal_code")
    if raw is None or str(raw).strip() == "" or record.get("county_fips"):
        return ()
    if not is_us(record.get("country")):
        return ()
    code = zip5(raw)
    if code is None:
        return (not_a_zip(raw),)
    if zip_locator()(code) is not None:
        return ()
    said = (
        f"ZIP {code}"
        if str(raw).strip() == code
        else f"postal code {_sent(raw)}, read as ZIP {code},"
    )
    return (f"{said} is not in the ZIP table, so no county or state could be found for it",)


def not_a_zip(raw: Any) -> str:
    return (
        f"postal code {_sent(raw)} is not a US ZIP code, so no county or state could be found "
        "for it"
    )


def named_places(rule_set: RuleSet) -> dict[str, frozenset[str]]:
    """The county FIPS codes, states and postal codes (custom areas, ZIP lists) the rule
    set's primary rules name (``in``, ``equals``, ``in_geography``), by field: where a record
    can be placed at all."""
    from terraplan.rules.model import predicates_of

    named: dict[str, set[str]] = {}
    for rule in rule_set.rules:
        if rule.pinned:
            continue
        for test in predicates_of(rule.when):
            if test.field in ("county_fips", "state", "postal_code") and test.op in (
                Op.IN,
                Op.EQUALS,
                Op.IN_GEOGRAPHY,
            ):
                named.setdefault(test.field, set()).update(
                    squeeze(str(v)).upper() for v in test.values
                )
    return {field: frozenset(values) for field, values in named.items()}


def outside_plan_note(
    record: Mapping[str, Any], plan_id: str, named: Mapping[str, frozenset[str]]
) -> tuple[str, ...]:
    """Why a lead with a known US ZIP matched no rule: the ZIP lies in a county (or state, or
    postal code list) no rule of the plan names, e.g. Alaska or Puerto Rico, outside the
    bundled lower-48 counties designed plans are drawn from; a code sent with no country
    that the plan names as written (custom area ``6494``, read as ZIP 06494) says to give
    the country. A non-US lead whose postal code no rule names is said too."""
    if record.get("county_fips"):
        return ()
    raw = record.get("postal_code")
    typed = squeeze(str(raw)).upper() if raw is not None else ""
    codes = named.get("postal_code", frozenset())
    if not is_us(record.get("country")):
        if typed and "postal_code" in named and typed not in codes:
            return (
                f"postal code {_sent(raw)} ({str(record.get('country')).strip()}) is none of "
                f"the postal codes the rules of plan {plan_id} name",
            )
        return ()
    code = zip5(raw)
    no_country = str(record.get("country") or "").strip() == ""
    if no_country and code is not None and typed != code and typed in codes:
        # 6494 with no country is read as the US ZIP 06494; the plan names 6494 itself
        return (
            f"postal code {_sent(raw)} was read as the US ZIP {code}, since the lead has no "
            f"country; the rules of plan {plan_id} name the postal code {typed} as written: "
            "give the lead's country to place it by that code",
        )
    place = zip_locator()(code) if code is not None else None
    if place is None:
        return ()
    from terraplan.domain.places import US_STATES

    state = place.state or ""
    where = US_STATES.get(state, state) or "no state"
    county = place.county_fips
    if "county_fips" in named and county and county not in named["county_fips"]:
        bundled = county_labels()
        if county not in bundled:
            return (
                f"ZIP {code} is in {where}, outside the lower-48 counties (and DC) the "
                f"plan's territories are drawn from: no rule of plan {plan_id} names its "
                f"county ({county})",
            )
        return (
            f"ZIP {code} is in {bundled[county]} ({county}), a county no rule of plan "
            f"{plan_id} names",
        )
    if "state" in named and state and state not in named["state"]:
        return (f"ZIP {code} is in {where} ({state}), a state no rule of plan {plan_id} names",)
    if "postal_code" in named and code not in codes:
        return (
            f"ZIP {code} is in {where} ({state or 'no state'}), a postal code no rule of plan "
            f"{plan_id} names",
        )
    return ()


def sent_not_a_zip(record: Mapping[str, Any]) -> bool:
    """A US record sent with a postal code that is no US ZIP."""
    raw = record.get("postal_code")
    if raw is None or str(raw).strip() == "" or not is_us(record.get("country")):
        return False
    return zip5(raw) is None


def zip_decides(record: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A US record's typed state or county that contradicts its known ZIP takes the ZIP's,
    with a note: an import decides so (the ZIP wins), and a lead must route the same typed in
    as imported."""
    code = zip5(record.get("postal_code"))
    country = str(record.get("country") or "US").strip().upper()
    if not code or country not in ("US", "USA") or not code.isdigit():
        return record, ()
    place = zip_locator()(code)
    if place is None:
        return record, ()
    notes: list[str] = []
    fixed = dict(record)
    for field, words, found in (
        ("state", "state", place.state),
        ("county_fips", "county FIPS", place.county_fips),
    ):
        given = record.get(field)
        if given in (None, "") or found is None:
            continue
        typed = str(given).strip().upper()
        if field == "county_fips" and typed.isdigit():
            typed = typed.zfill(5)  # a code that lost its leading zero, as imports pad it
        fixed[field] = found
        if typed == found:
            continue
        notes.append(
            f"{words} {str(given).strip()[:20]} contradicts ZIP {code} (in {found}): the "
            f"ZIP's {words} {found} is used, as an import uses it"
        )
    return fixed, tuple(notes)
