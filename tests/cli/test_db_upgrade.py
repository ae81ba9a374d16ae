"""`terraplan db current` and `db upgrade` on a team's database made by an older terraplan."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from terraplan.storage import migrate
from terraplan.storage.database import Database

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _database_at(path: Path, revision: str) -> str:
    url = f"sqlite:///{path}"
    db = Database(url)
    try:
        migrate.upgrade(db, revision)
    finally:
        db.dispose()
    return url


def _one_line(text: str) -> str:
    return " ".join(text.split())


def test_upgrade_names_each_migration_from_which_revision_to_which(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """It said `Schema 0012 -> 0015 on URL` and nothing of what changed, nor of a way back."""
    url = _database_at(tmp_path / "team.db", "0012")
    head = migrate.head_revision()
    pending = migrate.migrations_between("0012", head)
    assert [m.revision for m in pending][:2] == ["0013", "0014"]

    current = run_cli("db", "current", database_url=url)
    assert current.stdout.split()[:4] == ["current:", "0012", "head:", head]
    assert _one_line(current.stderr) == (
        f"note: {len(pending)} migrations to apply: `terraplan db upgrade` (any other command "
        "applies them too); first copy the SQLite file (with no terraplan running) to keep a "
        "way back"
    )

    upgraded = run_cli("db", "upgrade", database_url=url)
    assert upgraded.returncode == 0, upgraded.stderr
    lines = upgraded.stdout.splitlines()
    assert lines[0] == f"Upgraded {url} from schema 0012 to {head} ({len(pending)} migrations):"
    assert lines[1] == "  0013  accounts keep the day they were closed (closed_on)"
    assert len(lines) == 1 + len(pending)
    assert "`terraplan db downgrade 0012` goes back" in _one_line(upgraded.stderr)

    again = run_cli("db", "upgrade", database_url=url)
    assert again.stdout.strip() == f"{url} is at schema {head}: nothing to do."


def test_a_command_that_upgrades_the_schema_by_itself_says_so(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """Any command migrates an older database; the team was not told it had happened."""
    url = _database_at(tmp_path / "team.db", "0012")
    result = run_cli("users", "list", database_url=url)
    assert result.returncode == 0, result.stderr
    head = migrate.head_revision()
    assert f"note: upgraded the schema of {url} from 0012 to {head}" in _one_line(result.stderr)
    again = run_cli("users", "list", database_url=url)
    assert "upgraded" not in again.stderr
