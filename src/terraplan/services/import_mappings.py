"""Import mappings kept in the database by name: the same YAML/JSON as a ``--mapping`` file,
checked by the same reader (:func:`terraplan.io.mapping.parse_mapping`), so that an import
sent to ``POST /imports/{kind}?mapping=NAME`` (or ``terraplan import --mapping-name NAME``)
reads its columns, values, ``dates`` and ``time_zone`` as the CLI does with the file.
Every change is written to the audit log (who, when, the text before and after)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from terraplan.errors import InvalidParameterError, NotFoundError
from terraplan.io.mapping import parse_mapping, split_mapping
from terraplan.io.named_mapping import NamedMapping
from terraplan.storage.database import Database
from terraplan.storage.import_mappings import ImportMappings, StoredMapping
from terraplan.storage.unit_of_work import UnitOfWork

#: A mapping's name: letters, digits, ``-``, ``_`` and ``.``, up to 100, starting alike.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
#: The audit log's object kind for a stored mapping.
AUDIT_KIND = "import_mapping"


def check_name(name: str, field: str = "name") -> str:
    if not re.fullmatch(NAME_PATTERN, name):
        raise InvalidParameterError(
            f"mapping name {name[:120]!r} is not valid: use up to 100 letters, digits, '-',"
            " '_' or '.', starting with a letter or digit",
            details={"field": field, "value": name[:120]},
        )
    return name


def _missing(name: str) -> NotFoundError:
    return NotFoundError(
        f"no stored import mapping named {name!r} (see `terraplan mappings list`"
        " or GET /import-mappings)",
        details={"mapping": name},
    )


def save_mapping(
    db: Database,
    name: str,
    text: str,
    *,
    as_json: bool = False,
    by: str | None,
    source: str | None = None,
) -> tuple[StoredMapping, bool]:
    """Create or replace mapping ``name`` from its ``text``; the stored mapping and whether
    it is new. Bad text raises :class:`DataError` naming ``source`` (default: the mapping),
    the line, column and why."""
    check_name(name)
    content = parse_mapping(text, source or f"mapping {name!r}", as_json=as_json)
    with UnitOfWork(db) as uow:
        stored = ImportMappings(uow.session)
        before = stored.get(name)
        saved = stored.save(name, text, content, by=by)
        uow.audit.record(
            "mapping_created" if before is None else "mapping_replaced",
            AUDIT_KIND,
            name,
            actor=by,
            before=None if before is None else {"text": before.text},
            after={"text": text},
        )
        uow.commit()
    return saved, before is None


def mapping_parts(content: Mapping[str, Any]) -> dict[str, Any]:
    """A stored mapping's content in one shape, whichever form it was written in:
    ``columns``, ``values`` and the ``dates`` and ``time_zone`` settings (None when unset)."""
    columns, values = split_mapping(content)
    settings = {
        key: content[key] if key in content and key not in columns else None
        for key in ("dates", "time_zone")
    }
    return {"columns": columns, "values": values, **settings}


def get_mapping(db: Database, name: str) -> StoredMapping:
    """The stored mapping ``name``; :class:`NotFoundError` naming it when there is none."""
    with UnitOfWork(db) as uow:
        found = ImportMappings(uow.session).get(name)
    if found is None:
        raise _missing(name)
    return found


def mapping_content(db: Database, name: str) -> dict[str, Any]:
    """What an import applies for the stored mapping ``name``."""
    return get_mapping(db, name).content


def stored_mapping(db: Database, name: str) -> NamedMapping:
    """The stored mapping ``name`` as an import applies it, named in its messages."""
    check_name(name, "--mapping-name")
    return NamedMapping(mapping_content(db, name), f"mapping {name!r}")


def job_mapping(parameters: Mapping[str, Any]) -> Any:
    """The mapping an import job applies: the stored one it was sent with (read when the job
    was submitted, named in its messages), else ``parameters["mapping"]`` as given."""
    name = parameters.get("mapping_name")
    content = parameters.get("mapping")
    if name and isinstance(content, Mapping):
        return NamedMapping(content, f"mapping {name!r}")
    return content


def list_mappings(db: Database) -> list[StoredMapping]:
    with UnitOfWork(db) as uow:
        return ImportMappings(uow.session).list()


def delete_mapping(db: Database, name: str, *, by: str | None) -> None:
    """Delete mapping ``name`` (:class:`NotFoundError` when there is none), logged."""
    with UnitOfWork(db) as uow:
        stored = ImportMappings(uow.session)
        before = stored.get(name)
        if before is None:
            raise _missing(name)
        stored.delete(name)
        uow.audit.record(
            "mapping_deleted", AUDIT_KIND, name, actor=by, before={"text": before.text}
        )
        uow.commit()
