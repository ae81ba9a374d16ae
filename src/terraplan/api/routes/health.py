from __future__ import annotations

from fastapi import APIRouter

from terraplan import __version__
from terraplan.api.deps import DatabaseDep
from terraplan.api.schemas import HealthPublic
from terraplan.storage.migrate import current_revision

router = APIRouter(tags=["health"])


@router.get("/health", operation_id="get_health")
def health(db: DatabaseDep) -> HealthPublic:
    """Liveness and the database the server works on."""
    return HealthPublic(
        status="ok", version=__version__, database=db.dialect, schema_revision=current_revision(db)
    )
