"""The accounts an import moved into another territory of an active plan: a CRM delta gives
an account a new address (a ZIP in another territory), and the plan's rules would place it
elsewhere; it stays in its old territory, with its old owner, until the rules run. The
import said nothing of them (the audit's 37 of a night's 107 rows)."""

from __future__ import annotations

from collections.abc import Collection

from terraplan.domain import PlanStatus, RecordKind
from terraplan.errors import NotFoundError
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

__all__ = ["moved_territory_notes"]


def moved_territory_notes(db: Database, updated: Collection[str]) -> list[str]:
    """One note per active plan whose rules now place some of the ``updated`` accounts (stored
    before the import, still open) in another territory than its latest rule run did: how
    many, one of them by name with both territories, and what to run."""
    if not updated:
        return []
    import polars as pl

    from terraplan.rules import assign_frame
    from terraplan.services.alignment import rule_run_with_pins
    from terraplan.services.locations import zip_locator
    from terraplan.services.ownership import account_frames, plan_rule_set
    from terraplan.services.plan_scopes import narrow_to_scope

    with UnitOfWork(db) as uow:
        if not uow.plans.list(status=PlanStatus.ACTIVE):
            return []  # no plan to move them in: the accounts are not read
    wanted = pl.Series(sorted(updated), dtype=pl.String).implode()
    accounts = account_frames(db)[0].filter(pl.col("id").is_in(wanted))
    if not accounts.height:
        return []
    notes = []
    with UnitOfWork(db) as uow:
        plans = [uow.plans.get(row.id) for row in uow.plans.list(status=PlanStatus.ACTIVE)]
        for plan in plans:
            try:
                rule_set, _ = plan_rule_set(uow, plan)
            except NotFoundError:  # an active plan without rules has nothing to say
                continue
            placed = rule_run_with_pins(uow, plan.id, plan.alignment_map(RecordKind.ACCOUNT))
            frame, _ = narrow_to_scope(db, accounts, plan.scope)
            if not frame.height:
                continue
            result, _ = assign_frame(frame, rule_set, locate=zip_locator())
            names = dict(zip(frame["id"].to_list(), frame["name"].to_list(), strict=True))
            labels = {t.id: t.name for t in plan.territories}
            moved = [
                (account, placed[account], territory)
                for account, territory in result.select("id", "territory_id").iter_rows()
                if territory is not None
                and placed.get(account) is not None
                and placed[account] != territory
            ]
            if not moved:
                continue
            account, old, new = moved[0]
            count = len(moved)
            notes.append(
                f"{count:,} account{'' if count == 1 else 's'} of the active plan {plan.id} "
                f"{'has' if count == 1 else 'have'} an address in this file that its rules "
                f"place in another territory (e.g. {names.get(account) or account}: "
                f"{labels.get(str(old), old)} -> {labels.get(new, new)}): "
                f"{'it stays' if count == 1 else 'they stay'} in the old territory, with "
                f"the old owner, until `terraplan rules apply --plan {plan.id}` moves them and "
                f"gives them the new territory's owner from today (`terraplan owners "
                f"{account}` then shows the change, dated)"
            )
    return notes
