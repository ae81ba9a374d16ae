"""The statements of routing one lead: which plan and versions route it, and its stored turn.

Routing runs for every incoming lead, so each of these is one plain statement, and a lead sent
with an API token reads its token and the routing versions together
(:func:`find_token_and_routing_versions`): on PostgreSQL every statement is a round trip to
the server and most of what a routed lead costs there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    Connection,
    Date,
    Integer,
    Select,
    String,
    bindparam,
    column,
    select,
    text,
    true,
)
from sqlalchemy.sql.selectable import TextualSelect

from terraplan.domain.user import ApiToken, User
from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.storage.orm_access import ApiTokenRow, UserRow
from terraplan.storage.users import FIND_TOKEN, find_token, token_and_user

_VERSIONS = (
    "SELECT p.id AS plan_id, p.version AS plan_version, "
    "(SELECT max(r.version) FROM rule_sets r WHERE r.plan_id = p.id) AS rules_version, "
    "p.scope AS plan_scope, "
    "CASE WHEN coalesce(p.scope, '') = '' THEN 0 ELSE 1 END AS plan_rank, "
    "p.updated_at AS plan_updated_at, "
    "(SELECT max(i.id) FROM import_runs i) AS data_version, "
    "{waiting} AS plan_waiting FROM plans p WHERE {where} "
    "ORDER BY plan_rank, plan_waiting, plan_updated_at DESC, plan_id "
    "LIMIT 2"
)
#: The plans a lead may be routed with when none is named: the active ones, and an archived
#: plan still in force on ``:today`` (its successor was activated from a later day).
_CURRENT = (
    "(p.status = 'active' "
    "OR (p.status = 'archived' AND p.effective_from <= :today AND p.effective_to >= :today))"
)
#: 1 for an active plan whose first day is still to come: the plan it archived routes until
#: then (it comes first); with no such plan, the waiting one routes.
_WAITING = {
    "active": "CASE WHEN p.effective_from > :today THEN 1 ELSE 0 END",
    "scope": "CASE WHEN p.effective_from > :today THEN 1 ELSE 0 END",
    "plan": "0",
}
#: Which plans a lead may be routed with: the current ones, those of one scope, or one plan.
_WHERE = {
    "active": _CURRENT,
    "scope": f"{_CURRENT} AND lower(p.scope) = lower(:scope)",
    "plan": "p.id = :plan_id",
}

#: ``(plan id, plan version, latest rule-set version, scope, rank, updated at, data version)``
#: rows, at most two; the data version (latest import run) changes with every import, so
#: what routing keeps beside the rules (unit names, rep names) follows a re-import.
VersionRows = Sequence[Sequence[Any]]


@dataclass(frozen=True, slots=True)
class RoutingTarget:
    """What a lead asks to be routed with: a plan id, or the active plan of a scope (None: the
    whole-market plan, else the only active plan)."""

    plan_id: str | None = None
    scope: str | None = None

    @property
    def variant(self) -> str | None:
        """Which statement reads the versions (None: no plan can match, no statement needed)."""
        if self.plan_id is not None:
            return None if "\x00" in self.plan_id else "plan"  # as for scopes: no such id
        scope = self.normalized_scope
        if scope is None:
            return "active"
        return None if "\x00" in scope else "scope"  # PostgreSQL text cannot hold NUL

    @property
    def normalized_scope(self) -> str | None:
        return (self.scope or "").strip() or None

    @property
    def parameters(self) -> dict[str, Any]:
        variant = self.variant
        if variant == "plan":
            return {"plan_id": self.plan_id}
        if variant == "scope":
            return {"scope": self.normalized_scope, "today": date.today()}
        return {"today": date.today()}


@cache
def _versions_statement(variant: str) -> TextualSelect:
    statement = text(_VERSIONS.format(where=_WHERE[variant], waiting=_WAITING[variant]))
    if variant != "plan":
        # typed, so each driver gets the day as its dialect stores dates
        statement = statement.bindparams(bindparam("today", type_=Date))
    return statement.columns(
        column("plan_id", String),
        column("plan_version", Integer),
        column("rules_version", Integer),
        column("plan_scope", String),
        column("plan_rank", Integer),
        column("plan_updated_at"),  # only to order by: left as the driver gives it
        column("data_version", Integer),
        column("plan_waiting", Integer),
    )


def active_scopes(connection: Connection) -> list[str]:
    """The scopes of the active plans ("whole market" for a plan without one), sorted."""
    rows = connection.exec_driver_sql("SELECT scope FROM plans WHERE status = 'active'").all()
    return sorted({(row[0] or "").strip() or "whole market" for row in rows})


def active_plan_ids(connection: Connection) -> list[str]:
    """The ids of the active plans (one per scope), sorted."""
    rows = connection.exec_driver_sql("SELECT id FROM plans WHERE status = 'active'").all()
    return sorted(str(row[0]) for row in rows)


def read_version_rows(connection: Connection, target: RoutingTarget) -> VersionRows:
    """The rows :func:`routing_versions_from_rows` reads (one statement, or none)."""
    variant = target.variant
    if variant is None:
        return []
    return connection.execute(_versions_statement(variant), target.parameters).all()


def routing_versions_from_rows(
    rows: VersionRows, target: RoutingTarget, scopes: Callable[[], list[str]]
) -> tuple[str, int, int, int]:
    """``(plan id, plan version, latest rule-set version, data version)`` from the rows read
    for ``target`` (data version: the latest import run's id, 0 before any import);
    NotFoundError or InvalidParameterError when they name no plan, several, or a plan without
    rules (naming the active scopes, which only then are read, with ``scopes``)."""
    scope = target.normalized_scope
    plan_id = target.plan_id
    if (
        plan_id is None
        and scope is None
        and len(rows) == 2
        and (rows[0][3] or "").strip()
        # two rows of one scope are its plan in force and the successor waiting for its day
        and (rows[0][3] or "").strip().lower() != (rows[1][3] or "").strip().lower()
    ):
        active = scopes()
        raise InvalidParameterError(
            f"several plans are active ({', '.join(active)}); say which with scope",
            details={"parameter": "scope", "scopes": active},
        )
    row = rows[0] if rows else None
    if row is None:
        if plan_id is None and scope is not None:
            active = scopes()
            raise NotFoundError(
                f"no active plan for scope {scope!r} (active: {', '.join(active) or 'none'})",
                details={"kind": "plans", "status": "active", "scope": scope, "scopes": active},
            )
        if plan_id is None:
            raise NotFoundError(
                "no active plan to route with; pass a plan id (or activate a plan)",
                details={"kind": "plans", "status": "active"},
            )
        raise NotFoundError(
            f"no plan with id {plan_id!r}", details={"kind": "plans", "id": plan_id}
        )
    if row[2] is None:
        raise NotFoundError(
            f"plan {row[0]!r} has no rule set yet (run `terraplan rules save FILE --plan {row[0]}`)",
            details={"kind": "rule_sets", "plan_id": row[0]},
        )
    return str(row[0]), int(row[1]), int(row[2]), int(row[6] or 0)


def routing_versions(
    connection: Connection, plan_id: str | None, *, scope: str | None = None
) -> tuple[str, int, int, int]:
    """``(plan id, plan version, latest rule-set version, data version)`` of the given plan,
    or of the active
    plan of ``scope`` (None: the whole-market plan, else the only active plan).

    One plain statement: routing asks this on every request to know whether its cached rules
    are still current.
    """
    target = RoutingTarget(plan_id, scope)
    rows = read_version_rows(connection, target)
    return routing_versions_from_rows(rows, target, lambda: active_scopes(connection))


@cache
def _token_and_versions_statement(variant: str) -> Select[Any]:
    tokens, users = ApiTokenRow.__table__, UserRow.__table__
    versions = _versions_statement(variant).subquery("v")
    return (
        select(*FIND_TOKEN.selected_columns, *versions.c)
        .select_from(tokens.join(users, users.c.id == tokens.c.user_id).outerjoin(versions, true()))
        .where(tokens.c.token_hash == bindparam("token_hash"))
        # The whole-market plan first, as in the versions' own statement: a join need not
        # keep the order of its subquery.
        .order_by(
            versions.c.plan_rank,
            versions.c.plan_waiting,
            versions.c.plan_updated_at.desc(),
            versions.c.plan_id,
        )
    )


def find_token_and_routing_versions(
    connection: Connection, token_hash: str, target: RoutingTarget
) -> tuple[tuple[ApiToken, User] | None, VersionRows]:
    """:func:`terraplan.storage.users.find_token` and :func:`read_version_rows` in one
    statement: the token and its user (None if unknown), and the version rows for ``target``
    (to check with :func:`routing_versions_from_rows` once the caller may route)."""
    variant = target.variant
    if variant is None:
        return find_token(connection, token_hash), []
    rows = connection.execute(
        _token_and_versions_statement(variant), {"token_hash": token_hash, **target.parameters}
    ).all()
    if not rows:
        return None, []
    found = token_and_user(rows[0]._mapping)
    versions = [
        (
            row.plan_id,
            row.plan_version,
            row.rules_version,
            row.plan_scope,
            row.plan_rank,
            row.plan_updated_at,
            row.data_version,
        )
        for row in rows
        if row.plan_id is not None
    ]
    return found, versions


def take_routing_turn(connection: Connection, plan_id: str, territory_id: str) -> int:
    """Atomically increment and return the territory's routing turn (1 for the first call).

    One statement (upsert ... RETURNING, on SQLite and PostgreSQL alike): two concurrent
    callers never get the same turn, and the counter survives restarts. Call it in its own
    short transaction.
    """
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    row = connection.exec_driver_sql(
        "INSERT INTO routing_turns (plan_id, territory_id, turns) "
        f"VALUES ({marker}, {marker}, 1) "
        "ON CONFLICT (plan_id, territory_id) DO UPDATE SET turns = routing_turns.turns + 1 "
        "RETURNING turns",
        (plan_id, territory_id),
    ).first()
    assert row is not None
    return int(row[0])


#: Which record field names a geo unit of each kind: a county's id is its FIPS code, a
#: ZIP unit's id is the ZIP code.
_FIELD_OF_KIND = {"county": "county_fips", "zip": "postal_code"}


def geo_value_names(connection: Connection) -> dict[str, dict[str, str]]:
    """``{field: {code: name}}`` of the stored counties and ZIP units, for explanations:
    ``{"county_fips": {"08031": "Denver County, CO"}, "postal_code": {"94107": "San
    Francisco, CA"}}`` (one statement; a ZIP unit's name loses its leading code)."""
    rows = connection.execute(
        text("SELECT id, kind, name, state FROM geo_units WHERE kind IN ('county', 'zip')")
    )
    names: dict[str, dict[str, str]] = {field: {} for field in _FIELD_OF_KIND.values()}
    for unit_id, kind, name, state in rows:
        shown = str(name or "").strip()
        if shown.startswith(str(unit_id)):
            shown = shown[len(str(unit_id)) :].strip(" ,-")
        if state and shown and not shown.endswith(f", {state}"):
            shown = f"{shown}, {state}"
        if shown:
            names[_FIELD_OF_KIND[kind]][str(unit_id)] = shown
    return names
