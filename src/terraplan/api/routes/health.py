from __future__ import annotations

from fastapi import APIRouter

from terraplan import __version__
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import HealthPublic
from terraplan.storage.migrate import schema_status

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="get_health")
def health(db: DatabaseDep) -> HealthPublic:
    """Liveness and the database the server works on; ``status`` "schema_mismatch" when the
    database's schema is not the one this server's code expects (another version migrated
    it, or it was downgraded under the server)."""
    current, expected = schema_status(db)
    return HealthPublic(
        status="ok" if current == expected else "schema_mismatch",
        version=__version__,
        database=db.dialect,
        schema_revision=current,
        schema_expected=expected,
    )
