"""``terraplan owners ACCOUNT``: who owned an account, in which territory, over time."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from terraplan.cli.console import OutputFormat, render_rows, stdout
from terraplan.cli.context import app_context
from terraplan.cli.plans import FormatOption

if TYPE_CHECKING:
    from terraplan.services.ownership_periods import KpiCredit


def register(app: typer.Typer) -> None:
    """Add ``terraplan owners``."""
    app.command("owners")(owners_history)


def owners_history(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Only the owner on this day (YYYY-MM-DD).")
    ] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Who owned an account, in which territory, over time (recorded at each activation and
    each rule run of the active plan)."""
    from terraplan.cli.day_option import parse_day
    from terraplan.services.ownership_periods import before_hire, kpi_credit, ownership_history

    day = parse_day(on, "--on")
    periods, names = ownership_history(app_context(ctx).database(), account, day=day)
    if fmt is not OutputFormat.TABLE:  # for programs: names and ids, null where none
        render_rows(
            [
                {
                    "from": p.valid_from,
                    "to": p.valid_to,
                    "territory_id": p.territory_id,
                    "territory": p.territory_name or p.territory_id,
                    "owner_id": p.owner_id,
                    "owner": names.get(p.owner_id, p.owner_id) if p.owner_id else None,
                    "plan": p.plan_id,
                }
                for p in periods
            ],
            columns=["from", "to", "territory_id", "territory", "owner_id", "owner", "plan"],
            fmt=fmt,
        )
        return
    rows = [
        {
            "from": p.valid_from,
            "to": p.valid_to or "",
            "territory": p.territory_name or p.territory_id or "(none)",
            "owner": names.get(p.owner_id or "", p.owner_id or "(vacant)"),
            "plan": p.plan_id,
        }
        for p in periods
    ]
    credit = kpi_credit(app_context(ctx).database(), account, day)
    if not rows:
        when = f" on {day}" if day else ""
        stdout().print(f"No ownership recorded for {account}{when}: {_why_no_owner(ctx, day)}.")
        if credit is not None:
            stdout().print(_credit_sentence(credit, names, "that day" if day else None))
        return
    render_rows(rows, title=f"Owners of {account}")
    if credit is not None and credit.source == "crm":
        stdout().print(_credit_sentence(credit, names, None))
    for owner, first, last, hired in before_hire(app_context(ctx).database(), periods, day):
        # the period names the owner the plan gave it; KPIs credit no one before the hire
        who = names.get(owner, owner)
        days = f"on {day}" if day else f"from {first} to {last}"
        stdout().print(f"KPIs credit its sales {days} to no rep: {who} was hired on {hired}.")


def _credit_sentence(credit: KpiCredit, names: dict[str, str], when: str | None) -> str:
    """Whom KPIs credit the account's sales where no recorded owner says (the same rule as
    the KPIs': the CRM's owner before the first activation, or with none recorded the CRM's owner, else today's owner)."""
    who = names.get(credit.owner_id or "", credit.owner_id or "no one (no owner)")
    days = f" {when}" if when else ""
    if credit.hired is not None and when:
        # no rep is credited before their hire date: who sold then is not known
        return f"KPIs credit its sales {when} to no rep: {who} was hired on {credit.hired}."
    if credit.hired is not None:
        who = f"{who} from their hire date ({credit.hired}; to no rep before)"
    if credit.source == "crm" and credit.until is not None:
        days = days or f" before {credit.until}"
        return f"KPIs credit its sales{days} to the owner the CRM gave it, {who}."
    if credit.source == "first_recorded" and credit.until is not None:
        days = days or f" before {credit.until}"
        return f"KPIs credit its sales{days} to its first recorded owner, {who}."
    if credit.source == "record":
        return (
            f"KPIs credit its sales to the owner the CRM gives it, {who}, in a plan whose "
            "territories hold it."
        )
    now = f" (now {who})" if credit.owner_id else ""
    return f"KPIs credit its sales to its owner today in the plan they report on{now}."


def _why_no_owner(ctx: typer.Context, day: date | None) -> str:
    """Why an account has no recorded owner: no plan in force that day, or a plan in force
    whose activation was not recorded (activated before the database kept ownership
    history, or the account imported since)."""
    from terraplan.domain import PlanStatus
    from terraplan.storage.unit_of_work import UnitOfWork

    when = day or date.today()
    with UnitOfWork(app_context(ctx).database()) as uow:
        in_force = [
            row.id
            for row in uow.plans.list()
            if row.status in (PlanStatus.ACTIVE.value, PlanStatus.ARCHIVED.value)
            and row.effective_from is not None
            and row.effective_from <= when
            and (row.effective_to is None or when <= row.effective_to)
        ]
    if not in_force:
        return "no plan was active then"
    return (
        f"plan {', '.join(in_force)} was in force, but its activation recorded no owner for this "
        "account (activated before this database kept ownership history, or the account was "
        "imported since); the next activation records it"
    )
