"""Regular expressions of ``regex`` conditions, run by RE2 (``google-re2``): linear time.

A backtracking engine (Python's ``re``) takes exponential time on patterns such as
``(a+)+$`` against ``aaaa…a!``; RE2 guarantees time linear in the text for every pattern it
accepts. Both evaluators (the per-record :func:`terraplan.rules.route` and the table path
:func:`terraplan.rules.assign_batch`) call :func:`regex_search`, so they agree by
construction. Patterns RE2 cannot run (back-references, look-arounds) and the non-portable
forms that warehouse SQL engines read differently are refused when the rule set is loaded,
with the rule's path (:func:`regex_problem`).

Semantics: a *search* (the pattern may match anywhere; anchor with ``^``/``$``); Perl classes
``\\d \\w \\s`` are ASCII; case-insensitive matching uses RE2's Unicode case folding.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Protocol

#: Longest accepted pattern, in characters.
MAX_PATTERN_LENGTH = 1000
#: Memory RE2 may use to compile one pattern (bytes); bigger programs are refused.
MAX_PROGRAM_MEMORY = 8 << 20

_NOT_PORTABLE = re.compile(r"\\[1-9]|\\Z|\(\?[=!<]|\(\?P|\(\?#")


class _Pattern(Protocol):
    def search(self, text: str) -> Any: ...


def shorten(value: object, limit: int = 60) -> str:
    """``repr``-like text of ``value`` cut to ``limit`` characters (for error messages)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _options(case_sensitive: bool) -> Any:
    import re2

    options = re2.Options()
    options.case_sensitive = case_sensitive
    options.max_mem = MAX_PROGRAM_MEMORY
    options.log_errors = False
    return options


@lru_cache(maxsize=1024)
def compile_regex(pattern: str, case_sensitive: bool) -> _Pattern:
    """The compiled RE2 program (cached). Raises ``ValueError`` when RE2 refuses it."""
    import re2

    try:
        compiled: _Pattern = re2.compile(pattern, _options(case_sensitive))
    except re2.error as exc:
        detail = exc.args[0] if exc.args else b""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", errors="replace")
        raise ValueError(str(detail) or "RE2 cannot compile it") from None
    return compiled


def regex_problem(pattern: str) -> str | None:
    """Why ``pattern`` is refused, or None when RE2 runs it and SQL engines read it alike."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return (
            f"the pattern has {len(pattern):,} characters; at most {MAX_PATTERN_LENGTH:,} "
            "are allowed"
        )
    if _NOT_PORTABLE.search(pattern):
        return (
            "back-references, look-arounds, named groups, comments and \\Z are not portable "
            "(patterns run on RE2, which guarantees linear time, and in warehouse SQL)"
        )
    for case_sensitive in (True, False):
        try:
            compile_regex(pattern, case_sensitive)
        except ValueError as exc:
            return f"bad regular expression: {shorten(str(exc), 120)}"
    return None


def regex_search(pattern: str, case_sensitive: bool, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (time linear in ``len(text)``)."""
    return compile_regex(pattern, case_sensitive).search(text) is not None
