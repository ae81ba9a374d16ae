"""Load the built-in demo (real US counties and a seeded CRM) into a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from terraplan.data.demo import DemoDataset, generate_demo
from terraplan.services.progress import Progress, no_progress
from terraplan.storage.database import Database
from terraplan.storage.mappers import to_record
from terraplan.storage.ownership_history import clear_history
from terraplan.storage.unit_of_work import UnitOfWork

#: Order matters: referenced records first, and the reverse order for deletion.
DEMO_KINDS: tuple[str, ...] = (
    "geo_units",
    "reps",
    "accounts",
    "leads",
    "sales_lines",
    "opportunities",
)


@dataclass(frozen=True, slots=True)
class DemoSummary:
    seed: int
    counts: dict[str, int]
    regions: tuple[str, ...]
    as_of: str


def load_demo(
    db: Database,
    *,
    seed: int = 2026,
    n_accounts: int = 20_000,
    reset: bool = True,
    progress: Progress = no_progress,
) -> tuple[DemoDataset, DemoSummary]:
    """Generate the demo and write it in ONE transaction (all or nothing).

    With ``reset`` the record tables (and plans, targets, ownership history and the audit log
    of plans) are emptied first, in the same transaction, so a re-run gives the same database.
    """
    progress("generate demo data", 0, None)
    dataset = generate_demo(seed=seed, n_accounts=n_accounts)
    store_demo(db, dataset, reset=reset, progress=progress)
    summary = DemoSummary(
        seed=seed,
        counts={kind: len(getattr(dataset, kind)) for kind in DEMO_KINDS},
        regions=tuple(region.name for region in dataset.regions),
        as_of=dataset.as_of.isoformat(),
    )
    return dataset, summary


def store_demo(
    db: Database, dataset: DemoDataset, *, reset: bool = True, progress: Progress = no_progress
) -> None:
    """Write a generated demo in ONE transaction (see :func:`load_demo` for ``reset``)."""
    collections: dict[str, Sequence[Any]] = {kind: getattr(dataset, kind) for kind in DEMO_KINDS}
    total = sum(len(objects) for objects in collections.values())
    done = 0
    with UnitOfWork(db) as uow:
        if reset:
            for plan in uow.plans.list():
                uow.plans.delete(plan.id)
            # The history that names the deleted plans and accounts goes too: plan ids are
            # never given twice while it remembers them, and the re-run starts at P001.
            clear_history(uow.connection)
            uow.audit.forget_plans()
            for kind in ("targets", *reversed(DEMO_KINDS)):
                uow.records(kind).delete_all()
        for kind, objects in collections.items():
            progress(f"write {kind.replace('_', ' ')}", done, total)
            uow.records(kind).upsert_records(to_record(obj) for obj in objects)
            done += len(objects)
            progress(f"write {kind.replace('_', ' ')}", done, total)
        uow.commit()
