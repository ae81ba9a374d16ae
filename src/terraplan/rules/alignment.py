"""Generate a rule set from a designed plan's geo alignment (design -> rules -> assignment)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from terraplan.domain import Territory
from terraplan.errors import InvalidParameterError, RuleError
from terraplan.rules.model import RuleSet, RuleTerritory
from terraplan.rules.parse import parse_rule_set


def rules_from_alignment(
    territories: Iterable[Territory | RuleTerritory],
    unit_kind: Literal["county", "zip", "custom"],
    unit_to_territory: Mapping[str, str],
    unit_postal_codes: Mapping[str, list[str]] | None = None,
    *,
    name: str | None = None,
    catch_all: str | None = None,
) -> RuleSet:
    """One rule per territory from an alignment ``geo unit id -> territory id``.

    ``unit_kind="zip"``: rule ``<territory>-zip``: ``postal_code in [its ZIPs]``.
    ``unit_kind="custom"``: rule ``<territory>-area``: ``postal_code in [its area ids]`` (an
    account is in a custom area by its postal code, the area's id).
    ``unit_kind="county"``: rule ``<territory>-county``: ``county_fips in [its counties]``
    (order 0); when ``unit_postal_codes`` (county FIPS -> ZIPs) is given, also
    ``<territory>-zip`` on the counties' postal codes at order 1, used for records without a
    county FIPS (a record whose county and ZIP disagree is decided by the county).
    Raises :class:`RuleError` naming ``unit_to_territory[<unit>]`` for an unknown territory.
    """
    if unit_kind not in ("county", "zip", "custom"):
        raise InvalidParameterError(
            f"unit_kind must be 'county', 'zip' or 'custom', got {unit_kind!r}",
            details={"parameter": "unit_kind"},
        )
    known = {t.id: t for t in territories}
    units: dict[str, list[str]] = {}
    for unit, tid in unit_to_territory.items():
        if tid not in known:
            raise RuleError(
                f"unit_to_territory[{unit}]: unknown territory {tid!r}",
                details={"path": f"unit_to_territory[{unit}]", "reason": "unknown territory"},
            )
        units.setdefault(tid, []).append(str(unit))
    rules: list[dict[str, Any]] = []
    for tid in known:
        if tid not in units:
            continue
        codes = sorted(units[tid])
        field = "county_fips" if unit_kind == "county" else "postal_code"
        suffix = "area" if unit_kind == "custom" else unit_kind
        rules.append(
            {
                "id": f"{tid}-{suffix}",
                "territory": tid,
                "when": {"field": field, "op": "in", "value": codes},
            }
        )
        if unit_kind == "county" and unit_postal_codes is not None:
            zips = sorted({z for c in codes for z in unit_postal_codes.get(c, [])})
            if zips:
                rules.append(
                    {
                        "id": f"{tid}-zip",
                        "territory": tid,
                        "order": 1,
                        "when": {"field": "postal_code", "op": "in", "value": zips},
                    }
                )
    data: dict[str, Any] = {"rules": rules}
    if name is not None:
        data["name"] = name
    if catch_all is not None:
        data["catch_all"] = catch_all
    return parse_rule_set(data, territories=known.values())
