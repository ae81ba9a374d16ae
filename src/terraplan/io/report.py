"""What an import found: issues per row and a report per file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]

#: Longest cell value, header or reason quoted in an issue or a message (characters).
MAX_QUOTED = 80


def short(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` cut to ``limit`` characters (with "…" and the full length when cut)."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``count`` and the noun for it: ``"1 row"``, ``"1,234 rows"``, ``"2 opportunities"``
    (``plural`` defaults to ``singular`` + "s")."""
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count:,} {noun}"


#: The singular of each record kind, for counts (``"1 opportunity"``, ``"2 geo units"``).
KIND_SINGULAR = {
    "accounts": "account",
    "leads": "lead",
    "reps": "rep",
    "geo_units": "geo unit",
    "sales_lines": "sales line",
    "opportunities": "opportunity",
    "targets": "target",
    "acquisition_costs": "acquisition cost",
    "assignments": "assignment",
}


def counted_records(count: int, kind: str) -> str:
    """``count`` records of ``kind`` in words: ``"1 account"``, ``"2 sales lines"``."""
    plural = kind.replace("_", " ")
    return counted(count, KIND_SINGULAR.get(kind, plural), plural)


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem in a file.

    ``row`` follows :mod:`terraplan.io.readers` (CSV line, XLSX sheet row, Parquet record
    index + 1) and is ``None`` for a file-level problem. ``column`` is the header as in the
    file, ``field`` our canonical field name (``attributes.<name>`` for a custom attribute).
    An ``"error"`` rejects the row; a ``"warning"`` keeps it.
    """

    file: str
    row: int | None
    column: str | None
    field: str | None
    value: str | None
    reason: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row is not None else self.file
        what = ""
        if self.column is not None:
            what = f" column {self.column!r}"
            if self.field is not None and self.field != self.column:
                what += f" ({self.field})"
        elif self.field is not None:
            what = f" field {self.field!r}"
        value = f" value {self.value!r}:" if self.value is not None else ""
        return f"{where}:{what}{value} {self.reason}"


@dataclass(slots=True)
class ImportReport:
    """The outcome of reading and validating one file.

    ``ok`` is true when no issue is an error (then ``rejected == 0`` and no file-level
    problem occurred); a caller with ``on_error="abort"`` stops when it is false, one with
    ``on_error="skip"`` stores the accepted rows.
    """

    file: str
    kind: str
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    geocoded: int = 0
    issues: list[ImportIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[ImportIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def file_errors(self) -> list[ImportIssue]:
        """Errors about the whole file (missing columns, no rows)."""
        return [i for i in self.issues if i.row is None and i.severity == "error"]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the report (issues as dicts)."""
        return {
            "file": self.file,
            "kind": self.kind,
            "ok": self.ok,
            "rows_read": self.rows_read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "geocoded": self.geocoded,
            "issues": [asdict(i) for i in self.issues],
            "warnings": list(self.warnings),
            "columns": dict(self.columns),
            "details": dict(self.details),
        }

    def summary(self, max_issues: int = 20) -> str:
        """A few lines for a person: counts, then the first ``max_issues`` issues."""
        lines = [
            f"{self.file} ({self.kind}): {counted(self.rows_read, 'row')} read,"
            f" {self.accepted:,} accepted, "
            f"{self.rejected:,} rejected, {self.geocoded:,} geocoded, "
            f"{len(self.issues)} issue(s), {len(self.warnings)} warning(s)"
        ]
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  {i.severity}: {i}" for i in self.issues[:max_issues]]
        if len(self.issues) > max_issues:
            lines.append(f"  ... and {len(self.issues) - max_issues} more issue(s)")
        return "\n".join(lines)
