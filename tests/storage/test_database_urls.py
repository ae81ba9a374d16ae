"""Database URLs as people write them: another PostgreSQL driver's URL works (psycopg 3 is
the one installed), and a PostgreSQL database that does not exist is named with the fix."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from terraplan.errors import StorageError
from terraplan.storage import migrate
from terraplan.storage.database import Database, normalize_url


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        (
            "postgresql+asyncpg://u@h/db?sslmode=require",
            "postgresql+psycopg://u@h/db?sslmode=require",
        ),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///terraplan.db", "sqlite:///terraplan.db"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql://u@h/db"),
    ],
)
def test_postgresql_urls_of_any_driver_use_psycopg(given: str, used: str) -> None:
    assert normalize_url(given) == used


def test_a_missing_postgresql_database_is_named_with_createdb(postgres_admin_url: str) -> None:
    url = make_url(postgres_admin_url).set(database="terraplan_no_such_db_4711")
    db = Database(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(StorageError) as refused:
            migrate.upgrade(db)
    finally:
        db.dispose()
    message = refused.value.message
    assert 'database "terraplan_no_such_db_4711" does not exist' in message
    assert "createdb -h HOST -U USER terraplan_no_such_db_4711" in message
