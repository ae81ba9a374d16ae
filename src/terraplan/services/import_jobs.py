"""The import job: a file sent to ``POST /imports/{kind}`` (or one on the server that a job's
parameters name) imported as the CLI imports it; for an upload, its messages in the API
caller's words (the file by the name they gave, request parameters instead of CLI options)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from terraplan.errors import TerraplanError
from terraplan.services.progress import Progress
from terraplan.storage.database import Database

#: The CLI's words in import messages, and what an API caller sets instead.
_API_WORDS = (
    ("--decimal-comma or --decimal-point", "decimal=comma or decimal=point"),
    ("--on-error skip", "on_error=skip"),
    ("--currency", "currency="),
    ("--rates rates.csv with lines currency,rate", "rates=EUR:1.08,GBP:1.27"),
    ("--rates", "rates="),
    ("--sheet NAME", "sheet=NAME"),
    ("--sheet ", "sheet="),
    ("in a mapping file (--mapping)", "in a stored mapping (mapping=NAME)"),
)
#: Issues of an import a job result lists (the count says how many there are in all).
JOB_ISSUES_SHOWN = 100


def _for_the_api(text: str, path: str, shown: str) -> str:
    """An import message as an API caller reads it: the file by the name they gave (not the
    server's upload path) and the request parameters instead of the CLI's options."""
    text = text.replace(path, shown)
    for cli, api in _API_WORDS:
        text = text.replace(cli, api)
    return text


def run_import_job(
    db: Database, parameters: Mapping[str, Any], progress: Progress
) -> dict[str, Any]:
    """Import the job's file (``parameters`` as :func:`submit_job` stored them); the result
    lists the counts, the first :data:`JOB_ISSUES_SHOWN` refused rows and the warnings."""
    from pathlib import Path

    from terraplan.io.currency import Currencies
    from terraplan.services.import_mappings import job_mapping
    from terraplan.services.imports import import_file

    path = str(parameters["path"])
    uploaded = bool(parameters.get("uploaded"))
    shown = str(parameters.get("filename") or path)

    def words(text: str) -> str:
        return _for_the_api(text, path, shown) if uploaded else text

    try:
        currencies = None
        if parameters.get("currency") or parameters.get("rates"):
            currencies = Currencies.of(
                parameters.get("currency"), parameters.get("rates"), source="rates"
            )
        outcome = import_file(
            db,
            path,
            parameters["kind"],
            mapping=job_mapping(parameters),
            encoding=parameters.get("encoding"),
            sheet=parameters.get("sheet"),
            decimal=parameters.get("decimal"),
            on_error=parameters.get("on_error", "abort"),
            progress=progress,
            currencies=currencies,
            close_missing=bool(parameters.get("close_missing", False)),
            reload=bool(parameters.get("reload", False)),
        )
    except TerraplanError as exc:
        if not uploaded:
            raise
        details = _named_details(exc.details, path, shown)
        raise type(exc)(words(exc.message), details=details) from None
    finally:
        if uploaded:  # a file sent to POST /imports/{kind}: ours to remove
            Path(path).unlink(missing_ok=True)
    report = outcome.report
    absent = outcome.absent_note(parameters["kind"])
    for text in (*([absent] if absent else []), *outcome.notes):
        warnings.warn(words(text), stacklevel=1)  # the job's notes, as the CLI's notes
    issues = [
        {**asdict(i), "file": shown, "reason": words(i.reason)}
        for i in report.issues[:JOB_ISSUES_SHOWN]
    ]
    return {
        "kind": parameters["kind"],
        "written": outcome.written,
        "new": outcome.new,
        "absent": outcome.absent,
        "closed": outcome.closed,
        "reopened": outcome.reopened,
        "rows_read": report.rows_read,
        "rejected": report.rejected,
        # what the CLI prints for the same file: the rows refused and why, and the warnings
        "issues": issues,
        "issues_total": len(report.issues),
        "warnings": [words(w) for w in report.warnings],
    }


def _named_details(details: Mapping[str, Any], path: str, shown: str) -> dict[str, Any]:
    """``details`` with the upload path replaced by the caller's file name, at any depth."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(path, shown)
        if isinstance(value, Mapping):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    return dict(walk(dict(details)))
