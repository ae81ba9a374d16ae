"""The one exception hierarchy of terraplan.

Every error carries a stable machine-readable ``code`` and a ``details`` mapping.
Edges (CLI, API) map these classes to exit codes / HTTP statuses; nothing here knows
about HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class TerraplanError(Exception):
    """Base class of all terraplan errors.

    Attributes:
        message: a sentence a user can act on.
        code: stable identifier (``"data_error"``, ``"not_found"`` ...), safe to match on.
        details: structured facts (file, row, field, path, constraint ...).
    """

    code: ClassVar[str] = "terraplan_error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class InvalidParameterError(TerraplanError, ValueError):
    """A parameter passed by the caller is out of its allowed domain."""

    code = "invalid_parameter"


class DataError(TerraplanError, ValueError):
    """Input data is bad. ``details`` name the file, row, field and reason where known."""

    code = "data_error"


class RuleError(TerraplanError, ValueError):
    """A rule set is malformed. ``details["path"]`` names the offending element."""

    code = "rule_error"


class NotFoundError(TerraplanError, LookupError):
    """A referenced object does not exist."""

    code = "not_found"


class ConflictError(TerraplanError):
    """The operation conflicts with the stored state (stale version, duplicate, wrong status)."""

    code = "conflict"


class InfeasibleError(TerraplanError):
    """The problem has no solution; ``details["constraints"]`` names what is violated."""

    code = "infeasible"


class SolverError(TerraplanError):
    """A numerical backend failed; its own exception type never leaks."""

    code = "solver_error"


class StorageError(TerraplanError):
    """The database could not be reached or is in an unexpected state."""

    code = "storage_error"


class AuthenticationError(TerraplanError):
    """No valid credentials: missing, wrong, expired or revoked password, session or token."""

    code = "authentication_required"


class TooManyAttemptsError(AuthenticationError):
    """Too many failed sign-ins for a user name or from one address: wait and try again."""

    code = "too_many_attempts"


class RateLimitedError(TerraplanError):
    """Too much of one thing in a short time (comments on a plan): wait, then go on."""

    code = "rate_limited"


class PermissionDeniedError(TerraplanError):
    """The authenticated user may not do this (their role, region or token scopes forbid it)."""

    code = "permission_denied"


class ConvergenceWarning(UserWarning):
    """A solver stopped (time limit, iterations) before proving its result."""


class DataQualityWarning(UserWarning):
    """Input data was accepted but looks suspicious (e.g. a zero-potential territory)."""


#: Exit codes used by the CLI, documented in the README.
EXIT_CODES: Mapping[str, int] = {
    TerraplanError.code: 1,
    InvalidParameterError.code: 2,
    DataError.code: 3,
    RuleError.code: 3,
    NotFoundError.code: 4,
    ConflictError.code: 5,
    InfeasibleError.code: 6,
    SolverError.code: 7,
    StorageError.code: 8,
    AuthenticationError.code: 9,
    PermissionDeniedError.code: 10,
}
