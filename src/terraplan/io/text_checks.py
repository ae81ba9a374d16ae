"""Text fields against what storage can keep: lengths and control characters.

A text longer than its database column is refused per row: PostgreSQL would refuse the
whole write with a message naming no row (``value too long for type character varying``),
and SQLite would keep it as it is, so the two databases would disagree. The lengths come from
the caller (``text_limits``: field -> most characters), who reads them from the storage
schema: the io layer does not import storage, and the schema stays their one source.

NUL and the other C0 control characters (and DEL) are not text: PostgreSQL refuses NUL, many
tools cut a value at it (``HX-0\\x0001`` shows as ``HX-0``), and ESC sequences in a name
recolour a terminal that prints a report. Free text may hold a tab or a line break (a
Salesforce street is several lines); ids, codes, e-mail addresses and references may not.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import RAW, Checker

#: Control characters no text field may hold.
CONTROL_IN_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
#: Control characters an id, code or address may not hold (whitespace controls too).
CONTROL_IN_CODE = r"[\x00-\x1f\x7f]"
#: Fields read as codes (besides ``id`` and every ``*_id``).
CODE_FIELDS = frozenset(
    ("postal_code", "home_postal_code", "county_fips", "email", "state", "country", "kind")
)


def _is_code(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name in CODE_FIELDS


def shown_safely(value: pl.Expr) -> pl.Expr:
    """``value`` with control characters replaced, fit to be printed in a report."""
    return value.str.replace_all(CONTROL_IN_CODE, "\ufffd")


def check_text(checker: Checker, text_limits: Mapping[str, int] | None) -> None:
    """Refuse text over its column's length and text holding control characters."""
    limits = text_limits or {}
    for name, dtype in checker.ctx.schema.items():
        if name.endswith(RAW) or dtype != pl.String:
            continue
        field = name
        if field not in checker.spec.names and not field.startswith("attributes."):
            continue
        column = pl.col(name)
        pattern = CONTROL_IN_CODE if _is_code(field) else CONTROL_IN_TEXT
        found = column.str.extract(f"({pattern})", 1)
        reason = pl.concat_str(
            pl.lit("holds the control character U+00"),
            found.str.encode("hex").str.to_uppercase(),
            pl.lit(
                ", which is not text (a NUL, or a terminal escape): remove it"
                if not _is_code(field)
                else ", which an id or code cannot hold: remove it"
            ),
        )
        has_control = column.str.contains(pattern).fill_null(False)
        checker.add(has_control, field, reason, value=shown_safely(checker.value_of(field)))
        limit = limits.get(field)
        if limit is None:
            continue
        length = column.str.len_chars()
        checker.add(
            (length > limit).fill_null(False) & ~has_control,
            field,
            pl.concat_str(
                length.cast(pl.String),
                pl.lit(f" characters; the limit is {limit:,} (what the database stores)"),
            ),
            value=shown_safely(checker.value_of(field)),
        )
