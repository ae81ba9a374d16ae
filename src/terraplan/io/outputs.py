"""Safe output files: every file terraplan writes goes through here.

Three promises, the same for every command that writes a file:

* **no silent overwrite**: an existing path (a file, or a symbolic link even when broken) is
  refused with a :class:`ConflictError` naming it, unless the caller allows overwriting
  (``--force`` on the command line);
* **atomic**: the content is written to a temporary file in the target's own folder, then
  renamed over the target, so a reader sees the old file or the new one, never half of one,
  and a failed write leaves nothing behind;
* **links are never followed**: the rename replaces a symbolic link itself, so writing to
  ``out/report.html`` never writes to whatever the link points at, outside the folder.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from terraplan.errors import ConflictError, InvalidParameterError

__all__ = [
    "CSV_QUOTE_PATTERN",
    "FORMULA_PREFIXES",
    "atomic_output",
    "check_output",
    "looks_like_formula",
    "neutralise_csv_cell",
    "neutralise_csv_text",
    "write_bytes",
    "write_files",
    "write_text",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: object) -> bool:
    """Whether a spreadsheet would run the text ``value`` as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


#: Text that gets a leading apostrophe in CSV: a formula, or text that already starts with
#: apostrophes before one (so that the importers, which take one apostrophe off, read back
#: exactly what was written).
CSV_QUOTE_PATTERN = r"^'*[=+\-@\t\r]"


def neutralise_csv_cell(value: object) -> object:
    """``value`` with a leading apostrophe when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_PREFIXES):
        return f"'{value}"
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def neutralise_csv_text(text: str) -> str:
    """CSV ``text`` with every cell a spreadsheet would run as a formula neutralised.

    For CSV made as text (design alignments, Salesforce ETM files): cells are all text there,
    so a cell that reads as a number (``-5``, ``+1.5``) is a number and left as it is.
    """
    if not re.search(r"(^|[,\n\"])'*[=+\-@\t\r]", text):
        return text  # nothing to neutralise (the common case): the text stays byte for byte
    rows = list(csv.reader(io.StringIO(text, newline="")))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([cell if _is_number(cell) else neutralise_csv_cell(cell) for cell in row])
    return buffer.getvalue()


def check_output(path: str | Path, *, overwrite: bool = False) -> Path:
    """``path`` if a file may be written there, else raise.

    Raises :class:`ConflictError` when something exists at ``path`` and ``overwrite`` is
    false, and :class:`InvalidParameterError` when ``path`` is a folder.
    """
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        raise InvalidParameterError(
            f"{path} is a folder; give a file name",
            details={"parameter": "path", "value": str(path)},
        )
    if os.path.lexists(path) and not overwrite:
        what = "a symbolic link" if path.is_symlink() else "a file"
        raise ConflictError(
            f"{path} already exists ({what}); use --force to replace it",
            details={"file": str(path), "reason": "exists"},
        )
    return path


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _publish(temporary: Path, path: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temporary, path)  # replaces a link itself, never its target
        return
    try:
        os.link(temporary, path)  # fails if anything exists at path: no race with a check
    except FileExistsError:
        raise ConflictError(
            f"{path} already exists; use --force to replace it",
            details={"file": str(path), "reason": "exists"},
        ) from None
    except OSError as exc:
        if exc.errno not in {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}:
            raise
        check_output(path, overwrite=False)  # file system without hard links
        os.replace(temporary, path)
        return
    temporary.unlink()


@contextlib.contextmanager
def atomic_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes ``path`` in one rename.

    The temporary file sits in ``path``'s folder (created if missing) and keeps its
    suffix, so writers that choose the format by extension work. On any error it is
    removed and ``path`` is left as it was. ``OSError`` becomes
    :class:`InvalidParameterError` naming the file.
    """
    path = check_output(path, overwrite=overwrite)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}"
        )
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, _file_mode())
        yield temporary
        _publish(temporary, path, overwrite=overwrite)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _cannot_write(path: Path, exc: OSError) -> InvalidParameterError:
    reason = exc.strerror or type(exc).__name__
    blocking = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:  # mkdir says "File exists" when a parent is a file
        reason = f"{blocking} is a file, not a folder"
    return InvalidParameterError(
        f"{path}: cannot write the file ({reason})",
        details={"file": str(path), "reason": reason},
    )


def write_bytes(path: str | Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring); returns ``path``."""
    with atomic_output(path, overwrite=overwrite) as temporary:
        temporary.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically; returns ``path``."""
    return write_bytes(path, text.encode("utf-8"), overwrite=overwrite)


def write_files(
    folder: str | Path, files: Mapping[str, str | bytes], *, overwrite: bool = False
) -> list[Path]:
    """Write several files into ``folder`` (created if missing), each atomically.

    Every target is checked before the first is written, so a refusal writes nothing.
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InvalidParameterError(
            f"{folder} is a file; give a folder",
            details={"parameter": "path", "value": str(folder)},
        )
    targets = [folder / name for name in files]
    existing = [t for t in targets if os.path.lexists(t)]
    if existing and not overwrite:
        names = ", ".join(str(t) for t in existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise ConflictError(
            f"{names} already exist{'s' if len(existing) == 1 else ''}; "
            "use --force to replace them",
            details={"file": str(existing[0]), "reason": "exists"},
        )
    for target in targets:
        check_output(target, overwrite=True)
    written = []
    for target, content in zip(targets, files.values(), strict=True):
        if isinstance(content, str):
            text = neutralise_csv_text(content) if target.suffix.lower() == ".csv" else content
            data = text.encode("utf-8")
        else:
            data = content
        written.append(write_bytes(target, data, overwrite=overwrite))
    return written
