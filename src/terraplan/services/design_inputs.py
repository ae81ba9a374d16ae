"""The design's extra inputs as users give them: CLI option text, CSV files, job JSON.

- keep-together: ``"parent"`` (accounts of one parent family, or the units holding them),
  a CSV file (``unit``, ``group``) or, in a job, a JSON object unit -> group;
- absolute windows: ``METRIC:MIN:MAX`` for every territory (either side may be empty), a
  CSV file (``territory``, ``metric``, ``lower``, ``upper``) or JSON objects;
- travel costs: a CSV file (``unit``, ``rep`` or ``centre``, ``minutes``) or JSON objects.

Each is turned into what :func:`~terraplan.planning.design.design_territories` takes;
errors name the file and row (or the JSON path), the field and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from terraplan.domain import Account, GeoUnit
from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.design_files import fail, number, read_design_csv
from terraplan.planning.design import DesignOutcome
from terraplan.planning.design_groups import merge_groupings, parent_families, unit_families
from terraplan.planning.design_options import BalanceWindow, TravelCost

#: A keep-together source: ``"parent"`` or a ready ``unit id -> group name`` mapping.
KeepTogether = str | Mapping[str, str]

UNIT_HEADERS = ("unit_id", "county_fips", "fips", "zip", "postal_code", "account_id", "id")


def _bad(parameter: str, reason: str, value: object = None) -> InvalidParameterError:
    return InvalidParameterError(
        f"{parameter}: {reason}", details={"parameter": parameter, "value": value}
    )


def parse_window(value: str) -> BalanceWindow:
    """``"potential:1.5M:2.5M"`` (every territory; a side may be empty: ``"workload::1800"``)."""
    parts = value.split(":")
    if len(parts) != 3 or not parts[0].strip() or not (parts[1].strip() or parts[2].strip()):
        raise _bad(
            "--window",
            f"{value!r}: use METRIC:MIN:MAX with MIN or MAX given, e.g. potential:1.5M:2.5M "
            "or workload::1800",
            value,
        )
    sides: list[float | None] = []
    for side, text in zip(("MIN", "MAX"), parts[1:], strict=True):
        if not text.strip():
            sides.append(None)
            continue
        try:
            sides.append(number(text, file="--window", row=0, field=side))
        except DataError:
            raise _bad("--window", f"{value!r}: {side} {text!r} is not a number", value) from None
    return BalanceWindow(parts[0].strip(), sides[0], sides[1], None, f"--window {value}")


def read_windows(path: str | Path) -> list[BalanceWindow]:
    """Per-territory windows from a CSV file: ``territory``, ``metric``, ``lower``, ``upper``
    (one of the two may be empty)."""
    file = str(path)
    rows = read_design_csv(
        path,
        {
            "territory": ("territory_id", "territory_name"),
            "metric": ("measure",),
            "lower": ("min", "minimum", "low"),
            "upper": ("max", "maximum", "high"),
        },
        optional=("lower", "upper"),
    )
    out = []
    for row in rows:
        cells = row.cells
        for field in ("territory", "metric"):
            if not cells[field]:
                raise fail(file, row.line, field, "empty")
        low, high = (
            number(cells[f], file=file, row=row.line, field=f) if cells.get(f) else None
            for f in ("lower", "upper")
        )
        if low is None and high is None:
            raise fail(file, row.line, "lower", "give lower, upper or both")
        out.append(
            BalanceWindow(cells["metric"], low, high, cells["territory"], f"{file}, row {row.line}")
        )
    return out


def read_groups(path: str | Path) -> dict[str, str]:
    """Keep-together groups from a CSV file: ``unit``, ``group``."""
    file = str(path)
    rows = read_design_csv(
        path, {"unit": UNIT_HEADERS, "group": ("group_name", "metro", "cluster", "family")}
    )
    groups: dict[str, str] = {}
    for row in rows:
        unit, group = row.cells["unit"], row.cells["group"]
        if not unit:
            raise fail(file, row.line, "unit", "empty")
        if not group:
            raise fail(file, row.line, "group", "empty")
        if unit in groups and groups[unit] != group:
            raise fail(file, row.line, "group", f"unit {unit} is in group {groups[unit]!r} already")
        groups[unit] = group
    return groups


def read_travel_costs(path: str | Path) -> list[TravelCost]:
    """Travel costs from a CSV file: ``unit``, ``rep`` (or ``centre``), ``minutes``."""
    file = str(path)
    rows = read_design_csv(
        path,
        {
            "unit": UNIT_HEADERS,
            "rep": ("rep_id", "rep_name", "centre", "center", "base"),
            "minutes": ("travel_minutes", "time", "travel_time", "cost", "distance"),
        },
    )
    out = []
    for row in rows:
        for field in ("unit", "rep"):
            if not row.cells[field]:
                raise fail(file, row.line, field, "empty")
        minutes = number(row.cells["minutes"], file=file, row=row.line, field="minutes")
        out.append(
            TravelCost(row.cells["unit"], row.cells["rep"], minutes, f"{file}, row {row.line}")
        )
    return out


def window_option(values: Sequence[str]) -> list[BalanceWindow]:
    """``--window`` values: a CSV file (``.csv``/``.txt``/``.tsv`` or an existing file) is
    read as per-territory windows; anything else is ``METRIC:MIN:MAX``."""
    out: list[BalanceWindow] = []
    for value in values:
        if value.lower().endswith((".csv", ".txt", ".tsv")) or Path(value).is_file():
            out.extend(read_windows(value))
        else:
            out.append(parse_window(value))
    return out


def keep_together_option(values: Sequence[str]) -> list[KeepTogether]:
    """``--keep-together`` values: ``parent`` as is, anything else a CSV file read."""
    return [v if v.strip().lower() == "parent" else read_groups(v) for v in values]


def resolve_groups(
    sources: Sequence[KeepTogether],
    units: Sequence[Any],
    accounts: Sequence[Account],
    *,
    hierarchy: Sequence[Account] = (),
) -> dict[str, str] | None:
    """``unit id -> group name`` from ``sources`` (None when there are none). ``accounts``:
    the open accounts that geo units hold; ``hierarchy``: every stored account, whose
    parent links a family's chain follows (through a closed sub-system, or a parent outside
    the accounts designed)."""
    groupings: list[Mapping[str, str]] = []
    for source in sources:
        if isinstance(source, str):
            if source.strip().lower() != "parent":
                raise _bad("keep_together", f"{source!r}: use 'parent' or unit -> group", source)
            if units and isinstance(units[0], Account):
                groupings.append(parent_families(list(units), hierarchy=hierarchy))
            else:
                geo = [u for u in units if isinstance(u, GeoUnit)]
                groupings.append(unit_families(geo, accounts, hierarchy=hierarchy))
        else:
            groupings.append(source)
    return merge_groupings(groupings) if groupings else None


def keep_together_json(value: object) -> list[KeepTogether]:
    """A job's ``keep_together``: ``"parent"``, ``{"unit": "group"}`` or a list of these."""
    items = value if isinstance(value, list) else [value]
    out: list[KeepTogether] = []
    for i, item in enumerate(items):
        where = f"keep_together[{i}]" if isinstance(value, list) else "keep_together"
        if isinstance(item, str) and item.strip().lower() == "parent":
            out.append("parent")
        elif isinstance(item, dict) and all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in item.items()
        ):
            out.append(dict(item))
        else:
            raise _bad(where, 'give "parent" or an object of unit id -> group name', item)
    return out


