"""Checks that belong to one kind (postal codes and geocoding: :mod:`terraplan.io.locations`)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl

from terraplan.io.checker import RAW, Checker
from terraplan.io.readers import ROW
from terraplan.io.report import counted, short


def check_kind(checker: Checker, today: date | None = None) -> None:
    """Cross-field checks of ``checker.spec.kind``; ``today`` (default: the real one) is the
    day dates after it are called out (:func:`future_dates`)."""
    kind = checker.spec.kind
    col = pl.col
    if kind == "accounts" and checker.has("parent_id"):
        checker.add(
            col("parent_id") == col("id"), "parent_id", "an account cannot be its own parent"
        )
    elif kind == "reps":
        if checker.has("email"):
            checker.add(
                ~col("email").str.contains("@", literal=True), "email", "not an e-mail address"
            )
        if checker.has("manager_id"):
            checker.add(
                col("manager_id") == col("id"), "manager_id", "a rep cannot be their own manager"
            )
    elif kind == "geo_units":
        if checker.has("neighbours"):
            checker.add(
                col("neighbours").list.contains(col("id")),
                "neighbours",
                "a unit cannot be its own neighbour",
            )
        if checker.has("parent_id"):
            checker.add(
                col("parent_id") == col("id"), "parent_id", "a unit cannot be its own parent"
            )
        if checker.has("polygon"):
            _check_polygons(checker)
    elif kind == "opportunities":
        _blank_amounts(checker)
        _closed_and_won_from_stage(checker)
        future_dates(checker, today)
        checker.add(col("is_won") & ~col("is_closed"), "is_won", "a won opportunity must be closed")
        checker.add(
            col("close_date") < col("created_date"),
            "close_date",
            "closes before it was created",
        )
    elif kind in ("sales_lines", "leads"):
        future_dates(checker, today)
    elif kind == "acquisition_costs":
        checker.add(col("period_end") < col("period_start"), "period_end", "ends before it starts")
    elif kind == "targets":
        both = col("territory_id").is_not_null() & col("rep_id").is_not_null()
        neither = col("territory_id").is_null() & col("rep_id").is_null()
        checker.add(
            both, "territory_id", "give exactly one of territory_id and rep_id (both given)"
        )
        checker.add(
            neither, "territory_id", "give exactly one of territory_id and rep_id (neither given)"
        )
        checker.add(col("period_end") < col("period_start"), "period_end", "ends before it starts")


#: Stage words (lower case, runs of non-letters as one space) that say an opportunity is won;
#: HubSpot's internal stage ids run the words together (``closedwon``).
WON_STAGES = ("closed won", "won", "closedwon")
#: Stage words that say an opportunity is closed without being won.
LOST_STAGES = ("closed lost", "lost", "closedlost", "closed", "disqualified")
#: First words of a stage that say it is won (``Won - Renewal``, ``Closed Won (Expansion)``)
#: or closed (``Lost - No Decision``, ``Closed/Lost (no budget)``, ``Disqualified - Spam``):
#: only words that cannot mean an open deal ("Unqualified" may be a stage before qualifying).
WON_PREFIXES = ("closed won ", "won ")
CLOSED_PREFIXES = ("closed ", "lost ", "disqualified ", "closedlost")
#: How many of the stages read as open the warning names.
OPEN_STAGES_SHOWN = 4


def _closed_and_won_from_stage(checker: Checker) -> None:
    """Fill ``is_closed``/``is_won`` from the stage when the file has no such column.

    A Salesforce opportunity report often carries ``Stage`` but neither ``Closed`` nor
    ``Won``; without this every opportunity would read as open (closed deals counted as
    open pipeline, no win rate). A stage reading "Won" or "Closed Won", or starting with
    them ("Won - Renewal"), is closed and won; one reading or starting with "Closed", "Lost"
    or "Disqualified" is closed; ``is_closed`` also follows a won flag given in the file.
    One warning says what was read as closed (none when all are open), and one names the
    stages read as open with their counts, so that a closed stage worded otherwise
    ("Abandoned") shows among them and can be renamed with a mapping file.
    """
    has_closed, has_won = checker.has("is_closed"), checker.has("is_won")
    if not checker.has("stage") or (has_closed and has_won):
        return
    words = pl.col("stage").str.to_lowercase().str.replace_all(r"[^a-z]+", " ").str.strip_chars()
    spaced = pl.concat_str(words, pl.lit(" "))  # "won" starts with "won " too
    won_stage = (
        words.is_in(WON_STAGES) | pl.any_horizontal(spaced.str.starts_with(p) for p in WON_PREFIXES)
    ).fill_null(False)
    closed_stage = (
        won_stage
        | words.is_in(LOST_STAGES)
        | pl.any_horizontal(spaced.str.starts_with(p) for p in CLOSED_PREFIXES)
    ).fill_null(False)
    updates: list[pl.Expr] = []
    if not has_won:
        updates.append(won_stage.alias("is_won"))
    if not has_closed:
        won = won_stage if not has_won else pl.col("is_won").fill_null(False)
        updates.append((closed_stage | won).alias("is_closed"))
    checker.ctx = checker.ctx.with_columns(updates)
    open_rows = None if has_closed else _open_rows(checker.ctx)
    closed_rows = checker.ctx.filter(pl.col("is_closed").fill_null(False))
    missing = " or ".join(
        name for name, given in (("is_closed", has_closed), ("is_won", has_won)) if not given
    )
    # Counts first: the batches of a table import add such warnings up into one each. Each
    # counts the rows imported (checker.note): a won row refused later is not "read as won".
    checker.note(
        closed_rows.select(ROW),
        lambda kept: (
            f"{_opportunities(kept.height)} read as closed from the stage: no {missing} column"
            " ('Won' or 'Closed Won' is won, a stage starting with 'Closed', 'Lost' or"
            " 'Disqualified' is closed)"
        ),
    )
    if not has_won:
        checker.note(
            closed_rows.filter(pl.col("is_won").fill_null(False)).select(ROW),
            lambda kept: f"{_opportunities(kept.height)} read as won from the stage",
        )
    if open_rows is not None:
        checker.note(open_rows, _open_stages)


def _opportunities(count: int) -> str:
    """``"1 opportunity"``, ``"2 opportunities"``."""
    return counted(count, "opportunity", "opportunities")


def _open_rows(ctx: pl.DataFrame) -> pl.DataFrame:
    """The rows read as open that have a stage (``__row__``, ``stage``)."""
    return ctx.filter(~pl.col("is_closed").fill_null(False) & pl.col("stage").is_not_null()).select(
        ROW, "stage"
    )


def _open_stages(rows: pl.DataFrame) -> str | None:
    """The warning naming the stages of ``rows`` (read as open), the most frequent first,
    with counts (None when none is open)."""
    stages = rows.group_by("stage").len().sort(["len", "stage"], descending=[True, False])
    total = int(stages["len"].sum())
    if not total:
        return None
    shown = ", ".join(
        f"{short(stage)!r}: {count:,}"
        for stage, count in stages.head(OPEN_STAGES_SHOWN).iter_rows()
    )
    more = ", …" if stages.height > OPEN_STAGES_SHOWN else ""
    # counts first, examples in "(e.g. …)": the batches of a table import add them up (their
    # singular and plural nouns alike)
    return (
        f"{_opportunities(total)} read as open from the stage (e.g. {shown}{more}): if one of these"
        " stages means closed, rename it to 'Closed Lost' or 'Closed Won' in a mapping"
        " file's values"
    )


#: Days after today a date may lie before it is called out: an export made this evening in
#: one time zone and imported in another is dated tomorrow there.
FUTURE_SLACK_DAYS = 1


def future_dates(checker: Checker, today: date | None = None) -> None:
    """One warning for the rows dated after ``today`` (default: the real today): what has
    happened cannot lie ahead, so such a date is a typo (``2052`` for ``2025``), and kept
    silently it would move the KPIs' as-of date, which is the latest date, years ahead.
    Sales lines' dates, created dates, and the close dates of closed opportunities count;
    an open opportunity's close date is a forecast, and is rightly ahead. The rows are kept."""
    today = today or date.today()
    limit = today + timedelta(days=FUTURE_SLACK_DAYS)
    kind = checker.spec.kind
    checks: list[tuple[str, pl.Expr]] = [("date", pl.lit(True))] if kind == "sales_lines" else []
    checks.append(("created_date", pl.lit(True)))
    if kind == "opportunities":
        checks.append(("close_date", pl.col("is_closed").fill_null(False)))
    checks = [(name, when) for name, when in checks if checker.has(name)]
    if not checks:
        return
    ahead = [((pl.col(name) > limit) & when).fill_null(False) for name, when in checks]
    found = checker.ctx.select(
        pl.col(ROW),
        *(mask.alias(name) for mask, (name, _) in zip(ahead, checks, strict=True)),
        *(checker.value_of(name).alias(f"{name}{RAW}") for name, _ in checks),
    ).filter(pl.any_horizontal(name for name, _ in checks))
    columns = {name: short(checker.column_of(name)) for name, _ in checks}

    def say(kept: pl.DataFrame) -> str:
        first = kept.row(0, named=True)
        name = next(name for name in columns if first[name])
        value = short(str(first[f"{name}{RAW}"]))
        noun = "rows have" if kept.height != 1 else "row has"
        # counts first, example in "(e.g. …)": the batches of a table import add them up
        return (
            f"{kept.height:,} {noun} a date after today, {today}"
            f" (e.g. row {first[ROW]}, column {columns[name]!r}: {value!r}): kept; if it is a"
            " typo, fix it and import again, as KPIs are computed as of the latest date"
        )

    checker.note(found, say)


