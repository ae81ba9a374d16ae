"""Groupings for KPIs: accounts to territories, the hierarchy, reps, segments and industries.

Measures are first summed per ``(territory_id, segment, industry, ...)`` and then rolled up to
each dimension by :func:`rollup`; a region (any inner node of the hierarchy) sums its leaves and a
rep sums the leaf territories they own (``territories.owner_id``) or, in a territory with several
primary reps, the accounts they hold there (``holder_id``).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from terraplan.planning.exact_sums import exact_sum
from terraplan.planning.kpi_inputs import KpiInputs, optional_columns
from terraplan.planning.kpi_registry import DIMENSIONS, missing_group

ATTRIBUTE_COLUMNS = ("segment", "industry")


def account_table(inputs: KpiInputs) -> pl.LazyFrame:
    """One row per account known to ``accounts`` or ``alignment``.

    Columns: account_id (String), territory_id (String), segment, industry, owner_id (String),
    potential, workload (Float64; null when unknown), holder_id (String: the rep holding the
    account in a territory with several primary reps; null = the territory's owner).
    """
    return _with_holder(_accounts(inputs), inputs.frame("shared_owners"))


def open_account_table(inputs: KpiInputs) -> pl.LazyFrame:
    """:func:`account_table` less the closed accounts (``accounts.closed_on`` set): what a
    territory holds now, for balance, capacity and priorities (closed accounts keep their
    history in the KPIs of periods)."""
    table = account_table(inputs)
    closed = closed_accounts(inputs)
    return table if closed is None else table.join(closed, on="account_id", how="anti")


def closed_accounts(inputs: KpiInputs) -> pl.LazyFrame | None:
    """``account_id`` (String), ``closed_on`` (Date) of the closed accounts, or None when the
    accounts carry no ``closed_on`` column."""
    accounts = inputs.frame("accounts")
    if accounts is None or "closed_on" not in accounts.collect_schema().names():
        return None
    return (
        accounts.filter(pl.col("closed_on").is_not_null())
        .select(pl.col("id").cast(pl.String).alias("account_id"), pl.col("closed_on").cast(pl.Date))
        .unique("account_id", keep="first")
    )


def _with_holder(table: pl.LazyFrame, shared: pl.LazyFrame | None) -> pl.LazyFrame:
    """Add ``holder_id``: the account's owner when it is one of its territory's several
    primary reps (see the ``shared_owners`` input), else null."""
    if shared is None:
        return table.with_columns(pl.lit(None, dtype=pl.String).alias("holder_id"))
    holders = shared.select(
        pl.col("territory_id").cast(pl.String),
        pl.col("rep_id").cast(pl.String).alias("owner_id"),
        pl.col("rep_id").cast(pl.String).alias("holder_id"),
    ).unique(["territory_id", "owner_id"])
    return table.join(holders, on=["territory_id", "owner_id"], how="left")


def _accounts(inputs: KpiInputs) -> pl.LazyFrame:
    accounts = inputs.frame("accounts")
    alignment = inputs.frame("alignment")
    if accounts is not None:
        acc = optional_columns(accounts, ("segment", "industry", "owner_id"))
        acc = optional_columns(acc, ("potential", "workload"), pl.Float64)
        acc = acc.select(
            pl.col("id").cast(pl.String).alias("account_id"),
            pl.col("segment").cast(pl.String),
            pl.col("industry").cast(pl.String),
            pl.col("owner_id").cast(pl.String),
            pl.col("potential").cast(pl.Float64),
            pl.col("workload").cast(pl.Float64),
        ).unique("account_id", keep="first")
    else:
        acc = None
    if alignment is not None:
        ali = alignment.select(
            pl.col("account_id").cast(pl.String), pl.col("territory_id").cast(pl.String)
        ).unique("account_id", keep="first")
    else:
        ali = None
    if acc is None and ali is None:
        return pl.LazyFrame(
            schema={
                "account_id": pl.String,
                "territory_id": pl.String,
                "segment": pl.String,
                "industry": pl.String,
                "owner_id": pl.String,
                "potential": pl.Float64,
                "workload": pl.Float64,
            }
        )
    if acc is None:
        assert ali is not None
        return optional_columns(
            optional_columns(ali, ("segment", "industry", "owner_id")),
            ("potential", "workload"),
            pl.Float64,
        )
    if ali is None:
        return acc.with_columns(pl.lit(None, dtype=pl.String).alias("territory_id"))
    return acc.join(ali, on="account_id", how="full", coalesce=True)


def territory_table(inputs: KpiInputs) -> pl.DataFrame:
    """Territories with ``territory_id, parent_id, owner_id, name, level, is_leaf`` (String ids).

    Without a ``territories`` frame, the territories named by ``alignment`` (all leaves).
    """
    territories = inputs.frame("territories")
    schema = {
        "territory_id": pl.String,
        "parent_id": pl.String,
        "owner_id": pl.String,
        "name": pl.String,
        "level": pl.String,
    }
    if territories is not None:
        frame = optional_columns(territories, ("parent_id", "owner_id", "name", "level"))
        table = frame.select(
            pl.col("id").cast(pl.String).alias("territory_id"),
            pl.col("parent_id").cast(pl.String),
            pl.col("owner_id").cast(pl.String),
            pl.col("name").cast(pl.String),
            pl.col("level").cast(pl.String),
        ).collect()
    else:
        table = pl.DataFrame(schema=schema)
    alignment = inputs.frame("alignment")
    if alignment is not None:
        extra = (
            alignment.select(pl.col("territory_id").cast(pl.String))
            .unique()
            .filter(pl.col("territory_id").is_not_null())
            .sort("territory_id")  # unique() keeps no order
            .collect()
        )
        extra = extra.filter(~pl.col("territory_id").is_in(table["territory_id"].implode()))
        table = pl.concat([table, extra], how="diagonal_relaxed")
    parents = table["parent_id"].drop_nulls().unique().implode()
    return table.unique("territory_id", keep="first", maintain_order=True).with_columns(
        (~pl.col("territory_id").is_in(parents)).alias("is_leaf")
    )


def ancestor_table(territories: pl.DataFrame) -> pl.DataFrame:
    """``(territory_id, ancestor_id)`` for every leaf and each node above it."""
    parent = territories.select("territory_id", "parent_id")
    current = (
        territories.filter(pl.col("is_leaf"))
        .select("territory_id", pl.col("parent_id").alias("ancestor_id"))
        .filter(pl.col("ancestor_id").is_not_null())
    )
    found = [current]
    for _ in range(len(territories)):
        current = (
            current.join(parent, left_on="ancestor_id", right_on="territory_id", how="inner")
            .select("territory_id", pl.col("parent_id").alias("ancestor_id"))
            .filter(pl.col("ancestor_id").is_not_null())
        )
        if current.is_empty():
            break
        found.append(current)
    return pl.concat(found).unique()


def rollup(
    frame: pl.LazyFrame,
    territories: pl.DataFrame,
    *,
    keys: Sequence[str],
    measures: Sequence[str],
    dimensions: Sequence[str] = DIMENSIONS,
) -> pl.LazyFrame:
    """Sum ``measures`` per ``(dimension, key, *keys)``.

    ``frame`` has String columns territory_id, segment, industry (nullable) plus ``keys`` and
    ``measures``. Rows without a territory (or whose territory has no owner) are left out of
    the territory, region and rep dimensions; rows without a segment or industry make the
    group :func:`~terraplan.planning.kpi_registry.missing_group` (``(no industry)``).
    """
    sums = [exact_sum(m) for m in measures]
    leaves = territories.filter(pl.col("is_leaf"))
    parts: list[pl.LazyFrame] = []
    by_territory: pl.LazyFrame | None = None
    # who holds what in a territory with several primary reps (null: the territory's owner)
    held = ["holder_id"] if "holder_id" in frame.collect_schema() else []
    if any(d in ("territory", "region", "rep") for d in dimensions):
        # regions and reps are sums of territories: roll those up, not the finer rows
        by_territory = (
            frame.filter(pl.col("territory_id").is_not_null())
            .group_by(["territory_id", *held, *keys])
            .agg(sums)
            .collect()
            .lazy()
        )
    for dimension in dimensions:
        if dimension == "territory":
            assert by_territory is not None
            source = by_territory.rename({"territory_id": "key"})
        elif dimension == "region":
            assert by_territory is not None
            ancestors = ancestor_table(territories).lazy()
            source = by_territory.join(ancestors, on="territory_id", how="inner").rename(
                {"ancestor_id": "key"}
            )
        elif dimension == "rep":
            assert by_territory is not None
            owners = leaves.select("territory_id", pl.col("owner_id").alias("key")).lazy()
            source = by_territory.join(owners, on="territory_id", how="inner")
            if held:
                source = source.with_columns(pl.coalesce("holder_id", "key").alias("key"))
        else:
            source = frame.with_columns(_attribute_key(dimension)).rename({dimension: "key"})
        parts.append(
            source.filter(pl.col("key").is_not_null())
            .group_by(["key", *keys])
            .agg(sums)
            .with_columns(pl.lit(dimension).alias("dimension"))
            .select(["dimension", "key", *keys, *measures])
        )
    return pl.concat(parts, how="vertical_relaxed")


def _attribute_key(dimension: str) -> pl.Expr:
    """The account attribute ``dimension``, its missing values named as a group of their own."""
    return pl.col(dimension).fill_null(pl.lit(missing_group(dimension), dtype=pl.String))


def group_keys(
    accounts: pl.LazyFrame, territories: pl.DataFrame, dimensions: Sequence[str] = DIMENSIONS
) -> pl.LazyFrame:
    """Every ``(dimension, key)`` to report, including groups with no data at all."""
    parts: list[pl.LazyFrame] = []
    leaves = territories.filter(pl.col("is_leaf"))
    for dimension in dimensions:
        if dimension == "territory":
            keys = leaves.select(pl.col("territory_id").alias("key")).lazy()
        elif dimension == "region":
            keys = (
                territories.filter(~pl.col("is_leaf"))
                .select(pl.col("territory_id").alias("key"))
                .lazy()
            )
        elif dimension == "rep":
            keys = leaves.select(pl.col("owner_id").alias("key")).lazy()
            if "holder_id" in accounts.collect_schema():
                keys = pl.concat([keys, accounts.select(pl.col("holder_id").alias("key"))])
        else:
            keys = accounts.select(_attribute_key(dimension).alias("key"))
        parts.append(
            keys.filter(pl.col("key").is_not_null())
            .unique()
            .with_columns(pl.lit(dimension).alias("dimension"))
            .select("dimension", "key")
        )
    return pl.concat(parts, how="vertical_relaxed")
