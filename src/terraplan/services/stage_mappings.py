"""An opportunity file read without the mapping its stages were first read with.

A CRM in German (``Gewonnen``, ``Verloren``) or with custom stages (``Signed``, ``Churned``)
is imported once with a mapping whose ``values`` rename those stages to ``Closed Won`` and
``Closed Lost``. Sent again without that mapping (the nightly job, the API without
``?mapping=``), the same deals read as open: won deals leave revenue and the win rate, with
exit 0. :func:`check_stage_readings` compares the file's reading of each row with its stored
opportunity: a row stored as won or lost that this file reads otherwise, from a stage no
stored opportunity has, is a stage the first import renamed. When a stored mapping renames
those stages to what is stored, the import is refused naming it (``--mapping-name``, the
API's ``?mapping=``); otherwise a warning says what changed and how to undo it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from terraplan.errors import DataError
from terraplan.io.header_aliases import ALIASES
from terraplan.io.mapping import normalize_header, split_mapping
from terraplan.io.report import ImportReport, counted, short
from terraplan.io.stages import STAGES_SHOWN, read_stages, stage_counts, stage_words
from terraplan.storage.database import Database
from terraplan.storage.import_mappings import ImportMappings
from terraplan.storage.orm import OpportunityRow
from terraplan.storage.unit_of_work import UnitOfWork

#: Fields that, when a file carries them, say won and lost themselves (no stage reading).
_FLAGS = ("is_closed", "is_won")


def check_stage_readings(
    db: Database, frame: pl.DataFrame, report: ImportReport, *, mapping: str | None
) -> None:
    """Refuse (:class:`DataError`) or warn (in ``report``) when rows of an opportunity file
    read from the stage would turn stored won or lost opportunities into another reading
    from stages no stored opportunity has (see the module docstring). ``mapping`` names the
    mapping the file was read with (``None``: none)."""
    mapped = {field.split(".", 1)[0] for field in report.columns.values()}
    if report.kind != "opportunities" or "stage" not in frame.columns or mapped & set(_FLAGS):
        return
    with db.connect() as connection:
        _check_stored_stages(connection, frame, report, mapping)
        stored = _stored(connection, frame["id"].drop_nulls().to_list())
        rows = frame.select("id", "stage").join(stored, on="id", how="inner")
        rows = rows.with_columns(read_stages(rows["stage"]).alias("reading"))
        known = _stored_stages(connection, rows["stage"].drop_nulls().unique().to_list())
    changed = rows.filter(
        pl.col("was").is_in(["won", "lost"])
        & (pl.col("reading") != pl.col("was"))
        & ~pl.col("stage").is_in(known)
    )
    if not changed.height:
        return
    explained = _stored_mappings(db, changed)
    count, stages = stage_counts(changed)
    moves = ", ".join(
        f"{n:,} {was} read as {now}"
        for was, now, n in changed.group_by("was", "reading")
        .len()
        .sort(["len", "was", "reading"], descending=[True, False, False])
        .iter_rows()
    )
    how = f"read with {mapping}" if mapping else "read without a mapping"
    what = (
        f"{count:,} opportunities stored as won or lost would change ({moves}) from stages"
        f" no stored opportunity has ({stages})"
        if count != 1
        else f"1 opportunity stored as won or lost would change ({moves}) from a stage no"
        f" stored opportunity has ({stages})"
    )
    if explained:
        names = " or ".join(f"--mapping-name {n}" for n in explained)
        which = ", ".join(f"'{n}'" for n in explained)
        reason = (
            f"{how}, {what}: an earlier import renamed these stages with the stored mapping"
            f" {which} ({explained[next(iter(explained))]}). Import with {names} (API:"
            f" ?mapping={next(iter(explained))})"
        )
        raise DataError(
            f"{report.file}: {reason}; nothing was imported",
            details={
                "file": report.file,
                "field": "stage",
                "reason": reason,
                "mappings": list(explained),
                "report": report.to_dict(),
            },
        )
    report.warnings.append(
        f"{how}, {what.replace('would change', 'changed')}: if an earlier import renamed these"
        " stages with a mapping file's values, import this file again with it and --reload"
        " (save it with `terraplan mappings save` for the nightly job)"
    )


def _check_stored_stages(
    connection: Connection, frame: pl.DataFrame, report: ImportReport, mapping: str | None
) -> None:
    """Refuse a file reading a stage otherwise than every stored opportunity having it: a
    custom won stage (``Contract Signed``, read as won from ``IsWon`` by an earlier Data
    Loader export) in a report without ``IsWon`` would read as open, for every deal in it.
    Stages match as the import reads them, by their words (:func:`stage_words`): the
    report's ``contract signed`` or ``Contract-Signed`` is the stored ``Contract Signed``."""
    stages = frame.select(pl.col("stage").drop_nulls().unique())
    if not stages.height:
        return
    held = _held_by_words(connection)
    sure = {
        words: (was, n, spelled)
        for words, (readings, spelled) in held.items()
        if len(readings) == 1
        for was, n in readings.items()
        if was != "open"
    }
    if not sure:
        return
    rows = frame.select("stage").with_columns(stage_words(pl.col("stage")).alias("words"))
    rows = rows.filter(pl.col("words").is_in(list(sure)))
    rows = rows.with_columns(read_stages(rows["stage"]).alias("reading"))
    rows = rows.filter(
        pl.col("reading") != pl.col("words").replace_strict({k: v[0] for k, v in sure.items()})
    )
    if not rows.height:
        return
    counts = (
        rows.group_by("stage", "words", "reading")
        .len()
        .sort(["len", "stage"], descending=[True, False])
    )

    def stored_as(stage: str, words: str) -> str:
        was, n, spelled = sure[words]
        spelling = f" (as {short(spelled)!r})" if spelled != stage else ""
        return f"stored as {was} on {n:,}{spelling}"

    shown = ", ".join(
        f"{short(stage)!r}: {n:,} read as {now}, {stored_as(stage, words)}"
        for stage, words, now, n in counts.head(STAGES_SHOWN).iter_rows()
    )
    how = f"read with {mapping}" if mapping else "read without a mapping"
    first = str(counts["stage"][0])
    many = counted(rows.height, "opportunity", "opportunities")
    word = "Won" if sure[str(counts["words"][0])][0] == "won" else "Lost"
    reason = (
        f"{how} and without IsWon or IsClosed columns, {many} would read their stage otherwise"
        f" than every stored opportunity with that stage ({shown}): an earlier import read it"
        " from those columns. Export IsWon and IsClosed with the file, or rename the stage in"
        f" a mapping's values ({short(first)}: Closed {word})"
    )
    raise DataError(
        f"{report.file}: {reason}; nothing was imported",
        details={"file": report.file, "field": "stage", "reason": reason},
    )


