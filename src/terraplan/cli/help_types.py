"""What ``--help`` shows after each option: the kind of value it takes, in plain words.

Typer shows Python's type names (``<str>``, ``<list[str]>``, ``<float>``) and ``<bool>``
after a flag, which takes no value (``--contiguous true`` is then refused as an extra
argument). Each option's shown type is rewritten once, on the command tree Typer builds.
"""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperOption

#: Python's type names as a user reads them.
_WORDS = {"str": "text", "int": "integer", "float": "number", "path": "file"}


def plain_value_kinds(command: Any) -> Any:
    """Set a plain ``metavar`` on every option of ``command`` and its sub-commands (not
    on options that set their own); returns ``command``."""
    context = typer.Context(command)
    for param in [*command.params, command.get_help_option(context)]:
        if not isinstance(param, TyperOption) or param.metavar is not None:
            continue
        if param.is_flag:
            param.metavar = ""  # a flag takes no value
            continue
        shown = getattr(param, "display_type", None)  # Typer before 0.2x showed words itself
        if shown is not None:
            param.metavar = _plain(shown(context))
    for sub in getattr(command, "commands", {}).values():
        plain_value_kinds(sub)
    return command


def _plain(kind: str) -> str:
    """``<list[str]>`` -> ``<text>`` (the help says when an option repeats), ``<int
    range>`` -> ``<integer>`` (the range is shown beside it), ``<float>`` -> ``<number>``."""
    inner = kind.strip("<>")
    inner = re.sub(r"^list\[(.*)\]$", r"\1", inner)
    inner = re.sub(r" range$", "", inner)
    return f"<{_WORDS.get(inner, inner)}>"
