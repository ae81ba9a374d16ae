"""Salesforce territory model (ETM) in and out: import a model as a plan, export a plan as load
files, and diff the two (what an admin deploys)."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from terraplan.domain import Plan, PlanStatus, RecordKind
from terraplan.domain.places import US_STATES
from terraplan.errors import ConflictError, DataError, NotFoundError
from terraplan.rules import RuleSet, assign_batch, dump_rule_set
from terraplan.rules.etm import ITEM_FILE, EtmProblem
from terraplan.rules.etm_diff import ModelDiff, ModelSnapshot, diff_models
from terraplan.rules.etm_fit import EtmTie, etm_ties
from terraplan.rules.etm_model import (
    MODEL_FILES,
    REQUIRED_FILES,
    EtmModel,
    read_etm_model,
    unique_developer_names,
    write_etm_model,
)
from terraplan.storage.database import Database
from terraplan.storage.record_repository import OPEN
from terraplan.storage.unit_of_work import UnitOfWork

OWNER_FILE = "Account_OwnerId.csv"
#: What a state is called beside its code: a Salesforce org with state picklists holds
#: 'California' in BillingState, one without them whatever its users typed, often 'CA'.
ETM_SPELLINGS = {"state": US_STATES}


def read_model_folder(folder: str | Path) -> dict[str, str]:
    """File name -> text of the ETM CSVs in ``folder`` (names matched ignoring case)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(
            f"{folder}: not a folder (give the folder of the Data Loader CSV files)",
            details={"file": str(folder), "reason": "not a folder"},
        )
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    files: dict[str, str] = {}
    for name in MODEL_FILES:
        path = present.get(name.lower())
        if path is None:
            continue
        try:
            files[name] = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{path}: not UTF-8 text (byte {exc.start}); export the CSV as UTF-8",
                details={"file": str(path), "reason": "not UTF-8"},
            ) from None
    missing = [n for n in REQUIRED_FILES if n not in files]
    if missing:
        raise DataError(
            f"{folder}: no {', '.join(missing)} (the folder needs at least the territories)",
            details={"file": str(folder / missing[0]), "reason": "missing file"},
        )
    return files


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    plan: Plan
    model: EtmModel
    rule_set_version: int | None
    problems: tuple[str, ...]  # everything not kept as it was, in words


def import_model(
    db: Database,
    folder: str | Path,
    *,
    plan_id: str | None = None,
    model: str | None = None,
    created_by: str | None = None,
) -> ImportOutcome:
    """Read a model folder and store it as a new draft plan with its rule set (one transaction)."""
    from terraplan.services.plan_ids import new_plan_id

    imported = read_etm_model(read_model_folder(folder), model=model, spellings=ETM_SPELLINGS)
    problems = [_say(p) for p in imported.problems]
    with UnitOfWork(db) as uow:
        new_id = new_plan_id(uow, plan_id)
        reps = {r.id for r in uow.reps.list()}
        accounts = {a.id for a in uow.accounts.list()}
        users = sorted({o.rep_id for t in imported.territories for o in t.owners} - reps)
        if users:
            problems.append(
                f"{len(users)} users are not reps here ({', '.join(users[:5])}); "
                "they stay territory owners by id"
            )
        strangers = sorted(set(imported.named_accounts) - accounts)
        if strangers:
            problems.append(
                f"{len(strangers)} manually assigned accounts are not imported here "
                f"({', '.join(strangers[:5])}); they stay named accounts by id"
            )
        saved = uow.plans.add(imported.plan(new_id), generated=plan_id is None)
        new_id = saved.id
        version = None
        if imported.rule_set.rules:
            stored = uow.rule_sets.add(
                new_id,
                dump_rule_set(imported.rule_set),
                plan_version=saved.version,
                created_by=created_by,
            )
            version = stored.version
        uow.audit.record(
            "import", "plan", new_id, actor=created_by, plan_id=new_id,
            after={"source": "salesforce_etm", "model": imported.developer_name},
        )  # fmt: skip
        uow.commit()
    return ImportOutcome(saved, imported, version, tuple(problems))


def county_names() -> dict[str, str]:
    """The bundled counties by FIPS (``"Colonial Heights city, VA"``), for the notes that
    name counties the export could not carry over."""
    from terraplan.data.counties import load_counties

    return {u.id: f"{u.name}, {u.state}" for u in load_counties()}


def _say(problem: EtmProblem) -> str:
    return f"{problem.rule}: {problem.reason}" if problem.rule else problem.reason


