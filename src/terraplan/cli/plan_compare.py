"""``terraplan plans compare``: what changes from one plan to another, in figures and names."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from terraplan.cli.console import (
    ForceOption,
    OutputFormat,
    compact_amount,
    render_json,
    render_rows,
    stderr,
    stdout,
)
from terraplan.cli.context import app_context
from terraplan.cli.plans import FormatOption

#: ``--format csv``: one row per account changing territory or owner (names, then the ids for
#: joins); an account changing owner only has the same territory in ``from`` and ``to``.
_MOVED_COLUMNS = [
    "account", "from", "to", "old owner", "new owner", "potential", "revenue", "pipeline",
    "account id", "from id", "to id", "old owner id", "new owner id",
]  # fmt: skip


def _signed(value: float | None) -> str:
    if value is None:
        return "-"
    return ("+" if value > 0 else "") + compact_amount(value)


def _target_change(base: float | None, other: float | None) -> str:
    if base is None and other is None:
        return "no targets stored"
    shown = [compact_amount(v) if v is not None else "none" for v in (base, other)]
    if base is None or other is None:
        return f"{shown[0]} -> {shown[1]}"  # one plan has not set them yet: no change to show
    return f"{shown[0]} -> {shown[1]} ({_signed(other - base)})"


def compare(
    ctx: typer.Context,
    base: Annotated[str, typer.Argument(help="The plan compared against (e.g. the active one).")],
    other: Annotated[str, typer.Argument(help="The proposed plan.")],
    fmt: FormatOption = OutputFormat.TABLE,
    moved: Annotated[
        bool, typer.Option("--moved", help="Also list every account changing territory or owner.")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the accounts changing territory or owner to this file (.csv, .xlsx or "
            ".parquet).",
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """What changes from one plan to another: accounts, potential, revenue, pipeline, reps."""
    from terraplan.cli.console import note
    from terraplan.cli.team_options import check_out
    from terraplan.services.plan_comparison import compare_stored_plans

    check_out(out, force)  # an existing file is refused before the comparison runs
    db = app_context(ctx).database()
    comparison, window = compare_stored_plans(db, base, other)
    for text in comparison.notes:
        note(text)
    # the accounts changing territory, then those only changing owner (same territory)
    changing = (*comparison.moved, *comparison.reassigned)
    moved_rows: list[dict[str, Any]] = [
        {
            "account": m.account,
            "from": m.old_territory_name,
            "to": m.new_territory_name,
            "old owner": m.old_owner_name,
            "new owner": m.new_owner_name,
            "potential": m.potential,
            "revenue": m.revenue,
            "pipeline": m.open_pipeline,
            # ids last, for joins back to the CRM and the plans
            "account id": m.account_id,
            "from id": m.old_territory,
            "to id": m.new_territory,
            "old owner id": m.old_owner,
            "new owner id": m.new_owner,
        }
        for m in changing
    ]
    if out is not None:
        import polars as pl

        from terraplan.io.writers import write_table

        figures = dict.fromkeys(("potential", "revenue", "pipeline"), pl.Float64)
        # with no account moving, the file still has its header (it was an empty line)
        frame = pl.DataFrame(moved_rows, infer_schema_length=None) if moved_rows else (
            pl.DataFrame(schema={c: figures.get(c, pl.Utf8) for c in _MOVED_COLUMNS})
        )  # fmt: skip
        write_table(frame, out, overwrite=force, figures=True)
        # on stderr when stdout carries JSON or CSV for a program to read
        (stdout() if fmt is OutputFormat.TABLE else stderr()).print(
            f"Wrote {len(moved_rows):,} accounts to {out!s}: {len(comparison.moved):,} "
            f"changing territory, {len(comparison.reassigned):,} changing owner only",
            highlight=False,
        )
    if fmt is OutputFormat.JSON:
        render_json({**comparison.to_dict(), "revenue_window": window})
        return
    summary = comparison.summary()
    rows: list[dict[str, Any]] = [
        {"measure": "accounts changing territory",
         "value": f"{comparison.accounts_moved:,} of {comparison.accounts:,} "
                  f"({comparison.share_moved:.1%})"},
        {"measure": "accounts changing owner", "value": f"{comparison.owner_changes:,}"},
        {"measure": "geo units moved", "value": f"{comparison.units_moved:,}"},
        {"measure": "potential moved",
         "value": f"{compact_amount(comparison.potential_moved)} "
                  f"({comparison.potential_share_moved:.1%})"},
        {"measure": "revenue moved" + (f" ({window})" if window else ""),
         "value": compact_amount(comparison.revenue_moved)},
        {"measure": "open pipeline moved", "value": compact_amount(comparison.pipeline_moved)},
        {"measure": "pipeline protected (stays with its owner)",
         "value": compact_amount(comparison.pipeline_protected)},
        {"measure": "reps gaining accounts",
         "value": ", ".join(summary["reps_gaining_names"]) or "none"},
        {"measure": "reps losing accounts",
         "value": ", ".join(summary["reps_losing_names"]) or "none"},
        {"measure": f"targets ({base} -> {other})"
                    + (f", {comparison.target_period}" if comparison.target_period else ""),
         "value": _target_change(comparison.target_base, comparison.target_other)},
    ]  # fmt: skip
    if fmt is OutputFormat.CSV:  # the header row even when no account changes territory
        render_rows(moved_rows, columns=_MOVED_COLUMNS, fmt=fmt)
        return
    render_rows(rows, title=f"{other} compared with {base}")
    base_head, other_head = base[:10], other[:10]
    if base_head == other_head:
        base_head, other_head = "base", "other"
    render_rows(
        [
            {
                "territory": t.name[:22],
                "accounts": f"{t.accounts_base:,}->{t.accounts_other:,}",
                "potential": _signed(t.potential_other - t.potential_base),
                base_head: compact_amount(t.target_base) if t.target_base is not None else "-",
                other_head: compact_amount(t.target_other) if t.target_other is not None else "-",
                "change": _signed(t.target_change),
            }
            for t in comparison.territories
        ],
        title=f"Per territory: potential change, targets of {base} and {other}"
        + (f" ({comparison.target_period})" if comparison.target_period else "")
        + ", change",
    )
    if moved and comparison.moved:
        render_rows(
            [
                {**r, "potential": compact_amount(m.potential)}
                for r, m in zip(moved_rows, comparison.moved[:200], strict=False)
            ],
            columns=["account", "from", "to", "new owner", "potential"],
            title="Accounts changing territory (largest potential first)",
        )
    if moved and comparison.reassigned:
        first = len(comparison.moved)
        render_rows(
            [
                {**r, "potential": compact_amount(m.potential), "territory": r["to"]}
                for r, m in zip(moved_rows[first:], comparison.reassigned[:200], strict=False)
            ],
            columns=["account", "territory", "old owner", "new owner", "potential"],
            title="Accounts changing owner in their territory (largest potential first)",
        )
