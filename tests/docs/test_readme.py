"""The README is checked against the code it documents."""

from __future__ import annotations

import functools
import os
import re
import runpy
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_kpi_table_is_generated_from_the_registry() -> None:
    generated = runpy.run_path(str(ROOT / "scripts" / "kpi_docs.py"))["kpi_table"]()
    match = re.search(r"<!-- kpi-table:start -->\n(.*?)\n<!-- kpi-table:end -->", README, re.S)
    assert match is not None
    assert match.group(1) == generated


def test_the_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in README and "make test" in ci
    assert "make demo" in README


def _documented_command_lines() -> list[str]:
    """Every ``terraplan ...`` line of the README's shell blocks, and inline ``terraplan ...``."""
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", README, re.S))
    lines = [line.split(" # ")[0] for line in re.findall(r"^terraplan .*$", shell, re.M)]
    lines += re.findall(r"`(terraplan [^`]+)`", README)
    return [line.strip() for line in lines]


def _resolve(line: str) -> list[str]:
    """Problems with one documented command line: unknown subcommands or options."""
    return _walk(line)[1]


@functools.cache
def _cli() -> Any:
    import typer

    from terraplan.cli.main import _register, app

    _register()
    return typer.main.get_command(app)  # typer's own (vendored) click objects


def _walk(line: str) -> tuple[list[str], list[str]]:
    """The command path of ``line`` and its problems."""
    command = _cli()
    tokens = shlex.split(line.replace("[", " ").replace("]", " "))[1:]
    problems: list[str] = []
    path = ["terraplan"]
    while tokens:
        token = tokens.pop(0)
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            params = {opt: p for p in command.params for opt in (*p.opts, *p.secondary_opts)}
            if name == "--help":
                continue
            if name not in params:
                problems.append(f"{' '.join(path)}: no option {name}")
                continue
            takes_value = not params[name].is_flag and not getattr(params[name], "count", False)
            if takes_value and "=" not in token and tokens and not tokens[0].startswith("-"):
                tokens.pop(0)  # the option's value
        elif hasattr(command, "commands") and token in command.commands:
            command = command.commands[token]
            path.append(token)
        elif hasattr(command, "commands"):
            problems.append(f"{' '.join(path)}: no command {token!r}")
            break
    if hasattr(command, "commands") and not problems:
        problems.append(f"{line!r} names no command")
    return path, problems


def test_every_documented_command_and_option_exists() -> None:
    lines = _documented_command_lines()
    assert len(lines) > 30, "README documents too few commands"
    problems = [p for line in lines for p in _resolve(line)]
    assert not problems, problems


def test_the_command_check_finds_what_does_not_exist() -> None:
    assert _resolve("terraplan design --units counties --no-such-option 3")
    assert _resolve("terraplan rules frobnicate --plan P001")
    assert _resolve("terraplan web")
    assert not _resolve("terraplan rules check rules.yaml [--plan P001]")
    assert not _resolve("terraplan status [-f json]")


def test_the_main_help_lists_the_documented_commands() -> None:
    documented = {_walk(line)[0][1] for line in _documented_command_lines()}
    result = subprocess.run(
        [sys.executable, "-m", "terraplan", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    listed = set(re.findall(r"│ ([a-z][a-z-]*) ", result.stdout))
    assert documented <= listed, documented - listed


def test_the_license_file_is_the_one_pyproject_names() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text  # the full text, not a notice


def test_every_runtime_dependency_is_used_by_the_package() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    source = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "src" / "terraplan").rglob("*.py")
    )
    from importlib.metadata import packages_distributions

    provides: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            provides.setdefault(re.sub(r"[-_.]+", "-", dist).lower(), set()).add(module)
    unused = []
    for requirement in project["dependencies"]:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()
        modules = provides.get(re.sub(r"[-_.]+", "-", name), {name.replace("-", "_")})
        if not any(
            re.search(
                rf"^\s*(?:import|from) {module}\b|(?:files|import_module)\([\"']{module}\b",
                source,
                re.M,
            )
            for module in modules
        ):
            unused.append(name)
    assert not unused, f"runtime dependencies nothing in src/ imports: {unused}"
