"""A whole Salesforce ETM territory model <-> a terraplan hierarchy, owners, named accounts, rules.

Files (Data Loader CSV, Salesforce field names):

* ``Territory2Model.csv``: Id, DeveloperName, Name, State;
* ``Territory2Type.csv``: Id, DeveloperName, MasterLabel, Priority;
* ``Territory2.csv``: Id, DeveloperName, Name, Territory2ModelId, Territory2TypeId,
  ParentTerritory2Id, AccountAccessLevel, OpportunityAccessLevel, CaseAccessLevel;
* ``UserTerritory2Association.csv``: UserId, Territory2Id, RoleInTerritory2, IsActive;
* ``ObjectTerritory2Association.csv``: ObjectId, Territory2Id, AssociationCause;
* the three assignment-rule files of :mod:`terraplan.rules.etm`.

On import, references may hold Salesforce Ids (an org's export) or DeveloperNames (our own
export, whose records have no Id yet). Territory ids in the plan are the DeveloperNames.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from terraplan.domain import (
    AlignmentEntry,
    OwnerRole,
    Plan,
    RecordKind,
    Territory,
    TerritoryOwner,
    TerritoryType,
)
from terraplan.domain.territory import DEFAULT_PRIORITY
from terraplan.errors import DataError, RuleError
from terraplan.rules.etm import (
    ASSOCIATION_FILE,
    ITEM_FILE,
    RULE_FILE,
    EtmProblem,
    export_etm,
    import_etm,
)
from terraplan.rules.etm_fit import FittedRules, fit_for_etm
from terraplan.rules.model import RuleSet
from terraplan.rules.parse import parse_rule_set
from terraplan.rules.serialize import rule_set_to_dict

MODEL_FILE = "Territory2Model.csv"
TYPE_FILE = "Territory2Type.csv"
TERRITORY_FILE = "Territory2.csv"
USER_FILE = "UserTerritory2Association.csv"
OBJECT_FILE = "ObjectTerritory2Association.csv"
#: Salesforce creates rule items only while the rule's BooleanFilter is empty: rules are
#: loaded without it, then their items, then this update sets the filters.
FILTER_FILE = "ObjectTerritory2AssignmentRule_BooleanFilter.csv"
#: Load order (each file refers only to files before it).
MODEL_FILES = (
    MODEL_FILE,
    TYPE_FILE,
    TERRITORY_FILE,
    USER_FILE,
    OBJECT_FILE,
    RULE_FILE,
    ITEM_FILE,
    FILTER_FILE,
    ASSOCIATION_FILE,
)
REQUIRED_FILES = (TERRITORY_FILE,)
_ROLE_LABELS = {
    OwnerRole.PRIMARY: "Owner",
    OwnerRole.SECONDARY: "Secondary",
    OwnerRole.OVERLAY: "Overlay",
    OwnerRole.MANAGER: "Manager",
}


def unique_developer_names(ids: Iterable[str], *, prefix: str = "T") -> dict[str, str]:
    """id -> a DeveloperName Salesforce accepts: letters, digits and single underscores,
    starting with a letter, not ending with an underscore, at most 80 characters, unique
    (case-insensitively, as Salesforce compares them)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for raw in ids:
        name = re.sub(r"[^A-Za-z0-9]+", "_", raw).strip("_") or prefix
        if not name[0].isalpha():
            name = f"{prefix}_{name}"
        name = name[:80].rstrip("_")
        candidate, n = name, 1
        while candidate.lower() in used:
            n += 1
            tail = f"_{n}"
            candidate = name[: 80 - len(tail)].rstrip("_") + tail
        used.add(candidate.lower())
        out[raw] = candidate
    return out


def _rows(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]


