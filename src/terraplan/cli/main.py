"""The ``terraplan`` command: a Typer app whose commands live in sibling modules."""

from __future__ import annotations

import contextlib
import functools
import logging
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from terraplan import __version__
from terraplan.cli.console import NoteHandler, reset_notes, show_warning, stderr
from terraplan.cli.context import AppContext
from terraplan.cli.help_types import plain_value_kinds
from terraplan.errors import (
    EXIT_CODES,
    ConflictError,
    DataError,
    InvalidParameterError,
    StorageError,
    TerraplanError,
)

if TYPE_CHECKING:
    from terraplan.config import Settings

app = typer.Typer(
    name="terraplan",
    help="Sales territory planning: import CRM data, design territories, assign owners, set targets, monitor.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"terraplan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="TERRAPLAN_DATABASE_URL",
            help="SQLite file URL or postgresql://...",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """terraplan — sales territory planning and management."""
    from terraplan.config import get_settings

    overrides: dict[str, object] = {"database_url": database_url} if database_url else {}
    settings = _settings(get_settings, overrides)
    level = (
        logging.DEBUG if debug else getattr(logging, settings.log_level.upper(), logging.WARNING)
    )
    # force: a second run in one process (a notebook, a test) sets up its own handler
    if debug or level < logging.WARNING:
        logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", force=True)
    else:  # warnings and errors as plain notes, each fact once (see console.note)
        logging.basicConfig(level=level, handlers=[NoteHandler()], force=True)
    context = AppContext(settings=settings, debug=debug)
    ctx.obj = context
    ctx.call_on_close(context.close)


def _settings(read: Callable[..., Settings], overrides: dict[str, object]) -> Settings:
    """The settings, a bad ``TERRAPLAN_*`` value told by its variable's name."""
    from pydantic import ValidationError

    try:
        return read(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "TERRAPLAN_" + "_".join(str(part) for part in error["loc"]).upper()
        raise InvalidParameterError(
            f"{name}: {error['msg']} (got {error.get('input')!r})", details={"field": name}
        ) from None


@functools.cache  # once per process: a second run must not add every command again
def _register() -> None:
    """Add the sub-commands to ``app``."""
    from terraplan.cli import (
        crm,
        db,
        demo,
        design,
        kpis,
        mappings,
        monitor,
        owner_history,
        plans,
        records,
        reps,
        rules,
        serve,
        status,
        targets,
        users,
    )

    db.register(app)
    status.register(app)
    records.register(app)
    mappings.register(app)
    demo.register(app)
    design.register(app)
    reps.register(app)
    targets.register(app)
    rules.register(app)
    kpis.register(app)
    monitor.register(app)
    plans.register(app)
    owner_history.register(app)
    users.register(app)
    crm.register(app)
    serve.register(app)


def _file_problem(exc: OSError | UnicodeDecodeError) -> str:
    """A plain sentence for an unreadable input file."""
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"cannot read the file as text ({exc.encoding} fails at byte {exc.start}); "
            "is it a binary file?"
        )
    where = f"{exc.filename}: " if exc.filename else ""
    if isinstance(exc, FileNotFoundError):
        return f"{where}no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{where}is a folder, not a file"
    if isinstance(exc, PermissionError):
        return f"{where}permission denied"
    return f"{where}cannot read or write ({exc.strerror or type(exc).__name__})"


def _lost_a_race(exc: BaseException) -> bool:
    """A database integrity error: the write collided with another one (sqlalchemy is not
    imported here, so that ``--help`` stays light)."""
    if type(exc).__name__ != "IntegrityError" or not type(exc).__module__.startswith("sqlalchemy"):
        return False
    from terraplan.storage.database import is_unique_violation

    return is_unique_violation(exc)


def _unreadable_database(exc: BaseException) -> str | None:
    """What SQLite says of a database file it cannot read at all (``file is not a database``,
    ``database disk image is malformed``), or None for any other error."""
    if type(exc).__name__ != "DatabaseError" or not type(exc).__module__.startswith("sqlalchemy"):
        return None
    import sqlite3

    original = getattr(exc, "orig", None)
    return str(original) if type(original) is sqlite3.DatabaseError else None


def _discard_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's last flush finds no closed pipe."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _end_quietly_on_a_closed_pipe() -> None:
    """Rich ends the program with exit code 1 (our "bug" code) when the reader of its output
    goes away (``terraplan kpis --help | head``); its documented hook, ``on_broken_pipe``, is
    set for every console (ours and Typer's help) to end with 0 instead."""
    from rich.console import Console

    def reader_gone(console: Console) -> None:
        console.quiet = True
        _discard_stdout()
        raise SystemExit(0)

    Console.on_broken_pipe = reader_gone  # type: ignore[method-assign,assignment]


def _replace_what_the_encoding_lacks() -> None:
    """On an output that is not UTF-8 (``PYTHONIOENCODING=ascii``, a Latin-1 locale, a Windows
    code page), a character it cannot hold prints as ``?`` instead of ending the command with
    a UnicodeEncodeError after its work is done (JSON output is ASCII and loses nothing)."""
    import codecs

    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "utf-8"
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and codecs.lookup(encoding).name != "utf-8":
            with contextlib.suppress(ValueError, OSError):  # closed or detached
                reconfigure(errors="replace")


def run() -> None:
    """Entry point: map terraplan errors to ``Error: ...`` and an exit code (traceback only with --debug)."""
    _register()
    _replace_what_the_encoding_lacks()
    _end_quietly_on_a_closed_pipe()
    reset_notes()  # each run says each fact once, a second run in one process too
    debug = "--debug" in sys.argv
    if not debug:
        warnings.showwarning = show_warning
    try:
        # Outside standalone mode click returns the code of a typer.Exit instead of exiting:
        # a command's own exit code (3 for an audit that found gaps) must reach the shell.
        code = plain_value_kinds(typer.main.get_command(app))(standalone_mode=False)
        sys.stdout.flush()  # a reader that went away (``| head``) is seen here, not at exit
        if isinstance(code, int) and code != 0:
            sys.exit(code)
    except BrokenPipeError:
        # The reader of the output stopped early (``terraplan ... | head``): not an error.
        _discard_stdout()
        sys.exit(0)
    except TerraplanError as exc:
        if debug:
            raise
        # emoji=False: a value such as "population:x:3M" must not print as an emoji
        stderr().print(
            f"[red]Error:[/red] {escape(exc.message)}", highlight=False, emoji=False, markup=True
        )
        sys.exit(EXIT_CODES.get(exc.code, 1))
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        stderr().print("Aborted.")
        sys.exit(130)
    except KeyboardInterrupt:
        stderr().print("Interrupted; nothing was written by the interrupted step.")
        sys.exit(130)
    except (OSError, UnicodeDecodeError) as exc:
        # A file the user named cannot be read: bad input (exit 3), never "unexpected".
        if debug:
            raise
        stderr().print(
            f"[red]Error:[/red] {escape(_file_problem(exc))}", highlight=False, markup=True
        )
        sys.exit(EXIT_CODES[DataError.code])
    except Exception as exc:
        # Usage errors of the (vendored) click carry their own message and exit code.
        exit_code = getattr(exc, "exit_code", None)
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(exit_code, int):
            show()
            sys.exit(exit_code)
        if debug:
            raise
        if (unreadable := _unreadable_database(exc)) is not None:
            # a file that is not a SQLite database (a typo in the URL, a damaged copy)
            stderr().print(
                f"[red]Error:[/red] the database cannot be read: {escape(unreadable)} "
                "(check TERRAPLAN_DATABASE_URL or --database-url)",
                highlight=False,
                markup=True,
            )
            sys.exit(EXIT_CODES[StorageError.code])
        if _lost_a_race(exc):
            # Another writer (a server, a colleague's command) saved the same record meanwhile.
            stderr().print(
                "[red]Error:[/red] someone else saved a change at the same moment; try again",
                highlight=False,
                markup=True,
            )
            sys.exit(EXIT_CODES[ConflictError.code])
        stderr().print(
            f"[red]Error:[/red] unexpected {type(exc).__name__}: {escape(str(exc))} "
            "(run with --debug for the traceback)",
            highlight=False,
            markup=True,
        )
        sys.exit(1)
