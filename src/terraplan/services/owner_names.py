"""Owners named by rep name (or by a rep's id in the other Salesforce form) before the reps
were imported get their rep's id.

A report's ``Account Owner`` column holds names (``Alice West``), not ids. Imported after the
reps, such a name becomes the rep's id at once (:mod:`terraplan.io.references`); imported
before them, it is kept as written, since files may come in any order. Without this step the
name would stay for good: matching would call every account "new to this territory" and
owner KPIs would count no rep. So an import of reps, in its own transaction, gives every
account and opportunity whose owner is the name of exactly one rep that rep's id; a name
several reps share is not guessed, and said once; a name written without its accents or
apostrophes (``Sofia Martinez``, ``Tom OConnor``) is the one rep it can be, as at import. An owner id of 15 characters whose
18-character form is a stored rep (or the reverse) is that rep, as at import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select, update

from terraplan.domain.salesforce_ids import match_id_forms
from terraplan.io.owner_names import fold_name
from terraplan.io.report import ImportReport, short
from terraplan.storage import bulk

#: The kinds whose ``owner_id`` may hold a rep's name (an external reference kept as written).
OWNER_KINDS: tuple[str, ...] = ("accounts", "opportunities")


def name_key(name: str) -> str:
    """A rep name as owner columns are matched: case and runs of spaces ignored, as at import."""
    return " ".join(name.split()).lower()


@dataclass
class OwnerNames:
    """What :func:`resolve_owner_names` did: records per kind whose owner name became a rep
    id, an example (``name -> id``), and per kind a name several reps share (with their ids)
    and how many records keep such names."""

    resolved: dict[str, int] = field(default_factory=dict)
    example: str | None = None
    shared: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    shared_records: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[str]:
        """The report's lines: one for the owners resolved, one per kind for shared names."""
        lines = []
        if self.resolved:
            counts = ", ".join(f"{n:,} {_noun(kind, n)}" for kind, n in self.resolved.items())
            lines.append(
                f"owners given by rep name or by a short Salesforce id before the reps were "
                f"imported now name their rep: {counts} (e.g. {self.example})"
            )
        for kind, count in self.shared_records.items():
            name, ids = self.shared[kind]
            lines.append(
                f"{count:,} {_noun(kind, count)} {'names' if count == 1 else 'name'} an"
                f" owner several reps share (e.g."
                f" {short(name)}: reps {', '.join(ids)}): kept as written; give the rep's id"
            )
        return lines


def _noun(kind: str, count: int) -> str:
    word = kind.replace("_", " ")
    return word if count != 1 else word.removesuffix("s").replace("opportunitie", "opportunity")


def resolve_owner_names(connection: Connection) -> OwnerNames:
    """Replace owner names matching one stored rep's name by the rep's id (in the caller's
    transaction); see the module docstring."""
    reps = bulk.record_table("reps")
    ids: dict[str, list[str]] = {}
    folded: dict[str, list[str]] = {}  # names without accents or apostrophes, as at import
    rep_ids: set[str] = set()
    for rep_id, name in connection.execute(select(reps.c.id, reps.c.name)):
        rep_ids.add(rep_id)
        if name:
            ids.setdefault(name_key(name), []).append(rep_id)
            folded.setdefault(fold_name(name), []).append(rep_id)
    outcome = OwnerNames()
    for kind in OWNER_KINDS:
        table = bulk.record_table(kind)
        owners = connection.execute(
            select(table.c.owner_id, func.count())
            .where(table.c.owner_id.is_not(None))
            .group_by(table.c.owner_id)
            .order_by(table.c.owner_id)
        ).all()
        # a Salesforce owner id in the other form (15 characters for a stored 18) is the rep
        forms = match_id_forms([owner for owner, _ in owners], rep_ids)
        for owner, count in owners:
            if owner in rep_ids:
                continue
            found = [forms[owner]] if owner in forms else ids.get(name_key(owner), [])
            if not found and len(spelt := folded.get(fold_name(owner), [])) == 1:
                found = spelt  # "Sofia Martinez", "Tom OConnor": the one rep it can be
            if len(found) > 1:
                outcome.shared.setdefault(kind, (owner, tuple(sorted(found))))
                outcome.shared_records[kind] = outcome.shared_records.get(kind, 0) + count
            elif found:
                connection.execute(
                    update(table).where(table.c.owner_id == owner).values(owner_id=found[0])
                )
                outcome.resolved[kind] = outcome.resolved.get(kind, 0) + count
                outcome.example = outcome.example or f"{short(owner)} -> {found[0]}"
    return outcome


def resolve_into(connection: Connection, report: ImportReport) -> None:
    """:func:`resolve_owner_names` after an import of reps, said in its ``report``."""
    outcome = resolve_owner_names(connection)
    report.warnings.extend(outcome.notes())
    if outcome.resolved:
        report.details["owners_resolved"] = dict(outcome.resolved)