def _csv(header: list[str], rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _type_of(label: str) -> TerritoryType:
    text = label.lower()
    for word, kind in (
        ("named", TerritoryType.NAMED),
        ("overlay", TerritoryType.OVERLAY),
        ("vertical", TerritoryType.VERTICAL),
        ("industry", TerritoryType.VERTICAL),
        ("segment", TerritoryType.SEGMENT),
        ("catch", TerritoryType.CATCH_ALL),
    ):
        if word in text:
            return kind
    return TerritoryType.GEO


def _role_of(label: str) -> OwnerRole:
    text = label.lower()
    if "manag" in text:
        return OwnerRole.MANAGER
    if "overlay" in text or "special" in text:
        return OwnerRole.OVERLAY
    if "second" in text or "support" in text or "assist" in text:
        return OwnerRole.SECONDARY
    return OwnerRole.PRIMARY


@dataclass(frozen=True, slots=True)
class EtmModel:
    """An imported territory model, ready to become a plan."""

    name: str
    developer_name: str
    state: str
    territories: tuple[Territory, ...]
    named_accounts: dict[str, str]  # account id -> territory (manual assignment)
    rule_accounts: dict[str, tuple[str, ...]]  # account id -> territories assigned by rules
    rule_set: RuleSet
    problems: tuple[EtmProblem, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # territory id -> Name

    def plan(self, plan_id: str) -> Plan:
        """A draft plan: the hierarchy, owners and named accounts (as account alignment)."""
        leaves = {t.id for t in self.territories} - {t.parent_id for t in self.territories}
        alignment = tuple(
            _entry(account, tid)
            for account, tid in sorted(self.named_accounts.items())
            if tid in leaves
        )
        return Plan(
            id=plan_id,
            name=self.name,
            territories=self.territories,
            alignment=alignment,
            description=f"imported from Salesforce territory model {self.developer_name} ({self.state})",
        )


def _entry(account: str, tid: str) -> AlignmentEntry:
    return AlignmentEntry(RecordKind.ACCOUNT, account, tid)


def _pick_model(
    rows: list[dict[str, str]], wanted: str | None, problems: list[EtmProblem]
) -> dict[str, str]:
    if not rows:
        return {
            "Id": "",
            "DeveloperName": "Imported_Model",
            "Name": "Imported territory model",
            "State": "",
        }
    if wanted:
        chosen = [r for r in rows if wanted in (r.get("Id"), r.get("DeveloperName"), r.get("Name"))]
        if not chosen:
            names = ", ".join(r.get("DeveloperName", "") for r in rows)
            raise DataError(
                f"{MODEL_FILE}: no model {wanted!r} (the file holds {names})",
                details={"file": MODEL_FILE, "field": "DeveloperName", "reason": "unknown model"},
            )
        model = chosen[0]
    else:
        active = [r for r in rows if r.get("State", "").lower() == "active"]
        model = (active or rows)[0]
    for other in rows:
        if other is not model:
            problems.append(
                EtmProblem(
                    None, f"model {other.get('DeveloperName')!r} skipped (one model per plan)"
                )
            )
    return model


def read_etm_model(files: Mapping[str, str], *, model: str | None = None) -> EtmModel:
    """Rebuild a model from its Data Loader CSVs (file name -> text).

    Raises :class:`DataError` (file, row, field) when a territory cannot be read; what
    terraplan cannot express is listed in ``problems``, never dropped silently.
    """
    problems: list[EtmProblem] = []
    chosen = _pick_model(_rows(files.get(MODEL_FILE)), model, problems)
    model_keys = {chosen.get("Id", ""), chosen.get("DeveloperName", "")} - {""}

    def in_model(row: dict[str, str]) -> bool:
        key = row.get("Territory2ModelId", "")
        return not key or not model_keys or key in model_keys

    types: dict[str, TerritoryType] = {}
    for row in _rows(files.get(TYPE_FILE)):
        kind = _type_of(f"{row.get('DeveloperName', '')} {row.get('MasterLabel', '')}")
        for key in (row.get("Id"), row.get("DeveloperName")):
            if key:
                types[key] = kind
    raw = [r for r in _rows(files.get(TERRITORY_FILE)) if in_model(r)]
    ids: dict[str, str] = {}
    for i, row in enumerate(raw, start=2):
        dev = row.get("DeveloperName", "")
        if not dev:
            raise DataError(
                f"{TERRITORY_FILE}: row {i}: DeveloperName is empty",
                details={
                    "file": TERRITORY_FILE,
                    "row": i,
                    "field": "DeveloperName",
                    "reason": "empty",
                },
            )
        if dev in ids.values():
            raise DataError(
                f"{TERRITORY_FILE}: row {i}: DeveloperName {dev!r} appears twice",
                details={
                    "file": TERRITORY_FILE,
                    "row": i,
                    "field": "DeveloperName",
                    "reason": "duplicate",
                },
            )
        ids[dev] = dev
        if row.get("Id"):
            ids[row["Id"]] = dev
    owners: dict[str, list[TerritoryOwner]] = {}
    for i, row in enumerate(_rows(files.get(USER_FILE)), start=2):
        tid = ids.get(row.get("Territory2Id", ""))
        user = row.get("UserId", "")
        if tid is None or not user:
            problems.append(
                EtmProblem(
                    None, f"{USER_FILE} row {i}: user {user!r} is in no territory of the model"
                )
            )
            continue
        if row.get("IsActive", "true").lower() in ("false", "0"):
            problems.append(
                EtmProblem(
                    None, f"{USER_FILE} row {i}: inactive association of {user} to {tid} skipped"
                )
            )
            continue
        role = _role_of(row.get("RoleInTerritory2", ""))
        current = owners.setdefault(tid, [])
        if role is OwnerRole.PRIMARY and any(o.role is OwnerRole.PRIMARY for o in current):
            role = OwnerRole.SECONDARY
            problems.append(
                EtmProblem(
                    None,
                    f"{USER_FILE} row {i}: {tid} already has a primary owner; {user} is secondary",
                )
            )
        if any(o.rep_id == user and o.role is role for o in current):
            continue
        current.append(TerritoryOwner(user, role))
    parents = {ids[r["DeveloperName"]]: ids.get(r.get("ParentTerritory2Id", "")) for r in raw}
    for i, row in enumerate(raw, start=2):
        parent_ref = row.get("ParentTerritory2Id", "")
        if parent_ref and parent_ref not in ids:
            raise DataError(
                f"{TERRITORY_FILE}: row {i}: ParentTerritory2Id {parent_ref!r} is not a territory of the model",
                details={
                    "file": TERRITORY_FILE,
                    "row": i,
                    "field": "ParentTerritory2Id",
                    "reason": "unknown parent",
                },
            )
    inner = {p for p in parents.values() if p}
    territories: list[Territory] = []
    for row in raw:
        tid = row["DeveloperName"]
        depth, up = 0, parents.get(tid)
        while up and depth < 100:
            depth, up = depth + 1, parents.get(up)
        level = "territory" if tid not in inner else ("region" if depth == 0 else "district")
        territories.append(
            Territory(
                id=tid,
                name=row.get("Name") or tid,
                type=types.get(row.get("Territory2TypeId", ""), TerritoryType.GEO),
                parent_id=parents.get(tid),
                level=level,
                owners=tuple(owners.get(tid, ())),
            )
        )
    named: dict[str, str] = {}
    by_rules: dict[str, list[str]] = {}
    kinds = {t.id: t.type for t in territories}
    for i, row in enumerate(_rows(files.get(OBJECT_FILE)), start=2):
        tid = ids.get(row.get("Territory2Id", ""))
        account = row.get("ObjectId", "")
        if tid is None or not account:
            problems.append(
                EtmProblem(
                    None,
                    f"{OBJECT_FILE} row {i}: account {account!r} is in no territory of the model",
                )
            )
            continue
        if "rule" in row.get("AssociationCause", "").lower():
            by_rules.setdefault(account, []).append(tid)
        elif kinds[tid] is TerritoryType.OVERLAY:
            problems.append(
                EtmProblem(
                    None,
                    f"{OBJECT_FILE} row {i}: {account} in overlay {tid} kept out of the named accounts",
                )
            )
        elif account in named:
            problems.append(
                EtmProblem(
                    None,
                    f"{OBJECT_FILE} row {i}: {account} is assigned to {named[account]} and {tid}; kept {named[account]}",
                )
            )
        else:
            named[account] = tid
    rule_set = _read_rules(files, ids, model_keys, territories, named, problems)
    return EtmModel(
        name=chosen.get("Name") or chosen.get("DeveloperName") or "Imported territory model",
        developer_name=chosen.get("DeveloperName", ""),
        state=chosen.get("State", ""),
        territories=tuple(territories),
        named_accounts=named,
        rule_accounts={a: tuple(t) for a, t in by_rules.items()},
        rule_set=rule_set,
        problems=tuple(problems),
        labels={t.id: t.name for t in territories},
    )


def _read_rules(
    files: Mapping[str, str],
    ids: Mapping[str, str],
    model_keys: set[str],
    territories: list[Territory],
    named: Mapping[str, str],
    problems: list[EtmProblem],
) -> RuleSet:
    rule_rows = [
        r
        for r in _rows(files.get(RULE_FILE))
        if not model_keys or r.get("Territory2ModelId", "") in ("", *model_keys)
    ]
    filters = {
        r.get("DeveloperName", ""): r.get("BooleanFilter", "")
        for r in _rows(files.get(FILTER_FILE))
    }
    rule_names: dict[str, str] = {}
    labels: set[str] = set()
    for row in rule_rows:
        if filters.get(row.get("DeveloperName", "")):
            row["BooleanFilter"] = filters[row["DeveloperName"]]
        dev = row.get("DeveloperName", "")
        rule_names[dev] = dev
        if row.get("Id"):
            rule_names[row["Id"]] = dev
        label = row.get("MasterLabel") or dev
        if label in labels:  # rule ids must be unique in a rule set
            row["MasterLabel"] = f"{label} ({dev})"
        labels.add(row.get("MasterLabel") or dev)
    items = [
        dict(r, RuleId=rule_names.get(r.get("RuleId", ""), r.get("RuleId", "")))
        for r in _rows(files.get(ITEM_FILE))
    ]
    assocs = []
    for row in _rows(files.get(ASSOCIATION_FILE)):
        rid = rule_names.get(row.get("RuleId", ""))
        tid = ids.get(row.get("Territory2Id", ""))
        if rid is None:
            continue
        if tid is None:
            problems.append(
                EtmProblem(rid, f"associated with unknown territory {row.get('Territory2Id')!r}")
            )
            continue
        assocs.append({"RuleId": rid, "Territory2Id": tid})

    def text(rows: list[dict[str, str]], header: list[str]) -> str:
        return _csv(header, ([r.get(h, "") for h in header] for r in rows))

    imported = import_etm(
        text(
            rule_rows, ["DeveloperName", "MasterLabel", "BooleanFilter", "ObjectType", "IsActive"]
        ),
        text(items, ["RuleId", "SortOrder", "Field", "Operation", "Value"]),
        text(assocs, ["RuleId", "Territory2Id"]),
        territories=territories,
    )
    problems.extend(imported.problems)
    data = rule_set_to_dict(imported.rule_set)
    grouped: dict[str, list[str]] = {}
    for account, tid in sorted(named.items()):
        grouped.setdefault(tid, []).append(account)
    data["named_accounts"] = [{"territory": t, "accounts": a} for t, a in grouped.items()]
    data.pop("territories", None)
    try:
        return parse_rule_set(data, territories=territories)
    except RuleError as exc:
        problems.append(EtmProblem(None, f"named accounts not kept in the rules: {exc.message}"))
        return imported.rule_set


@dataclass(frozen=True, slots=True)
class EtmModelExport:
    files: dict[str, str]
    developer_names: dict[str, str]  # territory id -> DeveloperName
    fitted: FittedRules
    problems: tuple[EtmProblem, ...]


def write_etm_model(
    plan: Plan,
    rule_set: RuleSet,
    zip_counties: Mapping[str, str],
    *,
    model_name: str | None = None,
) -> EtmModelExport:
    """The full set of load files for ``plan`` as a new model in Planning state."""
    name = model_name or plan.name
    model_dev = unique_developer_names([name], prefix="M")[name]
    devs = unique_developer_names(t.id for t in plan.territories)
    used_types = [
        k
        for k in (*DEFAULT_PRIORITY, TerritoryType.OVERLAY)
        if any(t.type is k for t in plan.territories)
    ]
    type_devs = {k: f"Terraplan_{k.value.title().replace('_', '')}" for k in used_types}
    files: dict[str, str] = {
        MODEL_FILE: _csv(
            ["DeveloperName", "Name", "State", "Description"],
            [[model_dev, name[:80], "Planning", f"terraplan plan {plan.id} v{plan.version}"]],
        ),
        TYPE_FILE: _csv(
            ["DeveloperName", "MasterLabel", "Priority", "Description"],
            [
                [
                    type_devs[k],
                    k.value.replace("_", " ").title(),
                    str(i + 1),
                    f"terraplan {k.value} territories",
                ]
                for i, k in enumerate(used_types)
            ],
        ),
        TERRITORY_FILE: _csv(
            [
                "DeveloperName",
                "Name",
                "Territory2ModelId",
                "Territory2TypeId",
                "ParentTerritory2Id",
                "AccountAccessLevel",
                "OpportunityAccessLevel",
                "CaseAccessLevel",
            ],
            [
                [
                    devs[t.id],
                    t.name[:80],
                    model_dev,
                    type_devs[t.type],
                    devs[t.parent_id] if t.parent_id else "",
                    "Edit",
                    "Read",
                    "Read",
                ]
                for t in plan.territories
            ],
        ),
        USER_FILE: _csv(
            ["UserId", "Territory2Id", "RoleInTerritory2"],
            [
                [o.rep_id, devs[t.id], _ROLE_LABELS[o.role]]
                for t in plan.territories
                for o in t.owners
            ],
        ),
    }
    kinds = {t.id: t.type for t in plan.territories}
    named = {a: tid for tid, accounts in rule_set.named_accounts.items() for a in accounts}
    for account, tid in plan.alignment_map(RecordKind.ACCOUNT).items():
        if kinds.get(tid) is TerritoryType.NAMED:
            named.setdefault(account, tid)
    files[OBJECT_FILE] = _csv(
        ["ObjectId", "Territory2Id", "AssociationCause"],
        [[a, devs[t], "Territory2Manual"] for a, t in sorted(named.items())],
    )
    fitted = fit_for_etm(rule_set, zip_counties)
    exported = export_etm(fitted.rule_set, territory_names=devs, model=model_dev)
    files.update(exported.files())
    rules = _rows(exported.rules_csv)
    header = list(rules[0]) if rules else ["DeveloperName", "BooleanFilter"]
    files[RULE_FILE] = _csv(
        header, ([r[h] if h != "BooleanFilter" else "" for h in header] for r in rules)
    )
    files[FILTER_FILE] = _csv(
        ["DeveloperName", "BooleanFilter"],
        ([r["DeveloperName"], r["BooleanFilter"]] for r in rules),
    )
    files = {name: files[name] for name in MODEL_FILES}
    problems = list(fitted.problems) + [
        p for p in exported.problems if "named-account pins" not in p.reason
    ]
    return EtmModelExport(files, devs, fitted, tuple(problems))
