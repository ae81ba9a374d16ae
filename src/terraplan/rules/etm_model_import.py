"""Reading a Salesforce ETM territory model from its Data Loader CSVs into an :class:`EtmModel`:
the hierarchy, owners, named accounts and assignment rules, with what cannot be kept listed.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from terraplan.errors import DataError, RuleError
from terraplan.rules.etm import (
    ASSOCIATION_FILE,
    ITEM_FILE,
    RULE_FILE,
    EtmProblem,
    import_etm,
)
from terraplan.rules.etm_model_files import (
    FILTER_FILE,
    MODEL_FILE,
    OBJECT_FILE,
    TERRITORY_FILE,
    TYPE_FILE,
    USER_FILE,
    csv_text,
    read_rows,
)
from terraplan.rules.model import RuleSet
from terraplan.rules.parse import parse_rule_set
from terraplan.rules.serialize import rule_set_to_dict


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


def read_etm_model(
    files: Mapping[str, str],
    *,
    model: str | None = None,
    spellings: Mapping[str, Mapping[str, str]] | None = None,
    attribute_kinds: Mapping[str, str] | None = None,
) -> EtmModel:
    """Rebuild a model from its Data Loader CSVs (file name -> text); ``spellings`` and
    ``attribute_kinds`` as for :func:`terraplan.rules.etm.import_etm` (rule values such as
    'California' -> 'CA'; which custom fields hold numbers).

    Raises :class:`DataError` (file, row, field) when a territory cannot be read; what
    terraplan cannot express is listed in ``problems``, never dropped silently.
    """
    problems: list[EtmProblem] = []
    chosen = _pick_model(read_rows(files.get(MODEL_FILE)), model, problems)
    model_keys = {chosen.get("Id", ""), chosen.get("DeveloperName", "")} - {""}

    def in_model(row: dict[str, str]) -> bool:
        key = row.get("Territory2ModelId", "")
        return not key or not model_keys or key in model_keys

    types: dict[str, TerritoryType] = {}
    for row in read_rows(files.get(TYPE_FILE)):
        kind = _type_of(f"{row.get('DeveloperName', '')} {row.get('MasterLabel', '')}")
        for key in (row.get("Id"), row.get("DeveloperName")):
            if key:
                types[key] = kind
    raw = [r for r in read_rows(files.get(TERRITORY_FILE)) if in_model(r)]
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
    for i, row in enumerate(read_rows(files.get(USER_FILE)), start=2):
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
        label = row.get("RoleInTerritory2", "")
        role = _role_of(label)
        current = owners.setdefault(tid, [])
        # Several users named Owner of one territory stay primary reps: they share its
        # accounts by equal weights, as the plan the model was exported from did. A user with
        # no role beside a primary one is taken for support, not a second owner.
        if (
            role is OwnerRole.PRIMARY
            and "owner" not in label.lower()
            and any(o.role is OwnerRole.PRIMARY for o in current)
        ):
            role = OwnerRole.SECONDARY
            problems.append(
                EtmProblem(
                    None,
                    f"{USER_FILE} row {i}: {tid} already has a primary owner and {user} has no "
                    "role; taken as secondary (give the role Owner to share the territory)",
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
    for i, row in enumerate(read_rows(files.get(OBJECT_FILE)), start=2):
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
    rule_set = _read_rules(
        files, ids, model_keys, territories, named, problems, spellings, attribute_kinds
    )
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
    spellings: Mapping[str, Mapping[str, str]] | None = None,
    attribute_kinds: Mapping[str, str] | None = None,
) -> RuleSet:
    rule_rows = [
        r
        for r in read_rows(files.get(RULE_FILE))
        if not model_keys or r.get("Territory2ModelId", "") in ("", *model_keys)
    ]
    filters = {
        r.get("DeveloperName", ""): r.get("BooleanFilter", "")
        for r in read_rows(files.get(FILTER_FILE))
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
        for r in read_rows(files.get(ITEM_FILE))
    ]
    assocs = []
    for row in read_rows(files.get(ASSOCIATION_FILE)):
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
        return csv_text(header, ([r.get(h, "") for h in header] for r in rows))

    imported = import_etm(
        text(
            rule_rows, ["DeveloperName", "MasterLabel", "BooleanFilter", "ObjectType", "IsActive"]
        ),
        text(items, ["RuleId", "SortOrder", "Field", "Operation", "Value"]),
        text(assocs, ["RuleId", "Territory2Id"]),
        territories=territories,
        spellings=spellings,
        attribute_kinds=attribute_kinds,
    )
    problems.extend(imported.problems)
    data = rule_set_to_dict(imported.rule_set)
    grouped: dict[str, list[str]] = {}
    for account, tid in sorted(named.items()):
        grouped.setdefault(tid, []).append(account)
    data["named_accounts"] = [{"territory": t, "accounts": a} for t, a in grouped.items()]
    catch_alls = [t.id for t in territories if t.type is TerritoryType.CATCH_ALL]
    if not data.get("catch_all") and len(catch_alls) == 1:
        # ETM has no catch-all: the model's one territory of that type takes what no rule
        # places again, as it did in the plan the model was exported from
        data["catch_all"] = catch_alls[0]
    data.pop("territories", None)
    try:
        return parse_rule_set(data, territories=territories)
    except RuleError as exc:
        problems.append(EtmProblem(None, f"named accounts not kept in the rules: {exc.message}"))
        return imported.rule_set
