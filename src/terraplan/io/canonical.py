"""The canonical frame of a kind: the polars type of each field and the accepted rows' shape.

See :mod:`terraplan.io.validation` for the frame's columns and types.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from terraplan.io.checker import RAW
from terraplan.io.schema import KindSpec, kind_spec

#: Field type of :mod:`terraplan.io.schema` -> polars type of its canonical column.
DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "enum": pl.String(),
    "json": pl.String(),
    "float": pl.Float64(),
    "int": pl.Int64(),
    "date": pl.Date(),
    "bool": pl.Boolean(),
    "list": pl.List(pl.String()),
}


def empty_frame(kind: str, attributes: Mapping[str, pl.DataType] | None = None) -> pl.DataFrame:
    """A zero-row canonical frame of ``kind``."""
    return pl.DataFrame(schema=canonical_schema(kind, attributes))


def canonical_schema(
    kind: str, attributes: Mapping[str, pl.DataType] | None = None
) -> dict[str, pl.DataType]:
    """Column name -> polars type of the canonical frame of ``kind``."""
    schema: dict[str, pl.DataType] = {}
    for spec in kind_spec(kind).fields:
        if not spec.in_frame:
            continue
        if spec.type == "attributes":
            schema[spec.name] = pl.Struct(dict(attributes or {}))
        else:
            schema[spec.name] = DTYPES[spec.type]
    return schema


def canonical_frame(accepted: pl.DataFrame, spec: KindSpec) -> pl.DataFrame:
    """The accepted rows of ``ctx`` as the canonical frame (custom attributes in one struct)."""
    columns: list[pl.Expr] = []
    for field in spec.fields:
        if not field.in_frame:
            continue
        if field.type == "attributes":
            names = [
                c for c in accepted.columns if c.startswith("attributes.") and not c.endswith(RAW)
            ]
            if names:
                columns.append(
                    pl.struct([pl.col(c).alias(c[len("attributes.") :]) for c in names]).alias(
                        "attributes"
                    )
                )
            else:
                columns.append(pl.lit(None, dtype=pl.Struct({})).alias("attributes"))
        else:
            columns.append(pl.col(field.name).cast(DTYPES[field.type]))
    return accepted.select(columns)
