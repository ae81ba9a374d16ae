"""Write records of any kind to CSV, XLSX or Parquet, chosen by the file extension.

Files are written flat, the way the importers read them back: one column per canonical
field, custom attributes as extra columns under their own names (``attributes.<name>`` when
a name collides with a field), tuple fields and ``neighbours`` as ``;``-joined text,
``polygon`` as GeoJSON text, dates as ISO ``YYYY-MM-DD``, booleans as ``true``/``false``.
CSV files are UTF-8 without a byte-order mark, comma-separated.

Spreadsheet safety (formula injection): a text cell that a spreadsheet would run as a formula
(it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is neutralised. In
CSV it gets a leading apostrophe (``'=HYPERLINK(...)``), the usual spreadsheet marker for
"text"; in XLSX every cell is written as a value, text as a text cell (with Excel's quote
prefix when it looks like a formula), so the original text shows and nothing runs. Parquet
keeps values as they are. Files are written atomically and never through a symbolic link
(see :mod:`terraplan.io.outputs`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl
import pyarrow as pa

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.outputs import (
    CSV_QUOTE_PATTERN,
    FORMULA_PREFIXES,
    atomic_output,
    looks_like_formula,
)
from terraplan.io.records import records_to_frame

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}


def _neutralise_csv_frame(frame: pl.DataFrame) -> pl.DataFrame:
    pattern = CSV_QUOTE_PATTERN
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


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
    overwrite: bool = True,
    figures: bool = False,
) -> Path:
    """Write ``data`` to ``path``; the format follows the extension (.csv, .xlsx, .parquet).

    ``figures``: the floats are computed figures (KPIs, comparisons), which a CSV carries to
    12 significant digits as the CLI's stdout does; records (an export to import again) keep
    every digit.

    ``data`` is a polars frame or Arrow table (canonical or not), or an iterable of record
    dicts or domain objects (``kind`` needed for dicts). Returns ``path``. The write is
    atomic; with ``overwrite=False`` an existing ``path`` raises :class:`ConflictError`.
    Raises :class:`DataError` when the data cannot be written in the format and
    :class:`InvalidParameterError` when the path cannot be written.
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

    if figures and fmt == "csv":
        flat = _exact_figures(flat)
    with atomic_output(path, overwrite=overwrite) as temporary:
        _write(flat, fmt, temporary, path, sheet_name, IllegalCharacterError)
    return path


def _write(
    flat: pl.DataFrame,
    fmt: str,
    temporary: Path,
    path: Path,
    sheet_name: str,
    illegal: type[Exception],
) -> None:
    try:
        if fmt == "csv":
            _neutralise_csv_frame(flat).write_csv(temporary)
        elif fmt == "parquet":
            flat.write_parquet(temporary)
        else:
            _write_xlsx(flat, temporary, sheet_name)
    except (ValueError, illegal) as exc:
        raise DataError(
            f"{path}: cannot write the file ({exc})",
            details={"file": str(path), "reason": str(exc)},
        ) from None


def _exact_figures(frame: pl.DataFrame) -> pl.DataFrame:
    """Float columns to 12 significant digits, as the CLI's CSV on stdout and JSON carry them
    (:func:`terraplan.domain.amounts.exact_figure`): a file gave ``5838267.680000001`` where
    stdout gave ``5838267.68``."""
    from terraplan.domain.amounts import exact_figure

    floats = [n for n, t in frame.schema.items() if t in (pl.Float64, pl.Float32)]
    if not floats:
        return frame
    return frame.with_columns(
        pl.col(n).map_elements(exact_figure, return_dtype=pl.Float64, skip_nulls=True)
        for n in floats
    )


_XLSX_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _check_xlsx_text(frame: pl.DataFrame) -> None:
    """Raise ``ValueError`` naming the first column whose text XLSX cannot hold."""
    for name, dtype in frame.schema.items():
        if (
            dtype == pl.String
            and frame.select(pl.col(name).str.contains(_XLSX_ILLEGAL).any()).item()
        ):
            raise ValueError(f"column {name!r} holds control characters that XLSX cannot store")


def _write_xlsx(frame: pl.DataFrame, path: Path, sheet_name: str) -> None:
    import openpyxl

    _check_xlsx_text(frame)
    from openpyxl.cell import WriteOnlyCell

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)

    def cell(value: object) -> object:
        # plain text is written as it is (a cell object per value made a 148,000-account
        # export take 108 s); only text a spreadsheet would run, or that starts with an
        # apostrophe, needs a forced text cell
        if not isinstance(value, str) or not value.startswith(("'", *FORMULA_PREFIXES)):
            return value
        if value.startswith("'") and looks_like_formula(value.lstrip("'")):
            value = f"'{value}"  # the importers take one apostrophe off such text
        written = WriteOnlyCell(sheet, value=value)
        # openpyxl reads text starting with "=" as a formula: force a text cell.
        written.data_type = "s"
        if looks_like_formula(value):
            written.quotePrefix = True
        return written

    sheet.append([cell(c) for c in frame.columns])
    for row in frame.iter_rows():
        sheet.append([cell(v) for v in row])
    book.save(path)
