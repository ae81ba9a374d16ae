"""``terraplan users`` and ``terraplan tokens``: who may sign in to the API, and integration tokens.

The command line works on the database directly: whoever can run it against the database is
trusted as an administrator (the API is where roles are enforced).
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from terraplan.cli.console import OutputFormat, render_rows, stderr
from terraplan.cli.context import app_context
from terraplan.errors import InvalidParameterError

users_app = typer.Typer(help="Users of the API and their roles.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")]
RoleArgument = Annotated[str, typer.Option("--role", help="admin, planner, manager or rep")]


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidParameterError(
                "--password-stdin: no password on standard input", details={"field": "password"}
            )
        return password
    if not sys.stdin.isatty():
        raise InvalidParameterError(
            "no terminal to ask for the password: pipe it with --password-stdin",
            details={"field": "password"},
        )
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


def _time(moment: datetime | None, *, date_only: bool = False) -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User name (letters, digits, . _ @ -).")],
    role: RoleArgument,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Rep id the user is (required for role rep).")
    ] = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region a manager leads (default: their rep's region)."),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Add a user who can sign in to the API (asks for the password twice)."""
    from terraplan.services.users import check_password, create_user

    password = check_password(_read_password(password_stdin))
    db = app_context(ctx).database()
    user = create_user(db, username, role, password, rep_id=rep, region=region)
    scope = ", ".join(
        part for part in (f"rep {user.rep_id}" if user.rep_id else "", user.region or "") if part
    )
    stderr().print(
        f"added user {user.username} ({user.role}{', ' + scope if scope else ''})", highlight=False
    )


@users_app.command("list")
def users_list(ctx: typer.Context, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Users, their role, rep and region, and when they last signed in."""
    from terraplan.services.place_names import rep_names
    from terraplan.services.users import list_users
    from terraplan.storage.unit_of_work import UnitOfWork

    db = app_context(ctx).database()
    table = fmt is OutputFormat.TABLE
    users = list_users(db)
    with UnitOfWork(db) as uow:
        names = rep_names(uow, {u.rep_id for u in users if u.rep_id})
    rows = [
        {
            "user": u.username,
            "role": u.role.value,
            # the table names the rep; JSON and CSV give the id and the name
            "rep": (names.get(u.rep_id) if table else u.rep_id) if u.rep_id else None,
            "rep_name": names.get(u.rep_id) if u.rep_id else None,
            "region": u.region,
            # JSON and CSV: true/false and the ISO time (null when never)
            "active": ("yes" if u.active else "no") if table else u.active,
            "last_login": _time(u.last_login_at) if table else u.last_login_at,
        }
        for u in users
    ]
    columns = ["user", "role", "rep", "rep_name", "region", "active", "last_login"]
    if table:
        columns.remove("rep_name")
    render_rows(rows, columns=columns, fmt=fmt)


@users_app.command("set-role")
def users_set_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User name.")],
    role: RoleArgument,
    rep: Annotated[str | None, typer.Option("--rep", help="Link to this rep id.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Region (managers).")] = None,
) -> None:
    """Change a user's role (and rep link or region)."""
    from terraplan.services.users import set_role

    user = set_role(app_context(ctx).database(), username, role, rep_id=rep, region=region)
    stderr().print(f"{user.username} is now {user.role}", highlight=False)


@users_app.command("set-password")
def users_set_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Give a user a new password (asks for it twice): their sessions end."""
    from terraplan.services.users import check_password, set_password

    password = check_password(_read_password(password_stdin))
    set_password(app_context(ctx).database(), username, password)
    stderr().print(
        f"new password set for {username}; their browser sessions have ended", highlight=False
    )


@users_app.command("disable")
def users_disable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="User name.")]
) -> None:
    """Stop a user from signing in: ends their sessions; their API tokens stop working."""
    from terraplan.services.users import set_active

    user = set_active(app_context(ctx).database(), username, False)
    stderr().print(f"disabled {user.username}", highlight=False)


@users_app.command("enable")
def users_enable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="User name.")]
) -> None:
    """Let a disabled user sign in again."""
    from terraplan.services.users import set_active

    user = set_active(app_context(ctx).database(), username, True)
    stderr().print(f"enabled {user.username}", highlight=False)


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="The user the token acts as.")],
    scope: Annotated[
        str, typer.Option("--scope", help="Comma-separated: read, route, plan:write, admin.")
    ] = "read",
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="Lifetime, e.g. 90d, 12h, 4w (default: no expiry)."),
    ] = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from terraplan.domain.user import parse_scopes
    from terraplan.services.users import create_token, parse_duration

    scopes = parse_scopes(scope)
    lifetime = parse_duration(expires) if expires else None
    token, secret = create_token(app_context(ctx).database(), user, scopes, expires_in=lifetime)
    typer.echo(secret)
    until = f", expires {_time(token.expires_at)} UTC" if token.expires_at else ""
    stderr().print(
        f"token {token.id} for {token.username} ({', '.join(sorted(scopes))}{until}); "
        "store it now: it is not shown again",
        highlight=False,
    )


@tokens_app.command("list")
def tokens_list(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """API tokens: owner, scopes, state, expiry and last use (never the token itself)."""
    from terraplan.services.users import list_tokens

    now = datetime.now(UTC)
    table = fmt is OutputFormat.TABLE
    rows = [
        {
            "id": t.id,
            "user": t.username,
            # the start of the token as stored (the token itself is never kept)
            "prefix": t.prefix,
            # JSON: a list; CSV and the table: read,route
            "scopes": sorted(t.scopes) if fmt is OutputFormat.JSON else ",".join(sorted(t.scopes)),
            "state": t.state(now),
            "expires": _time(t.expires_at, date_only=True) if table else t.expires_at,
            "last_used": _time(t.last_used_at, date_only=True) if table else t.last_used_at,
        }
        for t in list_tokens(app_context(ctx).database(), user)
    ]
    # The table fits 80 columns: dates without times, and no token prefix (JSON/CSV have both).
    columns = ["id", "user", "prefix", "scopes", "state", "expires", "last_used"]
    if table:
        columns.remove("prefix")
    render_rows(rows, columns=columns, fmt=fmt)


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context, token_id: Annotated[int, typer.Argument(help="Token id (tokens list).")]
) -> None:
    """Revoke an API token: requests with it get 401 from now on."""
    from terraplan.services.users import revoke_token

    token = revoke_token(app_context(ctx).database(), token_id)
    stderr().print(f"revoked token {token.id} of {token.username}", highlight=False)
