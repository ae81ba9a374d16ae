"""Every command's help reads at 80 columns: no option's words cut with an ellipsis (Rich cuts
a word longer than the help column: `blend:history=0.6,pot…` hid the default method)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from typer.main import get_command
from typer.testing import CliRunner

from terraplan.cli.main import _register, app


def _commands(command: Any, path: list[str]) -> Iterator[list[str]]:
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])
    else:
        yield path


def test_no_help_text_is_cut_at_80_columns() -> None:
    _register()
    runner = CliRunner()
    commands = list(_commands(get_command(app), []))
    assert len(commands) > 40  # every command, not only the top group
    cut: dict[str, list[str]] = {}
    for path in commands:
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert shown.exit_code == 0, (path, shown.output)
        lines = shown.output.splitlines()
        assert max(len(line) for line in lines) <= 80, path
        if bad := [line.strip() for line in lines if "…" in line]:
            cut[" ".join(path)] = bad
    assert cut == {}