def _check_polygons(checker: Checker) -> None:
    """Parse GeoJSON polygons (per row: geo unit files are small); keep them as JSON text.
    A point or line, or a shape without coordinates, is refused saying which it is (its
    missing centroid is then not reported again)."""
    texts = checker.ctx["polygon"]
    reasons: list[str | None] = []
    normal: list[str | None] = []
    for text in texts.to_list():
        if text is None:
            reasons.append(None)
            normal.append(None)
            continue
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        kind = value.get("type") if isinstance(value, dict) else None
        ok = kind in ("Polygon", "MultiPolygon")
        if ok and isinstance(value, dict) and not value.get("coordinates"):
            reasons.append(f"an empty GeoJSON {kind} (no coordinates): a geo unit needs an area")
            ok = False
        elif ok:
            reasons.append(None)
        elif isinstance(kind, str):
            reasons.append(
                f"a GeoJSON {short(kind)}, not a Polygon or MultiPolygon: a geo unit needs an area"
            )
        else:
            reasons.append("not a GeoJSON Polygon or MultiPolygon")
        normal.append(json.dumps(value, separators=(",", ":")) if ok else None)
    checker.ctx = checker.ctx.with_columns(
        pl.Series(_BAD_POLYGON, reasons, dtype=pl.String),
        pl.Series("polygon", normal, dtype=pl.String),
    )
    checker.add(pl.col(_BAD_POLYGON).is_not_null(), "polygon", pl.col(_BAD_POLYGON))
    checker.ctx = checker.ctx.drop(_BAD_POLYGON)


_BAD_POLYGON = "__bad_polygon__"


def _blank_amounts(checker: Checker) -> None:
    """Opportunities with a blank amount (early stages often have none in Salesforce) are
    counted as 0, as the CRM's own report sums count them, with one note; an amount that
    could not be read stays an error."""
    if not checker.has("amount"):
        return
    raw = "amount" + RAW
    blank = pl.col("amount").is_null()
    if raw in checker.ctx.columns:
        blank = blank & pl.col(raw).is_null()
    rows = checker.ctx.filter(blank).select(ROW)
    if not rows.height:
        return
    checker.ctx = checker.ctx.with_columns(
        pl.when(blank).then(pl.lit(0.0)).otherwise(pl.col("amount")).alias("amount")
    )

    def say(kept: pl.DataFrame) -> str:
        noun = "opportunities have" if kept.height != 1 else "opportunity has"
        return (
            f"{kept.height:,} {noun} no amount: counted as 0 in pipeline, won revenue and"
            " deal sizes"
        )

    checker.note(rows, say)
