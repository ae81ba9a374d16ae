"""A plan's rule set as text, for the web UI's rules view: read it, validate a text (problems
at their line), save a text as the next version, run the coverage audit.

Rule sets name every territory of a plan, so these routes are for planners and admins (a
manager or rep gets 403); saving needs the ``edit_rules`` permission.
"""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from terraplan.api.auth import CurrentPrincipal, authorize
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import Figure
from terraplan.domain.access import Action, sees_everything
from terraplan.errors import PermissionDeniedError
from terraplan.services.access import Principal

router = APIRouter(
    tags=["rules"],
    responses={
        401: {"description": "Not signed in"},
        403: {"description": "Only planners and admins read and edit rule sets"},
        404: {"description": "No such plan (or no rule set yet)"},
    },
)

#: Longest rule-set text accepted from the UI (characters): a 40,000-ZIP rule set is about
#: 350,000. Longer files go through the CLI (`terraplan rules save`, up to 50 MB).
MAX_RULE_TEXT = 1_000_000

#: The body limit of the routes taking a rule-set text (``PUT /plans/{id}/rules``, its
#: ``validate`` and ``audit``): the longest text with JSON's escapes of an ordinary rule file
#: (quotes, newlines) and room for the rest of the body. Kept small because a body is read
#: before its sender is checked (a text of mostly ``\uXXXX`` escapes may still be refused).
RULE_TEXT_BODY_BYTES = 2 * MAX_RULE_TEXT + 65_536

#: The paths of those routes (``limits.BodySizeLimit`` asks by path, before routing).
RULE_TEXT_PATH = re.compile(r"/plans/[^/]+/rules(/validate|/audit)?")


class RuleText(BaseModel):
    document: str = Field(max_length=MAX_RULE_TEXT, description="YAML or JSON rule set")


class RuleTextSave(RuleText):
    version: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description="The rule-set version the text was based on (from GET; 0: none yet): a "
        "newer one saved since is a 409 naming who saved it (null: no check)",
    )


class RuleTextPublic(BaseModel):
    version: int | None = Field(description="Rule-set version; None when none is stored")
    document: str


class RuleProblemPublic(BaseModel):
    message: str
    path: str
    line: int | None = Field(description="1-based line of the offending element")
    column: int | None


class RuleValidationPublic(BaseModel):
    ok: bool
    problems: list[RuleProblemPublic]
    rules: int
    overlays: int
    territories: int
    notes: list[str] = Field(
        default_factory=list,
        description="Plain remarks on a valid text (territory names that look alike, state "
        "values no record has)",
    )


class RuleSavedPublic(BaseModel):
    version: int
    notes: list[str] = Field(
        default_factory=list,
        description="Territories the rule set routes to that the plan lacked, now added to it",
    )


def _planner(principal: Principal, action: Action) -> None:
    if not sees_everything(principal.user):
        raise PermissionDeniedError(
            f"{principal.user.username} may not read rule sets: they name every territory "
            "of the plan (planners and admins only)",
            details={"action": action.value, "role": principal.user.role.value},
        )
    authorize(principal, action)


@router.get("/plans/{plan_id}/rules", operation_id="get_plan_rule_text")
def get_rules_route(principal: CurrentPrincipal, db: DatabaseDep, plan_id: str) -> RuleTextPublic:
    """The latest rule set as YAML text."""
    from terraplan.services.rule_editing import rule_text

    _planner(principal, Action.READ)
    return RuleTextPublic(**rule_text(db, plan_id))


@router.post("/plans/{plan_id}/rules/validate", operation_id="validate_plan_rule_text")
def validate_rules_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: RuleText
) -> RuleValidationPublic:
    """Validate a text against the plan (nothing is stored); a problem names its line."""
    from terraplan.services.rule_editing import validate_rule_text

    _planner(principal, Action.READ)
    return RuleValidationPublic(**validate_rule_text(db, plan_id, body.document))


@router.put(
    "/plans/{plan_id}/rules",
    operation_id="save_plan_rule_text",
    responses={
        409: {"description": "The plan is not a draft, or its rules were saved since `version`"},
        422: {"description": "Invalid"},
    },
)
def save_rules_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: RuleTextSave
) -> RuleSavedPublic:
    """Save a text as the plan's next rule-set version (audit-logged)."""
    from terraplan.services.rule_editing import save_rule_text_noted

    _planner(principal, Action.EDIT_RULES)
    saved = save_rule_text_noted(
        db, plan_id, body.document, by=principal.user.username, based_on=body.version
    )
    return RuleSavedPublic(version=saved.version, notes=saved.notes)


class RuleAuditRequest(BaseModel):
    document: str | None = Field(
        default=None, max_length=MAX_RULE_TEXT, description="A text to audit; default: stored"
    )


class RuleTallyPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    territory_id: str
    name: str
    type: str = Field(description="geo, named, vertical, segment or overlay")
    records: int = Field(description="Records it gets as their primary territory")
    potential: Figure = Field(description="Their potential, in the plan currency")
    overlay_records: int


class CoveragePublic(BaseModel):
    """Coverage of one population (accounts or leads) by the rules."""

    model_config = ConfigDict(extra="forbid")
    population: str = Field(description="accounts or leads")
    records: int
    assigned: int
    coverage: Figure = Field(description="Share with exactly one primary territory, 0..1")
    gaps: int = Field(description="Records no rule places")
    gaps_to_catch_all: int = Field(description="Gaps a catch-all rule takes")
    conflicts: int = Field(description="Records two primary rules claim")
    gap_ids: list[str] = Field(description="A sample (at most 20)")
    conflict_ids: list[str] = Field(description="A sample (at most 20)")
    conflict_territories: dict[str, list[str]] = Field(
        default={}, description="conflict id -> the territories claiming it"
    )
    unused_rules: list[str] = Field(description="Rules no record satisfies")
    shadowed_rules: list[str] = Field(description="Rules always beaten by a higher one")
    unused_overlays: list[str]
    territories: list[RuleTallyPublic]
    rule_matches: dict[str, int] = Field(description="rule -> records satisfying it")
    rule_wins: dict[str, int] = Field(description="rule -> records it decides")


class AuditPlacePublic(BaseModel):
    """A sampled gap or conflict account, for the map."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["gap", "conflict"]
    id: str
    name: str
    state: str | None
    county_fips: str | None
    postal_code: str | None
    latitude: float | None = Field(description="Degrees")
    longitude: float | None = Field(description="Degrees")


class RuleAuditPublic(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_set: str = Field(description="The rule set's name")
    rules: int
    overlays: int
    ok: bool = Field(description="No gap (but to a catch-all) and no conflict")
    accounts: CoveragePublic
    leads: CoveragePublic | None = Field(description="A sample of leads; null: none stored")
    places: list[AuditPlacePublic]


@router.post("/plans/{plan_id}/rules/audit", operation_id="audit_plan_rule_text")
def audit_rules_route(
    principal: CurrentPrincipal, db: DatabaseDep, plan_id: str, body: RuleAuditRequest
) -> RuleAuditPublic:
    """Coverage of the stored accounts (and a sample of leads): gaps, conflicts, unused and
    shadowed rules, per-territory tallies, and ``places`` (where the sampled gap and conflict
    accounts are)."""
    from terraplan.services.rule_editing import audit_rule_text

    _planner(principal, Action.READ)
    return RuleAuditPublic.model_validate(audit_rule_text(db, plan_id, body.document))
