"""A YAML syntax error in words: where it is (line, column) and one sentence on what is wrong.

PyYAML's own message is a parser dump (``while parsing a flow sequence in "<unicode string>",
line 3, column 10: ... ^ expected ',' or ']', but got '<stream end>'``). :func:`yaml_problem`
reads the common cases — a list or mapping opened with ``[`` or ``{`` and not closed, a quote
not closed, an indentation that does not line up, a ``:`` inside a value, a tab, an alias
without its anchor — and places the error where the fix goes: an unclosed bracket or quote at
the line that opens it, not at the end of the text where the parser gave up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_FOUND_CHARACTER = re.compile(r"found character '(.+)' that cannot start any token")
_ALIAS = re.compile(r"found undefined alias '(.*)'")
_ANCHOR = re.compile(r"found duplicate anchor '(.*)'")


@dataclass(frozen=True, slots=True)
class YamlProblem:
    """1-based ``line`` and ``column`` (None when the parser gave no place) and ``words``."""

    line: int | None
    column: int | None
    words: str


def _mark(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return int(mark.line) + 1, int(mark.column) + 1


def _opening(text: str, line: int | None, column: int | None) -> str:
    """The character at (line, column) of ``text`` (the quote that opens a text)."""
    if line is None or column is None:
        return '"'
    lines = text.splitlines()
    if 0 < line <= len(lines) and 0 < column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return '"'


def yaml_problem(exc: Exception, text: str = "") -> YamlProblem:
    """``exc`` (a ``yaml.YAMLError``) in words, at the place to fix."""
    context = " ".join(str(getattr(exc, "context", None) or "").split())
    problem = " ".join(str(getattr(exc, "problem", None) or "").split())
    at = _mark(getattr(exc, "problem_mark", None))
    opened = _mark(getattr(exc, "context_mark", None))
    if context.startswith("while parsing a flow sequence"):
        return YamlProblem(
            *opened,
            "a list opened with [ is not closed: end it with ] (and put a comma between its items)",
        )
    if context.startswith("while parsing a flow mapping"):
        return YamlProblem(
            *opened,
            "a mapping opened with { is not closed: end it with } "
            "(and put a comma between its entries)",
        )
    if context.startswith("while scanning a quoted scalar"):
        quote = _opening(text, *opened)
        return YamlProblem(
            *opened, f"a text opened with {quote} is not closed: end it with {quote}"
        )
    if problem.startswith("expected <block end>") and "block" in context:
        return YamlProblem(
            *at,
            "this is not indented like the lines above it: YAML nests by indentation, so line "
            "up the keys of one mapping, and the '- ' items of one list, in the same column",
        )
    if problem == "mapping values are not allowed here":
        return YamlProblem(
            *at,
            "a ':' is not allowed here: put quotes around a value that holds ': ', and check "
            "that the key before it is on a row of its own",
        )
    found = _FOUND_CHARACTER.fullmatch(problem)
    if found and found.group(1) == "\\t":
        return YamlProblem(*at, "a tab is used here: YAML indents with spaces, not tabs")
    if found:
        return YamlProblem(
            *at, f"a value cannot start with {found.group(1)}: put the value in quotes"
        )
    alias = _ALIAS.fullmatch(problem)
    if alias:
        name = alias.group(1)
        return YamlProblem(*at, f"*{name} refers to no anchor &{name} defined before it")
    anchor = _ANCHOR.match(context)
    if anchor:
        return YamlProblem(*at, f"the anchor &{anchor.group(1)} is defined a second time here")
    words = problem or context or "the text is not valid YAML"
    if problem and context:
        words = f"{problem} ({context})"
    return YamlProblem(*(at if at[0] is not None else opened), words)
