"""List endpoints refuse query parameters they do not take: a misspelt filter
(``/accounts?owner=REP-002`` for ``owner_id``) would otherwise be dropped, and the answer hold
every record instead of the ones meant."""

from __future__ import annotations

import difflib

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from terraplan.errors import InvalidParameterError


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters a route (and its dependencies) takes, by the name sent."""
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def known_query_parameters(request: Request) -> None:
    """A dependency: 422 naming the first query parameter the route does not take (and the
    one it most likely meant)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _query_names(route.dependant)
    unknown = [name for name in request.query_params if name not in known]
    if not unknown:
        return
    name = unknown[0]
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    takes = ", ".join(sorted(known)) or "none"
    raise InvalidParameterError(
        f"unknown query parameter {name!r}{hint} (this endpoint takes: {takes})",
        details={
            "field": name,
            "parameter": name,
            "known": sorted(known),
            **({"suggestion": close[0]} if close else {}),
            "problems": [{"path": f"query.{name}", "reason": "unknown query parameter"}],
        },
    )