def _held_by_words(connection: Connection) -> dict[str, tuple[dict[str, int], str]]:
    """The stored stages by their words: words -> (reading -> how many opportunities, the
    most frequent stored spelling). A pipeline has a few stages, so all are read."""
    query = select(
        OpportunityRow.stage, OpportunityRow.is_closed, OpportunityRow.is_won, func.count()
    ).group_by(OpportunityRow.stage, OpportunityRow.is_closed, OpportunityRow.is_won)
    found = [
        (stage, "won" if won else "lost" if closed else "open", int(count))
        for stage, closed, won, count in connection.execute(query)
        if stage is not None
    ]
    if not found:
        return {}
    table = pl.DataFrame(
        found, schema={"stage": pl.String, "was": pl.String, "n": pl.Int64}, orient="row"
    ).with_columns(stage_words(pl.col("stage")).alias("words"))
    table = table.filter(pl.col("words") != "")
    held: dict[str, tuple[dict[str, int], str]] = {}
    spelled: dict[str, tuple[int, str]] = {}
    for stage, was, n, words in table.sort("stage").iter_rows():
        readings = held.setdefault(words, ({}, stage))[0]
        readings[was] = readings.get(was, 0) + n
        if n > spelled.get(words, (0, ""))[0]:
            spelled[words] = (n, stage)
    return {words: (readings, spelled[words][1]) for words, (readings, _) in held.items()}


