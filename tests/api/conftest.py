from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from terraplan.api.app import create_app
from terraplan.config import Settings
from terraplan.storage.database import Database


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    """The real app on the real (migrated) test database — SQLite and PostgreSQL."""
    with TestClient(create_app(Settings(database_url=db.url))) as test_client:
        yield test_client
