"""Checks that belong to one kind (postal codes and geocoding: :mod:`terraplan.io.locations`)."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date, timedelta

import polars as pl

from terraplan.io import stages
from terraplan.io.checker import RAW, Checker
from terraplan.io.deal_checks import check_deals
from terraplan.io.lead_checks import check_leads
from terraplan.io.readers import ROW
from terraplan.io.report import counted, short
from terraplan.io.utc_created_days import date_created_on_close_day


def check_kind(checker: Checker, today: date | None = None) -> None:
    """Cross-field checks of ``checker.spec.kind``; ``today`` (default: the real one) is the
    day dates after it are called out (:func:`future_dates`)."""
    kind = checker.spec.kind
    col = pl.col
    _flagged_deleted(checker)
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
        _deleted_deals(checker)
        _closed_and_won_from_stage(checker)
        check_deals(checker)
        future_dates(checker, today)
        checker.add(col("is_won") & ~col("is_closed"), "is_won", "a won opportunity must be closed")
        date_created_on_close_day(checker)
        checker.add(
            col("close_date") < col("created_date"),
            "close_date",
            "closes before it was created",
        )
    elif kind in ("sales_lines", "leads"):
        if kind == "sales_lines":
            _lines_of_won_deals(checker)
        else:
            check_leads(checker)
        future_dates(checker, today)
    elif kind == "acquisition_costs":
        checker.add(col("period_end") < col("period_start"), "period_end", "ends before it starts")
    elif kind == "targets":
        both = col("territory_id").is_not_null() & col("rep_id").is_not_null()
        neither = col("territory_id").is_null() & col("rep_id").is_null()
        checker.add(
            both, "territory_id", "give exactly one of territory_id and rep_id (both given)"
        )
        # a quota sheet by rep name with a blank row (open headcount) has no territory
        # column: the error names the file's rep column, which is blank there
        blank = "rep_id" if checker.has("rep_id") and not checker.has("territory_id") else None
        checker.add(
            neither,
            blank or "territory_id",
            "no rep: the cell is blank and the file has no territory column (a vacant "
            "territory's quota needs a territory_id column naming it)"
            if blank
            else "give exactly one of territory_id and rep_id (neither given)",
        )
        checker.add(col("period_end") < col("period_start"), "period_end", "ends before it starts")


def _flagged_deleted(checker: Checker) -> None:
    """Leave out the rows flagged deleted (Salesforce's ``IsDeleted``, as a ``queryAll``
    delta holds them, a merge's losers too) of a kind whose deleted rows remove the stored
    record (``KindSpec.removes_deleted``): they are no record to write and not refused; their
    ids go to ``report.details["removed_ids"]`` and the import removes the stored ones
    (:mod:`terraplan.services.deleted_records`), saying how many."""
    if not checker.spec.removes_deleted or not checker.has("deleted"):
        return
    flagged = checker.ctx.filter(pl.col("deleted").eq(True).fill_null(False))
    if flagged.height:
        checker.removed = pl.concat([checker.removed, flagged[ROW]]).unique()
        what = checker.spec.kind.replace("_", " ")
        noun = (
            what
            if flagged.height != 1
            else what.removesuffix("s").replace("opportunitie", "opportunity")
        )
        checker.warnings.append(
            f"{flagged.height:,} {noun} flagged deleted in the CRM (column "
            f"{short(checker.column_of('deleted'))!r}) left out: a deleted record is not imported,"
            " and one stored by an earlier import is removed"
        )


def _deleted_deals(checker: Checker) -> None:
    """Leave out the rows whose stage says the deal was deleted (Pipedrive's status
    ``deleted``, which its deal exports keep): no reading of such a row is right, open (it
    would swell the pipeline) or lost (the win rate). They are not refused: a weekly export
    holds them every time; their ids go to ``report.details["removed_ids"]``, so that an
    opportunity an earlier import stored under one of them is deleted too."""
    if not checker.has("stage"):
        return
    deleted = checker.ctx.filter(stages.deleted_stage(pl.col("stage")))
    if deleted.height == 0:
        return
    checker.removed = pl.concat([checker.removed, deleted[ROW]]).unique()
    count = counted(deleted.height, "deal")
    checker.warnings.append(
        f"{count} the CRM marks as deleted (stage {short(str(deleted['stage'][0]))!r}: Pipedrive's"
        " exports keep deleted deals) left out: a deleted deal is neither open pipeline nor a"
        " loss"
    )


def _closed_and_won_from_stage(checker: Checker) -> None:
    """Fill ``is_closed``/``is_won`` from the stage when the file has no such column.

    A Salesforce opportunity report often carries ``Stage`` but neither ``Closed`` nor
    ``Won``; without this every opportunity would read as open (closed deals counted as
    open pipeline, no win rate). The stage is read by its words (:mod:`terraplan.io.stages`:
    "Won" or "Closed Won", or starting with them, is won; "Closed", "Lost" or "Disqualified",
    or starting with them, is closed; "Won't Proceed" is not won); ``is_closed`` also follows
    a won flag given in the file. One warning says what was read as closed (none when all
    are open); two name the stage values read as won and as lost with their counts, and one
    the stages read as open, so that a wrong reading shows ("Abandoned" among the open
    ones) and can be renamed with a mapping file.
    """
    has_closed, has_won = checker.has("is_closed"), checker.has("is_won")
    if not checker.has("stage") or (has_closed and has_won):
        return
    won_stage, closed_stage = (
        stages.won_stage(pl.col("stage")),
        stages.closed_stage(pl.col("stage")),
    )
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
    won_rows = closed_rows.filter(pl.col("is_won").fill_null(False) & pl.col("stage").is_not_null())
    if not has_won:
        checker.note(won_rows.select(ROW, "stage"), lambda kept: _read_as(kept, "won"))
    lost_rows = closed_rows.filter(
        ~pl.col("is_won").fill_null(False) & pl.col("stage").is_not_null()
    )
    checker.note(lost_rows.select(ROW, "stage"), lambda kept: _read_as(kept, "lost"))
    if open_rows is not None:
        checker.note(open_rows, _open_stages)
        suspect = open_rows.filter(stages.closed_sounding(pl.col("stage")))
        checker.note(suspect, _closed_sounding)


def _read_as(rows: pl.DataFrame, reading: str) -> str | None:
    return stages.read_as(rows, reading, "opportunity", "opportunities")


def _closed_sounding(rows: pl.DataFrame) -> str | None:
    """The warning naming stages read as open whose words sound closed ("Churned")."""
    if not rows.height:
        return None
    total, shown = stages.stage_counts(rows)
    # no verb agreeing with the count: the batches of a table import add these up
    return (
        f"{_opportunities(total)} with a stage that sounds closed read as open (e.g. {shown}):"
        " counted as open pipeline and left out of the win rate; if the stage means lost,"
        " rename it to 'Closed Lost' in a mapping file's values"
    )


#: Why a closed opportunity needs its close date (said on each row or file refused).
CLOSE_DATE_WHY = (
    "revenue, win rate, deal size and sales cycle are dated by it (an open one may leave it blank)"
)


def check_close_dates(checker: Checker, stored_ids: Collection[str] | None = None) -> str | None:
    """Refuse closed opportunities (won or lost) without a close date; return the file's
    error, if any.

    A closed deal's close date is when it counts: kept without one, a won deal would be
    dated by another day in one KPI and left out of another's revenue. With a close-date
    column, each closed row whose cell is blank is an error naming the row (a cell that
    could not be read is already one). Without the column (a Salesforce report left
    without ``Close Date``), a file holding closed rows gets one error naming the missing
    column and the way out, rather than one per row; when the file updates stored
    opportunities (``stored_ids``: their ids), the stored rows keep their close dates and
    only the closed rows with new ids are errors.
    """
    if checker.spec.kind != "opportunities" or "is_closed" not in checker.ctx.columns:
        return None
    closed = pl.col("is_closed").fill_null(False)
    if checker.has("close_date"):
        blank = pl.col("close_date").is_null()
        raw = "close_date" + RAW
        if raw in checker.ctx.columns:
            blank = blank & pl.col(raw).is_null()
        checker.add(
            closed & blank,
            "close_date",
            f"a closed opportunity (won or lost) needs a close date: {CLOSE_DATE_WHY}",
        )
        return None
    count = checker.ctx.select(closed.sum()).item()
    if not count:
        return None
    if stored_ids and checker.has("id"):
        stored = pl.Series(list(stored_ids), dtype=pl.String).implode()
        known = pl.col("id").is_in(stored).fill_null(False)
        if checker.ctx.select((closed & known).any()).item():
            checker.add(
                closed & ~known,
                "close_date",
                "a closed opportunity (won or lost) needs a close date, and the file has no"
                " close-date column (its id is not stored yet, so it has none to keep):"
                f" {CLOSE_DATE_WHY}",
            )
            return None
    return (
        f"{_opportunities(count)} {'is' if count == 1 else 'are'} closed (won or lost) but the file has no close-date column"
        " ('Close Date', CloseDate): a closed opportunity needs its close date, as"
        f" {CLOSE_DATE_WHY}; add the Close Date column to the report (or map a column to"
        " close_date) and export it again"
    )


def _lines_of_won_deals(checker: Checker) -> None:
    """Sales lines naming their deal's stage (an Opportunity Products report: every deal's
    products, won, lost and open) are revenue only for won deals, the stage read as for
    opportunities (:mod:`terraplan.io.stages`). A line of an open or a lost deal is refused,
    saying which (``--on-error skip`` writes the won deals' lines); a line with no stage is
    kept (an invoice line belongs to no deal). One warning names the stages read as won."""
    if not checker.has("stage"):
        return
    stage = pl.col("stage")
    won, closed = stages.won_stage(stage), stages.closed_stage(stage)
    for mask, what in ((closed & ~won, "lost"), (~closed & stage.is_not_null(), "open")):
        checker.add(
            mask,
            "stage",
            f"a line of a deal read as {what} from its stage: only the lines of won deals are"
            " revenue (filter the report to won deals, or --on-error skip leaves these lines"
            " out)",
        )
    checker.note(
        checker.ctx.filter(won).select(ROW, "stage"),
        lambda kept: stages.read_as(kept, "won", "sales line", "sales lines"),
    )


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
    text = _read_as(rows, "open")
    if text is None:
        return None
    # counts first, examples in "(e.g. …)": the batches of a table import add them up (their
    # singular and plural nouns alike)
    return (
        f"{text}: if one of these stages means closed, rename it to 'Closed Lost' or"
        " 'Closed Won' in a mapping file's values"
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
