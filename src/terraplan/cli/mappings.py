"""``terraplan mappings``: import mappings stored in the database by name, shared with the API
(``POST /imports/{kind}?mapping=NAME``) and used by ``terraplan import --mapping-name NAME``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from terraplan.cli.console import OutputFormat, render_json, render_rows, stdout
from terraplan.cli.context import app_context
from terraplan.errors import DataError

mappings_app = typer.Typer(
    help="Import mappings stored by name (for the API and --mapping-name).", no_args_is_help=True
)

FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, json or csv")]
NameArgument = Annotated[str, typer.Argument(help="The mapping's name.")]


def register(app: typer.Typer) -> None:
    app.add_typer(mappings_app, name="mappings")


@mappings_app.command("save")
def save_command(
    ctx: typer.Context,
    name: NameArgument,
    file: Annotated[
        Path, typer.Argument(help="A mapping file (YAML or JSON), as --mapping takes.")
    ],
) -> None:
    """Store FILE as mapping NAME (replacing one of that name), checked as --mapping checks it."""
    from terraplan.rules.document import MAX_DOCUMENT_BYTES
    from terraplan.services.import_mappings import check_name, save_mapping

    check_name(name)
    try:
        if file.stat().st_size > MAX_DOCUMENT_BYTES:
            raise ValueError(f"more than {MAX_DOCUMENT_BYTES:,} bytes")
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc)[:200]
        raise DataError(
            f"{file}: cannot read the column mapping ({reason})",
            details={"file": str(file), "reason": reason},
        ) from None
    db = app_context(ctx).database()
    as_json = file.suffix.lower() == ".json"
    _, created = save_mapping(db, name, text, as_json=as_json, by="cli", source=str(file))
    stdout().print(f"{'Saved' if created else 'Replaced'} the import mapping {name!r}.")


@mappings_app.command("list")
def list_command(ctx: typer.Context, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """The stored import mappings: name, when and by whom saved last."""
    from terraplan.services.import_mappings import list_mappings

    rows = [
        {"name": m.name, "updated_at": m.updated_at.isoformat(), "updated_by": m.updated_by}
        for m in list_mappings(app_context(ctx).database())
    ]
    render_rows(rows, columns=["name", "updated_at", "updated_by"], fmt=fmt)


@mappings_app.command("show")
def show_command(
    ctx: typer.Context,
    name: NameArgument,
    as_json: Annotated[
        bool, typer.Option("--json", help="The mapping with its name, content and who saved it.")
    ] = False,
) -> None:
    """Print mapping NAME as it was saved (a file `mappings save` takes back)."""
    from terraplan.services.import_mappings import get_mapping, mapping_parts

    found = get_mapping(app_context(ctx).database(), name)
    if as_json:
        render_json(
            {
                "name": found.name,
                "updated_at": found.updated_at.isoformat(),
                "updated_by": found.updated_by,
                "text": found.text,
                "content": mapping_parts(found.content),
            }
        )
        return
    typer.echo(found.text, nl=not found.text.endswith("\n"))


@mappings_app.command("delete")
def delete_command(ctx: typer.Context, name: NameArgument) -> None:
    """Delete mapping NAME."""
    from terraplan.services.import_mappings import delete_mapping

    delete_mapping(app_context(ctx).database(), name, by="cli")
    stdout().print(f"Deleted the import mapping {name!r}.")
