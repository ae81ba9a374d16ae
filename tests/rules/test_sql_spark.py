"""Rules compiled to Spark SQL, run on a real local Spark, equal the in-process route."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from rules_helpers import SCHEMA, Outcome, by_route

from terraplan.rules import RuleSet, compile_sql

pytestmark = pytest.mark.filterwarnings(
    "ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning"
)  # py4j leaves its gateway sockets to the garbage collector


def _strategies() -> Any:
    """The rule-set and record strategies of the DuckDB/PostgreSQL equivalence tests."""
    path = Path(__file__).with_name("test_sql_equivalence.py")
    spec = importlib.util.spec_from_file_location("sql_equivalence_strategies", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


equivalence = _strategies()
SPARK_TYPES = {pl.Utf8: "STRING", pl.Float64: "DOUBLE", pl.Int64: "BIGINT"}
DDL = ", ".join(f"`{k}` {SPARK_TYPES[v]}" for k, v in SCHEMA.items())


def by_spark(spark: Any, rule_set: RuleSet, records: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    rows = [tuple(r.get(k) for k in SCHEMA) for r in records]
    spark.createDataFrame(rows, schema=DDL).createOrReplaceTempView("accounts")
    result = spark.sql(compile_sql(rule_set, "spark")).collect()
    by_id = {r[0]: (r[0], r[1], r[2], bool(r[4]), bool(r[5]), r[6]) for r in result}
    assert len(by_id) == len(result) == len(records)
    return [by_id[r["id"]] for r in records]


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rule_set=equivalence.rule_sets(), data=equivalence.records())
def test_spark_sql_equals_route(spark: Any, rule_set: RuleSet, data: list[dict[str, Any]]) -> None:
    assert by_spark(spark, rule_set, data) == by_route(rule_set, data)
