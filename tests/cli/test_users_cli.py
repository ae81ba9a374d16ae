"""``terraplan users`` and ``terraplan tokens`` through the real command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from tests.cli.conftest import RunCli

from terraplan.errors import AuthenticationError
from terraplan.services.users import authenticate, resolve_token
from terraplan.storage.database import Database


@pytest.mark.slow
def test_users_and_tokens_commands(run_cli: RunCli, tmp_path: Path) -> None:
    def _with_stdin(_: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, input=text)

    added = _with_stdin(
        tmp_path, "long enough pw\n", "users", "add", "ops", "--role", "planner", "--password-stdin"
    )
    assert added.returncode == 0, added.stderr
    assert "added user ops (planner)" in added.stderr

    short = _with_stdin(
        tmp_path, "short\n", "users", "add", "al", "--role", "admin", "--password-stdin"
    )
    assert short.returncode == 2
    assert short.stderr.strip() == "Error: the password needs at least 8 characters"
    no_rep = _with_stdin(
        tmp_path,
        "long enough pw\n",
        "users",
        "add",
        "rae",
        "--role",
        "rep",
        "--rep",
        "R7",
        "--password-stdin",
    )
    assert no_rep.returncode == 4
    assert "no rep with id 'R7'" in no_rep.stderr
    no_tty = run_cli("users", "add", "bo", "--role", "admin")
    assert no_tty.returncode == 2 and "--password-stdin" in no_tty.stderr

    listed = json.loads(run_cli("users", "list", "--format", "json").stdout)
    assert listed == [
        {
            "user": "ops",
            "role": "planner",
            "rep": None,
            "rep_name": None,
            "region": None,
            "active": True,
            "last_login": None,
        }
    ]

    created = run_cli(
        "tokens", "create", "--user", "ops", "--scope", "read,route", "--expires", "90d"
    )
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip()
    assert secret.startswith("tp_")
    assert "not shown again" in created.stderr
    db = Database(f"sqlite:///{tmp_path}/cli.db")
    try:
        user, token = resolve_token(db, secret)
        assert user.username == "ops" and sorted(token.scopes) == ["read", "route"]
        tokens = json.loads(run_cli("tokens", "list", "--format", "json").stdout)
        assert [(t["id"], t["user"], t["scopes"], t["state"]) for t in tokens] == [
            (1, "ops", ["read", "route"], "active")
        ]
        # values, not display text: the prefix as stored ("tp_ab12", not "tp_ab12…")
        assert secret.startswith(tokens[0]["prefix"]) and tokens[0]["prefix"] == token.prefix
        as_csv = run_cli("tokens", "list", "-f", "csv").stdout.splitlines()
        assert as_csv[0].split(",")[:4] == ["id", "user", "prefix", "scopes"]
        assert as_csv[1].startswith(f'1,ops,{token.prefix},"read,route",active,')
        assert secret not in run_cli("tokens", "list").stdout
        bad_scope = run_cli("tokens", "create", "--user", "ops", "--scope", "write")
        assert bad_scope.returncode == 2 and "unknown scope 'write'" in bad_scope.stderr

        assert run_cli("tokens", "revoke", "1").returncode == 0
        assert json.loads(run_cli("tokens", "list", "-f", "json").stdout)[0]["state"] == "revoked"
        assert run_cli("tokens", "revoke", "7").returncode == 4

        assert (
            run_cli("users", "set-role", "ops", "--role", "manager", "--region", "West").returncode
            == 0
        )
        # a forgotten password: the admin sets a new one; the old one stops working
        reset = run_cli("users", "set-password", "ops", "--password-stdin", input="a new secret\n")
        assert reset.returncode == 0 and "new password set for ops" in reset.stderr, reset.stderr
        assert authenticate(db, "ops", "a new secret").username == "ops"
        with pytest.raises(AuthenticationError):
            authenticate(db, "ops", "long enough pw")
        unknown = run_cli("users", "set-password", "nobody", "--password-stdin", input="x" * 9)
        assert unknown.returncode == 4, unknown.stderr
        assert run_cli("users", "disable", "ops").returncode == 0
        listed = json.loads(run_cli("users", "list", "-f", "json").stdout)[0]
        assert (listed["role"], listed["region"], listed["active"]) == ("manager", "West", False)
        with pytest.raises(AuthenticationError):
            authenticate(db, "ops", "long enough pw")
    finally:
        db.dispose()


@pytest.mark.slow
def test_users_list_names_the_rep_beside_the_id(run_cli: RunCli, tmp_path: Path) -> None:
    """`users list` gave a rep user's CRM id only, in the table too."""
    from terraplan.domain import Rep
    from terraplan.storage import migrate
    from terraplan.storage.unit_of_work import UnitOfWork

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    with UnitOfWork(db) as uow:
        uow.reps.add_many([Rep("REP-007", "Rae Seven")])
        uow.commit()
    db.dispose()
    args = ("users", "add", "rae", "--role", "rep", "--rep", "REP-007", "--password-stdin")
    assert run_cli(*args, input="long enough pw\n").returncode == 0
    (listed,) = json.loads(run_cli("users", "list", "-f", "json").stdout)
    assert (listed["rep"], listed["rep_name"]) == ("REP-007", "Rae Seven")
    table = run_cli("users", "list").stdout
    assert "Rae Seven" in table and "REP-007" not in table
    assert "rep,rep_name," in run_cli("users", "list", "-f", "csv").stdout.splitlines()[0]
