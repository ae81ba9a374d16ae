"""Where a rule-set element is and why it is refused: :class:`~terraplan.errors.RuleError` at a
path (``rules[3].when.any[1].value``), and the shape checks of plain elements (mapping, list,
known keys, ids, numbers) that raise it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from terraplan.errors import RuleError
from terraplan.rules.regex import shorten

MAX_ID_LENGTH = 80
MAX_PATH_SHOWN = 200
MAX_REASON_SHOWN = 300


def fail(path: str, reason: str) -> RuleError:
    # values quoted in messages can be huge (a 1 MB 'contains' text): keep messages short
    path, reason = shorten(path, MAX_PATH_SHOWN), shorten(reason, MAX_REASON_SHOWN)
    where = path or "rule set"
    return RuleError(f"{where}: {reason}", details={"path": path, "reason": reason})


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def described(value: Any) -> str:
    """What a YAML/JSON value is, in words (not a Python type name)."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:39] + "…"
        return f"the text {shown!r}"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def as_mapping(value: Any, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        if value is None and not path:
            raise fail(path, "the document is empty: a rule set needs territories and rules")
        raise fail(path, f"{what} must be a mapping, got {described(value)}")
    return value


def as_list(value: Any, path: str, what: str, *, allow_empty: bool = False) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise fail(path, f"{what} must be a list, got {described(value)}")
    if not value and not allow_empty:
        raise fail(path, f"{what} must not be an empty list")
    return list(value)


def check_keys(data: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    allowed_set = set(allowed)
    for key in data:
        if key not in allowed_set:
            raise fail(
                join_path(path, str(key)), f"unknown key {key!r}; expected {sorted(allowed_set)}"
            )


def ident(value: Any, path: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise fail(path, f"{what} must be non-empty text")
    if len(value) > MAX_ID_LENGTH:
        raise fail(path, f"{what} is longer than {MAX_ID_LENGTH} characters")
    return value


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
