"""One value typed in (an API field, a CLI option) read as an import reads a cell of a file
with a decimal point, with the same parsers (:mod:`terraplan.io.parsing`), so that a lead
sent to routing accepts the spellings its import accepts."""

from __future__ import annotations

import polars as pl

from terraplan.io import parsing


def whole_number(text: str) -> int | None:
    """``text`` as a whole number (``1000``, ``1,000``, ``1 000``, ``1\u00a0000``, ``1'000``),
    or None when it is none (``abc``, ``12.5``, ``1000+``) or could be two numbers:
    ``1.000`` is 1 with a decimal point and 1000 with a decimal comma."""
    value, dotted = _read(text)
    return None if value is None or dotted else int(value)


def _read(text: str) -> tuple[int | None, bool]:
    """The whole number with a decimal point, and whether a dot makes it two numbers."""
    frame = pl.DataFrame({"text": [text]}, schema={"text": pl.String})
    cell = parsing.clean_text("text")
    value, ambiguous = frame.select(
        parsing.parse_int(cell, "point").alias("value"),
        parsing.ambiguous_number(cell).alias("ambiguous"),
    ).row(0)
    return value, bool(ambiguous) and "." in text


def whole_number_problem(text: str) -> str:
    """Why ``text`` is no whole number (:func:`whole_number` gave None), in words."""
    if _read(text)[1]:
        return (
            f"{text!r} could be two numbers (a decimal point, or a dot grouping thousands): "
            "write it with no dot"
        )
    return f"{text!r} is not a whole number (1000, 1,000 and 1 000 are)"
