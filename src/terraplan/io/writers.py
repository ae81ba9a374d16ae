"""Write records of any kind to CSV, XLSX or Parquet, chosen by the file extension.

Files are written flat, the way the importers read them back: one column per canonical
field, custom attributes as extra columns under their own names (``attributes.<name>`` when
a name collides with a field), tuple fields and ``neighbours`` as ``;``-joined text,
``polygon`` as GeoJSON text, dates as ISO ``YYYY-MM-DD``, booleans as ``true``/``false``.
CSV files are UTF-8 without a byte-order mark, comma-separated.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pyarrow as pa

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.records import records_to_frame

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}


def flatten_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with only scalar columns (see the module docstring)."""
    columns: list[pl.Expr] = []
    taken = set(frame.columns)
    for name, dtype in frame.schema.items():
        if name == "attributes" and isinstance(dtype, pl.Struct):
            for field in dtype.fields:
                out = field.name if field.name not in taken else f"attributes.{field.name}"
                columns.append(pl.col(name).struct.field(field.name).alias(out))
            continue
        if isinstance(dtype, pl.List | pl.Array):
            columns.append(pl.col(name).cast(pl.List(pl.String)).list.join(";").alias(name))
        elif isinstance(dtype, pl.Struct):
            columns.append(pl.col(name).struct.json_encode().alias(name))
        elif dtype == pl.Object:
            columns.append(pl.col(name).map_elements(str, return_dtype=pl.String).alias(name))
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def write_table(
    data: pl.DataFrame | pa.Table | Iterable[object],
    path: str | Path,
    *,
    kind: str | None = None,
    sheet_name: str = "data",
) -> Path:
    """Write ``data`` to ``path``; the format follows the extension (.csv, .xlsx, .parquet).

    ``data`` is a polars frame or Arrow table (canonical or not), or an iterable of record
    dicts or domain objects (``kind`` needed for dicts). Returns ``path``. Raises
    :class:`DataError` when the file cannot be written.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidParameterError(
            f"{path}: unsupported extension {path.suffix!r}; use .csv, .xlsx or .parquet",
            details={"parameter": "path", "value": str(path)},
        )
    if isinstance(data, pa.Table):
        frame = pl.from_arrow(data)
        assert isinstance(frame, pl.DataFrame)
    elif isinstance(data, pl.DataFrame):
        frame = data
    else:
        frame = records_to_frame(data, kind)
    flat = flatten_frame(frame)
    from openpyxl.utils.exceptions import IllegalCharacterError

    try:
        if fmt == "csv":
            flat.write_csv(path)
        elif fmt == "parquet":
            flat.write_parquet(path)
        else:
            _write_xlsx(flat, path, sheet_name)
    except (OSError, ValueError, IllegalCharacterError) as exc:
        raise DataError(
            f"{path}: cannot write the file ({exc})",
            details={"file": str(path), "reason": str(exc)},
        ) from None
    return path


def _write_xlsx(frame: pl.DataFrame, path: Path, sheet_name: str) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    sheet.append(frame.columns)
    for row in frame.iter_rows():
        sheet.append(list(row))
    book.save(path)
