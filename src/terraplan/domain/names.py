"""People and territories as the user knows them: by name, with the id beside a name that
two of them share (two reps called "Alex Kim" are "Alex Kim (R1)" and "Alex Kim (R2)", not
two identical rows)."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["distinct_labels", "name_key"]


def name_key(name: str | None) -> str:
    """A name as typed names are matched: case and runs of spaces ignored."""
    return " ".join((name or "").split()).casefold()


def distinct_labels(named: Iterable[tuple[str, str | None]]) -> dict[str, str]:
    """``(id, name)`` pairs -> id -> label: the name, ``name (id)`` where another id has the
    same name (by :func:`name_key`), the id where there is no name."""
    pairs = dict(named)
    count: dict[str, int] = {}
    for name in pairs.values():
        if name_key(name):
            count[name_key(name)] = count.get(name_key(name), 0) + 1
    return {
        key: (name or key) if count.get(name_key(name), 0) < 2 else f"{name} ({key})"
        for key, name in pairs.items()
    }