@dataclass(frozen=True, slots=True)
class ModelExport:
    """A plan as an ETM model in Planning state: the load files by name, in load order (the
    ``Id,OwnerId`` owner update file of its latest rule run last, when there is one), and
    what the export could not carry over."""

    plan_id: str
    files: dict[str, str]
    problems: tuple[str, ...]
    ties: tuple[EtmTie, ...]
    split: dict[str, int]
    owner_rows: int | None  # None: no owner file (the plan's rules were never applied)
    account_names: dict[str, str]  # of the accounts in ``ties``
    territory_names: dict[str, str] = field(default_factory=dict)  # by id, for the notes
    stale_run: str | None = None  # the rules saved after the run the owner file holds
    zero_zips: bool = False  # a rule item tests a ZIP with a leading zero

    def safe_files(self) -> dict[str, str]:
        """The files as the folder export writes them: a CSV cell a spreadsheet would run as
        a formula (a territory named ``=2+5``) starts with an apostrophe."""
        from terraplan.io.outputs import neutralise_csv_text

        return {
            name: neutralise_csv_text(text) if name.lower().endswith(".csv") else text
            for name, text in self.files.items()
        }

    def notes(self) -> list[str]:
        """What a user must know before loading the files, in words, each once."""
        said: list[str] = []
        if self.split:
            parts = sum(self.split.values())
            said.append(
                f"{len(self.split)} rules exceed ETM's limits (10 items, 255 characters a "
                f"value) and were split into {parts} rules of the same territories"
            )
        if self.owner_rows is None:
            said.append(
                f"{OWNER_FILE} is not written: plan {self.plan_id}'s rules were never run, so "
                f"no account has a new owner yet (`terraplan rules apply --plan {self.plan_id}` "
                "or the plan's activation runs them; export again after)"
            )
        elif self.stale_run is not None:
            said.append(self.stale_run.replace("this file is", "the owner update file is"))
        said += [f"not expressible in ETM: {problem}" for problem in self.problems]
        if self.zero_zips:
            said.append(
                "ETM's rules read BillingPostalCode as the org holds it: an account whose ZIP "
                "lost its leading zero there (7030 for 07030, as a spreadsheet leaves it) "
                "matches no item starting with 0, where terraplan reads it as 07030 and the "
                "owner file places it; correct such ZIPs in the org before running the rules"
            )
        if self.ties:
            shown = ", ".join(
                f"{self.account_names.get(t.record_id, t.record_id)} ("
                + " / ".join(self.territory_names.get(i, i) for i in t.territory_ids)
                + ")"
                for t in self.ties[:5]
            )
            said.append(
                f"{len(self.ties)} accounts would be in several territories in ETM (rules of "
                "several, or a manual assignment and another territory's rule), where "
                f"terraplan gives each one owner; ETM's opportunity assignment then finds a "
                f"tie: {shown}"
            )
        return list(dict.fromkeys(said))


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    """A model export written to a folder: the paths, in load order."""

    model: ModelExport
    files: tuple[Path, ...]


def _approved(uow: UnitOfWork, plan_id: str) -> tuple[Plan, RuleSet]:
    from terraplan.services.ownership import plan_rule_set

    plan = uow.plans.get(plan_id)
    if plan.status not in (PlanStatus.APPROVED, PlanStatus.ACTIVE):
        raise ConflictError(
            f"plan {plan_id!r} is {plan.status.value.replace('_', ' ')}; export an approved or "
            "active plan",
            details={"id": plan_id, "status": plan.status.value},
        )
    rule_set, _ = plan_rule_set(uow, plan)
    return plan, rule_set


def _owner_file(rows: list[dict[str, Any]]) -> str:
    """``Id,OwnerId`` as Salesforce Data Loader reads it (ids only: nothing to neutralise)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Id", "OwnerId"])
    writer.writerows([r["account_id"], r["new_owner_id"]] for r in rows)
    return out.getvalue()


def build_model(db: Database, plan_id: str) -> ModelExport:
    """The plan as ETM load files in memory (nothing written): what ``export_model`` writes
    and the API sends."""
    from terraplan.data.counties import load_zip_counties
    from terraplan.io.geocoding import ZipDirectory
    from terraplan.services.owner_sync import owner_update_rows
    from terraplan.services.rules_follow import stale_run_note

    with UnitOfWork(db) as uow:
        plan, rule_set = _approved(uow, plan_id)
        accounts = uow.accounts.list(where=OPEN)
        closed = {a.id for a in uow.accounts.list(not_null=("closed_on",))}
        has_run = uow.assignments.latest_run(plan_id) is not None
    exported = write_etm_model(
        plan,
        _named_as_stored(rule_set, {a.id for a in accounts}),
        load_zip_counties(),
        spellings=ETM_SPELLINGS,
        closed_accounts=closed,
        other_zips=ZipDirectory().table["zip"].to_pylist(),
        county_names=county_names(),
    )
    ties = etm_ties(exported.fitted.rule_set, accounts)
    files = dict(exported.files)
    rows: int | None = None
    stale = None
    if has_run:
        _, changed = owner_update_rows(db, plan_id)
        files[OWNER_FILE] = _owner_file(changed)
        rows = len(changed)
        stale = stale_run_note(db, plan_id)
    tied = {t.record_id for t in ties}
    zero_zips = _zip_items_with_zero(files.get(ITEM_FILE, ""))
    return ModelExport(
        plan_id,
        files,
        tuple(_say(p) for p in exported.problems),
        tuple(ties),
        exported.fitted.split,
        rows,
        {a.id: a.name for a in accounts if a.id in tied},
        {
            **{t.id: t.name for t in rule_set.territories.values()},
            **{t.id: t.name for t in plan.territories},
        },
        stale,
        zero_zips,
    )


def _named_as_stored(rule_set: RuleSet, stored: set[str]) -> RuleSet:
    """``rule_set`` with each named account written as the stored record's id: a pin typed
    in the other Salesforce form (15 characters for a stored 18) names the same account, and
    the manual associations must carry the id the org's other files carry."""
    from dataclasses import replace

    from terraplan.domain.salesforce_ids import match_id_forms

    typed = [a for ids in rule_set.named_accounts.values() for a in ids]
    stored_form = match_id_forms(typed, stored)
    if not stored_form:
        return rule_set
    named = {
        tid: tuple(dict.fromkeys(stored_form.get(a, a) for a in ids))
        for tid, ids in rule_set.named_accounts.items()
    }
    return replace(rule_set, named_accounts=named)