def _stored(connection: Connection, ids: list[str]) -> pl.DataFrame:
    """``id`` and ``was`` (won, lost or open) of the stored opportunities among ``ids``."""
    found: list[tuple[str, str]] = []
    for start in range(0, len(ids), 5_000):
        query = select(OpportunityRow.id, OpportunityRow.is_closed, OpportunityRow.is_won).where(
            OpportunityRow.id.in_(ids[start : start + 5_000])
        )
        for ident, closed, won in connection.execute(query):
            found.append((ident, "won" if won else "lost" if closed else "open"))
    return pl.DataFrame(found, schema={"id": pl.String, "was": pl.String}, orient="row")


def _stored_stages(connection: Connection, stages: list[str]) -> list[str]:
    """The ``stages`` some stored opportunity has (before this import), matched by their
    words as the import reads them (``closed won`` is the stored ``Closed Won``)."""
    if not stages:
        return []
    stored = {words for words in _held_by_words(connection)}
    words = (
        pl.Series("stage", stages, dtype=pl.String)
        .to_frame()
        .select(pl.col("stage"), stage_words(pl.col("stage")).alias("words"))
    )
    return words.filter(pl.col("words").is_in(list(stored)))["stage"].to_list()


def _key(value: str) -> str:
    """A mapping's value as its reader compares it: any case, spaces squeezed."""
    return " ".join(value.split()).lower()


def _stage_values(content: Mapping[str, Any]) -> dict[str, str]:
    """The stage renames of a stored mapping (keyed by :func:`_key`): its ``values`` for the
    field ``stage`` or for a column holding the stage."""
    try:
        columns, values = split_mapping(content)
    except DataError:  # a mapping saved by an older version: not this check's business
        return {}
    aliases = {"stage", *ALIASES.get("opportunities", {}).get("stage", ())}
    renames: dict[str, str] = {}
    for key, table in values.items():
        if columns.get(key) == "stage" or normalize_header(str(key)) in aliases:
            renames.update({_key(str(k)): str(v) for k, v in table.items() if v is not None})
    return renames


def _stored_mappings(db: Database, changed: pl.DataFrame) -> dict[str, str]:
    """Stored mapping name -> its renames of the ``changed`` stages (``'Gewonnen' -> 'Closed
    Won'``), for the mappings renaming every changed stage to what its rows were stored as."""
    stages = changed.select("stage", "was").unique().sort("stage")
    found: dict[str, str] = {}
    with UnitOfWork(db) as uow:
        stored = ImportMappings(uow.session).list()
    for entry in stored:
        renames = _stage_values(entry.content)
        targets = [renames.get(_key(stage)) for stage, _ in stages.iter_rows()]
        if any(t is None for t in targets):
            continue
        readings = read_stages(pl.Series(targets, dtype=pl.String)).to_list()
        if readings == stages["was"].to_list():
            pairs = sorted(
                {(s, str(t)) for (s, _), t in zip(stages.iter_rows(), targets, strict=True)}
            )
            found[entry.name] = ", ".join(f"{short(s)!r} -> {short(t)!r}" for s, t in pairs)
    return found


def mapping_label(mapping: object) -> str | None:
    """How messages name the mapping an import was read with: ``mapping 'NAME'`` for a
    stored one, ``mapping file PATH`` for a file, ``a mapping`` for one given inline."""
    if mapping is None:
        return None
    source = getattr(mapping, "source", None)
    if isinstance(source, str):
        return source
    if isinstance(mapping, Mapping):
        return "a mapping" if mapping else None
    return f"mapping file {mapping}"
