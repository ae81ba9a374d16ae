"""Owner cells naming a rep by name, as a report or a hand-kept quota sheet writes them.

A CRM report shows an owner by name ("Mia Wilson"), a quota sheet kept by hand too: a name
one rep has becomes that rep's id (case and spaces aside; then accents and apostrophes
aside), with one warning each; a name several reps share stays as written, said once.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import Checker
from terraplan.io.readers import ROW
from terraplan.io.report import MAX_QUOTED


def _name_key(text: pl.Expr) -> pl.Expr:
    return text.str.to_lowercase().str.replace_all(r"\s+", " ").str.strip_chars()


def names_to_ids(
    checker: Checker, name: str, known: pl.Series, rep_names: Mapping[str, str]
) -> list[str]:
    """Owner cells naming a rep by their (unique) name become the rep's id; one warning.
    Cells naming a name several reps share are kept as written, with one warning of their
    own; returns those cells' values (so that they are not also called unknown)."""
    counts: dict[str, list[str]] = {}
    for rep_id, rep_name in rep_names.items():
        counts.setdefault(" ".join(rep_name.split()).lower(), []).append(rep_id)
    shared = _shared_names(checker, name, known, counts)
    table = {key: ids[0] for key, ids in counts.items() if len(ids) == 1}
    if table:
        _exact_names(checker, name, known, table)
    # also when no cell names a rep exactly: a file may spell every owner without accents
    _names_spelt_otherwise(checker, name, known, rep_names, counts)
    return shared


def _exact_names(checker: Checker, name: str, known: pl.Series, table: Mapping[str, str]) -> None:
    """Owner cells naming one rep's name (case and spaces aside) become the rep's id; one
    warning. ``table``: name key -> rep id, for the names one rep has."""
    col = pl.col(name)
    resolved = _name_key(col).replace_strict(dict(table), default=None, return_dtype=pl.String)
    by_name = col.is_not_null() & ~col.is_in(known.implode()) & resolved.is_not_null()
    hits = checker.ctx.filter(by_name).select(ROW, col, resolved.alias("__id__"))
    if hits.height == 0:
        return
    checker.ctx = checker.ctx.with_columns(
        pl.when(by_name).then(resolved).otherwise(col).alias(name)
    )

    def say(kept: pl.DataFrame) -> str:
        example = f"{kept[name][0][:MAX_QUOTED]} -> {kept['__id__'][0]}"
        noun = "rows name" if kept.height != 1 else "row names"
        return (
            f"{kept.height:,} {noun} the {name.replace('_id', '')} by name (e.g. {example}):"
            " replaced by the rep id"
        )

    checker.note(hits, say)


#: Apostrophes a name may be typed with, or without ("O’Brien" or "OBrien" for a stored
#: "O'Brien": a CRM's user name, a Pipedrive export's "Tom OConnor").
_APOSTROPHES = "'’‘`´ʼ"
_NO_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)


def fold_name(name: str) -> str:
    """``name`` as :func:`_folded` reads it, for one string (the reps' import resolving owner
    names stored before the reps): no accents or apostrophes, lower case, spaces collapsed."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(plain.translate(_NO_APOSTROPHES).split()).lower()


def _folded(text: pl.Expr) -> pl.Expr:
    """A name without accents or apostrophes, in lower case, spaces collapsed."""
    plain = text.str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    return _name_key(plain.str.replace_all(f"[{_APOSTROPHES}]", ""))


def _names_spelt_otherwise(
    checker: Checker,
    name: str,
    known: pl.Series,
    rep_names: Mapping[str, str],
    exact: Mapping[str, list[str]],
) -> None:
    """Owner cells naming no rep exactly but one rep once accents and apostrophes are set
    aside ("Sophia Garcia" for "Sophia García", "O’Brien" or "OBrien" for "O'Brien") become
    that rep's id;
    one warning naming both spellings. A spelling two reps' names share stays unknown."""
    names = pl.DataFrame(
        {"id": list(rep_names), "rep": list(rep_names.values())},
        schema={"id": pl.String, "rep": pl.String},
    ).with_columns(_folded(pl.col("rep")).alias("key"))
    unique = names.filter(pl.col("key").is_unique())
    table = dict(zip(unique["key"].to_list(), unique["id"].to_list(), strict=True))
    if not table:
        return
    col = pl.col(name)
    resolved = _folded(col).replace_strict(table, default=None, return_dtype=pl.String)
    by_spelling = (
        col.is_not_null()
        & ~col.is_in(known.implode())
        & ~_name_key(col).is_in(list(exact))
        & resolved.is_not_null()
    )
    hits = checker.ctx.filter(by_spelling).select(ROW, col, resolved.alias("__id__"))
    if hits.height == 0:
        return
    checker.ctx = checker.ctx.with_columns(
        pl.when(by_spelling).then(resolved).otherwise(col).alias(name)
    )

    def say(kept: pl.DataFrame) -> str:
        written, rep_id = kept[name][0], kept["__id__"][0]
        example = f"{written[:MAX_QUOTED]} -> {rep_names[rep_id]} ({rep_id})"
        noun = "rows name" if kept.height != 1 else "row names"
        return (
            f"{kept.height:,} {noun} the {name.replace('_id', '')} by a name spelt without its"
            f" accents or apostrophe (e.g. {example}): replaced by the rep id"
        )

    checker.note(hits, say)


def _shared_names(
    checker: Checker, name: str, known: pl.Series, counts: Mapping[str, list[str]]
) -> list[str]:
    """Values of ``name`` naming a rep name that several reps share; one warning."""
    shared = {key: ids for key, ids in counts.items() if len(ids) > 1}
    if not shared:
        return []
    col = pl.col(name)
    rows = checker.ctx.filter(
        col.is_not_null() & ~col.is_in(known.implode()) & _name_key(col).is_in(list(shared))
    ).select(ROW, name)
    if rows.height == 0:
        return []

    def say(kept: pl.DataFrame) -> str:
        first = kept[name][0]
        ids = ", ".join(sorted(shared[" ".join(first.split()).lower()]))
        noun = "rows name" if kept.height != 1 else "row names"
        return (
            f"{kept.height:,} {noun} the {name.replace('_id', '')} by a name several reps share"
            f" (e.g. {first[:MAX_QUOTED]}: reps {ids}): kept as written; give the rep's id"
        )

    checker.note(rows, say)
    return rows[name].unique().to_list()
