"""Notes for ``rules check``: named accounts whose children the pins leave to other territories.

A pin names one account. A planner who pins a health system's top account to a strategic
territory usually means the whole system, its hospitals and their clinics; the rules then send
those to the geographic territories without a word. These notes name each pinned account with
how many of the accounts below it go elsewhere, a few of them by name, and what to do.
"""

from __future__ import annotations

from terraplan.domain.salesforce_ids import with_other_forms
from terraplan.rules import RuleSet, assign_batch
from terraplan.rules.families import StrayDescendants, stray_descendants
from terraplan.services.locations import zip_locator
from terraplan.services.ownership import account_frames, account_names
from terraplan.storage.database import Database

#: Pinned accounts named one by one; the others are counted in one more note.
MAX_NOTES = 10
#: Accounts named as examples in each note.
EXAMPLES = 3


def pinned_family_notes(db: Database, rule_set: RuleSet) -> list[str]:
    """One note per pinned account (up to :data:`MAX_NOTES`) with accounts below it in the
    parent hierarchy that the rules send to another territory (or to none)."""
    if not rule_set.named_accounts:
        return []
    open_frame, closed_frame = account_frames(db)
    parents: dict[str, str | None] = {}
    for frame in (closed_frame, open_frame):
        parents.update(zip(frame["id"].to_list(), frame["parent_id"].to_list(), strict=True))
    pins = _stored_pins(rule_set, set(parents))
    if not pins or open_frame.is_empty():
        return []
    result = assign_batch(open_frame, rule_set, locate=zip_locator())
    placed = dict(zip(result["id"].to_list(), result["territory_id"].to_list(), strict=True))
    found = stray_descendants(parents, pins, placed)
    shown = found[:MAX_NOTES]
    names = account_names(
        db, [s.pinned_id for s in shown] + [a for s in shown for a, _ in s.strays[:EXAMPLES]]
    )
    notes = [_note(s, names, rule_set) for s in shown]
    if len(found) > MAX_NOTES:
        rest = found[MAX_NOTES:]
        notes.append(
            f"{len(rest):,} more named accounts have accounts below them in other territories "
            f"({sum(len(s.strays) for s in rest):,} accounts)"
        )
    return notes


def _stored_pins(rule_set: RuleSet, stored: set[str]) -> dict[str, str]:
    """Stored account id -> territory, for each pin naming a stored account (in either
    Salesforce form)."""
    pins: dict[str, str] = {}
    for territory, ids in rule_set.named_accounts.items():
        for typed in ids:
            found = next((form for form in with_other_forms([typed]) if form in stored), None)
            if found is not None:
                pins[found] = territory
    return pins


def _note(found: StrayDescendants, names: dict[str, str], rule_set: RuleSet) -> str:
    def territory(tid: str | None) -> str:
        return "no territory" if tid is None else rule_set.territories[tid].name

    examples = ", ".join(
        f"{names.get(account, account)} → {territory(tid)}"
        for account, tid in found.strays[:EXAMPLES]
    )
    more = ", …" if len(found.strays) > EXAMPLES else ""
    return (
        f"named account {names.get(found.pinned_id, found.pinned_id)} "
        f"({territory(found.territory_id)}): {len(found.strays):,} of the {found.below:,} "
        f"accounts below it in the parent hierarchy go to other territories ({examples}{more}); "
        "a pin takes the account it names only: pin their ids too, or write a rule for them, "
        "to keep the family together"
    )
