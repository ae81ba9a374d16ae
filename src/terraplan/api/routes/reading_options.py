"""How ``POST /imports/{kind}`` reads the file: a stored mapping, the CSV encoding and the
XLSX sheet, checked before the body is read (as the CLI's ``--mapping``, ``--encoding`` and
``--sheet``)."""

from __future__ import annotations

import codecs
from typing import Any

from terraplan.errors import InvalidParameterError
from terraplan.services.import_mappings import check_name, mapping_content
from terraplan.storage.database import Database


def file_options(
    db: Database, format: str, mapping: str | None, encoding: str | None, sheet: str | None
) -> dict[str, Any]:
    """The job parameters for ``mapping``, ``encoding`` and ``sheet``: 422 naming a parameter
    that does not fit the file's format or an unknown encoding, 404 naming an unknown mapping."""
    options: dict[str, Any] = {}
    if encoding is not None:
        if format != "csv":
            raise InvalidParameterError(
                f"encoding applies to CSV files, not to format={format}",
                details={"field": "encoding"},
            )
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidParameterError(
                f"encoding {encoding!r} is not an encoding Python knows (e.g. utf-8, cp1252,"
                " latin-1, utf-16)",
                details={"field": "encoding", "value": encoding},
            ) from None
        options["encoding"] = encoding
    if sheet is not None:
        if format != "xlsx":
            raise InvalidParameterError(
                f"sheet applies to XLSX files, not to format={format}",
                details={"field": "sheet"},
            )
        options["sheet"] = sheet
    if mapping is not None:
        check_name(mapping, "mapping")
        options["mapping"] = mapping_content(db, mapping)
        options["mapping_name"] = mapping
    return options