def _json_number(item: Mapping[str, Any], field: str, where: str) -> float | None:
    value = item.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"{where}.{field}", "must be a number", value)
    if value < 0:
        raise _bad(f"{where}.{field}", "must be >= 0", value)
    return float(value)


def windows_json(value: object) -> list[BalanceWindow]:
    """A job's ``windows``: ``[{"metric", "lower", "upper", "territory"?}]``."""
    if not isinstance(value, list):
        raise _bad("windows", "must be a list of {metric, lower, upper, territory}", value)
    out = []
    for i, item in enumerate(value):
        where = f"windows[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("metric"), str):
            raise _bad(where, "must be an object with a metric name", item)
        extra = set(item) - {"metric", "lower", "upper", "territory"}
        if extra:
            raise _bad(f"{where}.{sorted(extra)[0]}", "unknown field", item)
        territory = item.get("territory")
        if territory is not None and not isinstance(territory, str):
            raise _bad(f"{where}.territory", "must be a territory id or name", territory)
        low, high = _json_number(item, "lower", where), _json_number(item, "upper", where)
        if low is None and high is None:
            raise _bad(where, "give lower, upper or both", item)
        out.append(BalanceWindow(item["metric"], low, high, territory, where))
    return out


def travel_costs_json(value: object) -> list[TravelCost]:
    """A job's ``travel_costs``: ``[{"unit", "rep", "minutes"}]``."""
    if not isinstance(value, list):
        raise _bad("travel_costs", "must be a list of {unit, rep, minutes}", value)
    out = []
    for i, item in enumerate(value):
        where = f"travel_costs[{i}]"
        if not isinstance(item, dict):
            raise _bad(where, "must be an object {unit, rep, minutes}", item)
        for field in ("unit", "rep"):
            if not isinstance(item.get(field), str) or not item[field]:
                raise _bad(f"{where}.{field}", "must be a non-empty text", item.get(field))
        minutes = _json_number(item, "minutes", where)
        if minutes is None:
            raise _bad(f"{where}.minutes", "is required", item)
        out.append(TravelCost(item["unit"], item["rep"], minutes, where))
    return out


def option_record(
    keep_together: Sequence[KeepTogether],
    windows: Sequence[BalanceWindow],
    travel_costs: Sequence[TravelCost],
    outcome: DesignOutcome,
) -> dict[str, Any]:
    """What the design was asked beyond tolerances, for the plan's parameters."""
    record: dict[str, Any] = {}
    if keep_together:
        record["keep_together"] = [s if isinstance(s, str) else "file" for s in keep_together]
        record["groups"] = len(outcome.groups.names) if outcome.groups is not None else 0
    if windows:
        record["windows"] = [
            {"metric": w.metric, "lower": w.lower, "upper": w.upper, "territory": w.territory}
            for w in windows
        ]
    if travel_costs:
        record["travel_costs"] = len(travel_costs)
    return record


#: A design job's parameters beside ``design_plan``'s plain ones, and their converters.
JOB_CONVERTERS = {
    "keep_together": keep_together_json,
    "windows": windows_json,
    "travel_costs": travel_costs_json,
}


def design_job_options(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """``parameters`` with the JSON ``keep_together``, ``windows`` and ``travel_costs``
    turned into what :func:`~terraplan.services.design.design_plan` takes (absent or null:
    left out). Raises :class:`InvalidParameterError` naming the JSON path."""
    out = dict(parameters)
    for key, convert in JOB_CONVERTERS.items():
        value = out.pop(key, None)
        if value is not None:
            out[key] = convert(value)
    return out
