"""How a CRM stage name reads: won, closed without being won (lost), or open.

One reading for every kind that carries a stage: an opportunity file without ``IsClosed`` /
``IsWon`` columns (:mod:`terraplan.io.kind_checks`), and a sales-lines file whose lines name
their deal's stage (an Opportunity Products report), whose open and lost deals' lines are no
revenue.

A stage is read by its **words**, never by a substring: it is lower-cased, an apostrophe
joins the letters around it (``Won't`` is the word ``wont``, not ``won``), and every other run
of non-letters separates words (``Closed/Won``, ``Closed - Won``, ``Closed Won – Renewal``).
Then:

- **won**: the words are ``won``, ``closed won`` or HubSpot's ``closedwon``, or start with
  ``won`` or ``closed won`` (``Won - Renewal``, ``Closed Won (Expansion)``), and no word is
  ``wont`` (``Closed Won - Won't Renew`` is not won);
- **lost** (closed, not won): the words are ``lost``, ``closed`` or ``disqualified``
  (HubSpot's ``closedlost`` too), or start with ``closed``, ``lost`` or ``disqualified``
  (``Closed - Not Won``, ``Closed Won't Renew``, ``Lost - No Decision``);
- **open**: anything else (``Won't Proceed`` included: it is not won, and no word says it is
  closed; the import's warning names such stages, to be renamed with a mapping file).

A stage reading or starting with ``deleted`` (Pipedrive's deal status ``deleted``: its exports
keep deleted deals) names no deal at all, neither open nor lost: :func:`deleted_stage` tells
the opportunity import to refuse such rows.
"""

from __future__ import annotations

import polars as pl

from terraplan.io.report import counted, short

#: Stage words that say an opportunity is won; HubSpot's internal stage ids run the words
#: together (``closedwon``).
WON_STAGES = ("closed won", "won", "closedwon")
#: First word of a stage that says the deal was deleted in the CRM (Pipedrive's status).
DELETED_WORD = "deleted"
#: Stage words that say an opportunity is closed without being won.
LOST_STAGES = ("closed lost", "lost", "closedlost", "closed", "disqualified")
#: First words of a stage that say it is won (``Won - Renewal``, ``Closed Won (Expansion)``)
#: or closed (``Lost - No Decision``, ``Closed/Lost (no budget)``, ``Disqualified - Spam``):
#: only words that cannot mean an open deal ("Unqualified" may be a stage before qualifying).
WON_PREFIXES = ("closed won ", "won ")
CLOSED_PREFIXES = ("closed ", "lost ", "disqualified ", "closedlost")
#: A word that says a stage is not won wherever it stands (``won't`` read as one word).
NOT_WON = r"\bwont\b"
#: Characters that join the letters around them into one word (``won't``, ``won’t``).
APOSTROPHES = "'’‘`´ʼ"
#: How many stage values a warning names: a pipeline rarely has more stages, and a stage
#: left out of the list is one the user cannot spot as read the wrong way.
STAGES_SHOWN = 12
#: Words of a stage read as open that usually name a closed deal in a custom pipeline
#: (HubSpot's "Churned", "Cancelled", "Dead"): such a stage is called out on its own, since
#: counted as open it swells the pipeline and leaves the win rate's denominator.
CLOSED_SOUNDING = (
    "churned",
    "cancelled",
    "canceled",
    "cancellation",
    "dead",
    "rejected",
    "abandoned",
    "expired",
    "declined",
    "lapsed",
    "withdrawn",
    "terminated",
)


def stage_words(stage: pl.Expr) -> pl.Expr:
    """``stage`` as its words: lower case, apostrophes dropped (``won't`` -> ``wont``), every
    other run of non-letters one space, no space at either end."""
    joined = stage.str.to_lowercase().str.replace_all(f"[{APOSTROPHES}]", "")
    return joined.str.replace_all(r"[^a-z]+", " ").str.strip_chars()


def won_stage(stage: pl.Expr) -> pl.Expr:
    """True where ``stage`` reads won (False where it is null)."""
    words = stage_words(stage)
    spaced = pl.concat_str(words, pl.lit(" "))  # "won" starts with "won " too
    prefixed = pl.any_horizontal(spaced.str.starts_with(p) for p in WON_PREFIXES)
    denied = words.str.contains(NOT_WON)  # "Closed Won - Won't Renew" is no win either
    return ((words.is_in(WON_STAGES) | prefixed) & ~denied).fill_null(False)


def deleted_stage(stage: pl.Expr) -> pl.Expr:
    """True where ``stage`` reads ``deleted`` or starts with it (``Deleted - duplicate``):
    a deal deleted in the CRM, which is no opportunity (False where it is null)."""
    spaced = pl.concat_str(stage_words(stage), pl.lit(" "))
    return spaced.str.starts_with(f"{DELETED_WORD} ").fill_null(False)


def closed_stage(stage: pl.Expr) -> pl.Expr:
    """True where ``stage`` reads closed, won or lost (False where it is null)."""
    words = stage_words(stage)
    spaced = pl.concat_str(words, pl.lit(" "))
    prefixed = pl.any_horizontal(spaced.str.starts_with(p) for p in CLOSED_PREFIXES)
    return (won_stage(stage) | words.is_in(LOST_STAGES) | prefixed).fill_null(False)


def read_stages(stages: pl.Series) -> pl.Series:
    """``"won"``, ``"lost"`` or ``"open"`` for each stage (null for a null stage)."""
    frame = pl.DataFrame({"stage": stages.cast(pl.String)})
    stage = pl.col("stage")
    reading = (
        pl.when(stage.is_null())
        .then(None)
        .when(won_stage(stage))
        .then(pl.lit("won"))
        .when(closed_stage(stage))
        .then(pl.lit("lost"))
        .otherwise(pl.lit("open"))
    )
    return frame.select(reading.alias("reading"))["reading"]


def stage_counts(rows: pl.DataFrame) -> tuple[int, str]:
    """How many ``rows`` (with a ``stage`` column) there are, and their stages with counts,
    the most frequent first (``'Closed Won': 80, 'Closed Won – Renewal': 11``; at most
    :data:`STAGES_SHOWN`, then how many more)."""
    stages = rows.group_by("stage").len().sort(["len", "stage"], descending=[True, False])
    shown = ", ".join(
        f"{short(str(stage))!r}: {count:,}"
        for stage, count in stages.head(STAGES_SHOWN).iter_rows()
    )
    left = stages.height - STAGES_SHOWN
    more = f", and {left:,} more stage{'s' if left > 1 else ''}" if left > 0 else ""
    return rows.height, f"{shown}{more}"


def closed_sounding(stage: pl.Expr) -> pl.Expr:
    """True where a word of ``stage`` is one of :data:`CLOSED_SOUNDING` (False where null)."""
    words = pl.concat_str(pl.lit(" "), stage_words(stage), pl.lit(" "))
    return pl.any_horizontal(
        words.str.contains(f" {word} ", literal=True) for word in CLOSED_SOUNDING
    ).fill_null(False)


def read_as(rows: pl.DataFrame, reading: str, singular: str, plural: str) -> str | None:
    """``"91 opportunities read as won from the stage (e.g. 'Closed Won': 80, …)"``: the
    warning naming the stage values of ``rows`` (a ``stage`` column) read as ``reading``;
    None when there are none. Counts first, examples in ``(e.g. …)``: the batches of a table
    import add such warnings up."""
    if not rows.height:
        return None
    total, shown = stage_counts(rows)
    return f"{counted(total, singular, plural)} read as {reading} from the stage (e.g. {shown})"
