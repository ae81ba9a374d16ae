"""Writing a plan and its rules as the Data Loader files of a new Salesforce ETM territory model
(in Planning state), with DeveloperNames Salesforce accepts.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from terraplan.domain import OwnerRole, Plan, RecordKind, TerritoryType
from terraplan.domain.territory import DEFAULT_PRIORITY
from terraplan.rules.etm import RULE_FILE, EtmProblem, export_etm
from terraplan.rules.etm_fit import FittedRules, fit_for_etm
from terraplan.rules.etm_model_files import (
    FILTER_FILE,
    MODEL_FILE,
    MODEL_FILES,
    OBJECT_FILE,
    TERRITORY_FILE,
    TYPE_FILE,
    USER_FILE,
    csv_text,
    read_rows,
)
from terraplan.rules.model import RuleSet

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
    spellings: Mapping[str, Mapping[str, str]] | None = None,
    closed_accounts: Collection[str] = (),
    other_zips: Iterable[str] = (),
    county_names: Mapping[str, str] | None = None,
) -> EtmModelExport:
    """The full set of load files for ``plan`` as a new model in Planning state
    (``spellings``: see :func:`terraplan.rules.etm.export_etm`). Named accounts among
    ``closed_accounts`` are left out of the manual associations, with a problem naming them
    (a churned or merged account's Id may no longer exist in the org)."""
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
        MODEL_FILE: csv_text(
            ["DeveloperName", "Name", "State", "Description"],
            [[model_dev, name[:80], "Planning", f"terraplan plan {plan.id} v{plan.version}"]],
        ),
        TYPE_FILE: csv_text(
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
        TERRITORY_FILE: csv_text(
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
        USER_FILE: csv_text(
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
    left_out = sorted(set(named) & set(closed_accounts))
    for account in left_out:
        del named[account]
    files[OBJECT_FILE] = csv_text(
        ["ObjectId", "Territory2Id", "AssociationCause"],
        [[a, devs[t], "Territory2Manual"] for a, t in sorted(named.items())],
    )
    fitted = fit_for_etm(rule_set, zip_counties, other_zips=other_zips, county_names=county_names)
    exported = export_etm(
        fitted.rule_set, territory_names=devs, model=model_dev, spellings=spellings
    )
    files.update(exported.files())
    rules = read_rows(exported.rules_csv)
    header = list(rules[0]) if rules else ["DeveloperName", "BooleanFilter"]
    files[RULE_FILE] = csv_text(
        header, ([r[h] if h != "BooleanFilter" else "" for h in header] for r in rules)
    )
    files[FILTER_FILE] = csv_text(
        ["DeveloperName", "BooleanFilter"],
        ([r["DeveloperName"], r["BooleanFilter"]] for r in rules),
    )
    files = {name: files[name] for name in MODEL_FILES}
    problems = list(fitted.problems) + [
        p for p in exported.problems if "named-account pins" not in p.reason
    ]
    if left_out:
        problems.append(
            EtmProblem(
                None,
                f"{len(left_out):,} closed named account(s) are left out of "
                f"{OBJECT_FILE} (e.g. {', '.join(left_out[:3])})",
            )
        )
    return EtmModelExport(files, devs, fitted, tuple(problems))