def _zip_items_with_zero(items_csv: str) -> bool:
    """Whether a rule item tests BillingPostalCode against a code with a leading zero (a CRM
    ZIP that lost its zero, 7030 for 07030, matches no such item in Salesforce)."""
    for row in csv.DictReader(io.StringIO(items_csv)):
        if row.get("Field", "").endswith("PostalCode") and any(
            v.strip().startswith("0") for v in (row.get("Value") or "").split(",")
        ):
            return True
    return False


def export_model(
    db: Database, plan_id: str, out: str | Path, *, overwrite: bool = False
) -> ExportOutcome:
    """Write the plan as a new ETM model (Planning state) into the folder ``out``: all load
    files, plus the ``Id,OwnerId`` owner update file of its latest rule run when there is
    one. A refusal (a file exists) writes nothing."""
    from terraplan.io.outputs import write_files

    model = build_model(db, plan_id)
    written = write_files(Path(out), model.files, overwrite=overwrite)
    return ExportOutcome(model, tuple(written))


def model_archive(model: ModelExport) -> bytes:
    """The load files as one ZIP archive (names as in the folder ``export_model`` writes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in model.safe_files().items():
            # a fixed date: the same plan gives the same bytes (ETag, caches, diffs)
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content.encode("utf-8"))
    return buffer.getvalue()


def _users(territories: Any, names: dict[str, str]) -> dict[str, frozenset[str]]:
    users: dict[str, set[str]] = {}
    for t in territories:
        for o in t.owners:
            users.setdefault(o.rep_id, set()).add(names[t.id])
    return {u: frozenset(ts) for u, ts in users.items()}


@dataclass(frozen=True, slots=True)
class DiffOutcome:
    diff: ModelDiff
    before_names: dict[str, str]
    after_names: dict[str, str]
    account_names: dict[str, str]
    user_names: dict[str, str]  # users who are reps here -> rep name
    source: str  # where the plan's account territories come from, in words


def _attribute_kinds(uow: UnitOfWork, plan: Plan) -> dict[str, str]:
    """The custom attributes the plan's latest rule set declares (none without rules)."""
    from terraplan.services.ownership import plan_rule_set

    try:
        rule_set, _ = plan_rule_set(uow, plan)
    except NotFoundError:
        return {}
    return dict(rule_set.attribute_kinds)


def diff_model(
    db: Database, folder: str | Path, plan_id: str, *, model: str | None = None
) -> DiffOutcome:
    """The imported model in ``folder`` (accounts placed by its manual assignments and rules)
    against the plan (accounts placed by the plan's alignment), keyed by DeveloperName."""
    from terraplan.services.alignment import plan_alignment

    files = read_model_folder(folder)
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(plan_id)
        accounts = uow.accounts.list(where=OPEN)
        alignment = plan_alignment(uow, plan, accounts)
        reps = {r.id: r.name for r in uow.reps.list()}
        kinds = _attribute_kinds(uow, plan)
    # the model's files do not say which custom fields hold numbers; the plan's rules do
    imported = read_etm_model(files, model=model, spellings=ETM_SPELLINGS, attribute_kinds=kinds)
    same = {t.id: t.id for t in imported.territories}
    before = ModelSnapshot(
        names={t.id: t.name for t in imported.territories},
        parents={t.id: t.parent_id for t in imported.territories},
        accounts=dict(
            assign_batch(accounts, imported.rule_set).select("id", "territory_id").iter_rows()
        )
        if accounts
        else {},
        users=_users(imported.territories, same),
    )
    devs = unique_developer_names(t.id for t in plan.territories)
    named = plan.alignment_map(RecordKind.ACCOUNT)
    placed = {**alignment.territory_of, **named}
    after = ModelSnapshot(
        names={devs[t.id]: t.name for t in plan.territories},
        parents={devs[t.id]: devs[t.parent_id] if t.parent_id else None for t in plan.territories},
        accounts={a.id: devs[placed[a.id]] if a.id in placed else None for a in accounts},
        users=_users(plan.territories, devs),
    )
    return DiffOutcome(
        diff_models(before, after),
        dict(before.names),
        dict(after.names),
        {a.id: a.name for a in accounts},
        reps,
        alignment.source,
    )
