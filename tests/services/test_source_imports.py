"""Importing from a database table (SQLite, PostgreSQL, DuckDB) or a Parquet folder, in batches."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import create_engine, text
from tests.conftest import TerraplanCli

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io.table_source import TableSource, iter_source_tables, parse_source
from terraplan.services.source_imports import import_source
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

#: A CRM table as a Salesforce-minded admin keeps it: integer surrogate key, API names.
COLUMNS = "pk INTEGER PRIMARY KEY, Id VARCHAR(20), Name VARCHAR(80), BillingPostalCode VARCHAR(10), potential DOUBLE PRECISION, ParentId VARCHAR(20)"
Row = tuple[int, str, str, str | None, float | None, str | None]
GOOD: list[Row] = [
    (10, "A1", "Acme", "94107", 100.0, None),
    (20, "A2", "Beta", "10001", 250.5, "A7"),  # parent in a later batch
    (30, "A3", "Gamma", "94107", 0.0, None),
    (40, "A4", "Delta", "60601", 12.0, None),
    (50, "A5", "Epsilon", "94107", 3.0, "A1"),
    (60, "A6", "Zeta", "94107", None, None),
    (70, "A7", "Eta", "02134", 9.0, None),
]
BAD: list[Row] = [
    (80, "A8", "Theta", "94107", -5.0, None),  # negative potential
    (90, "A3", "Gamma again", "94107", 1.0, None),  # id of row 30, an earlier batch
    (100, "A9", "Iota", "ABCDE", 1.0, None),  # not a ZIP
]

MakeSource = Callable[[list[Row]], str]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Database]:
    """The terraplan database the records go into (SQLite; storage tests cover PostgreSQL)."""
    database = Database(f"sqlite:///{tmp_path}/terraplan.db")
    migrate.upgrade(database)
    yield database
    database.dispose()


def _sqlite_source(tmp_path: Path) -> MakeSource:
    def make(rows: list[Row]) -> str:
        path = tmp_path / f"crm-{uuid.uuid4().hex[:6]}.db"
        with sqlite3.connect(path) as connection:
            connection.execute(
                f"CREATE TABLE accounts ({COLUMNS.replace('DOUBLE PRECISION', 'REAL')})"
            )
            connection.executemany("INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?)", rows)
        return f"sqlite:///{path}?table=accounts"

    return make


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def make_source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeSource]:
    """A function writing rows into a CRM table and returning its source URL."""
    if request.param == "sqlite":
        yield _sqlite_source(tmp_path)
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    schema = f"crm_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def make(rows: list[Row]) -> str:
        with engine.connect() as connection:
            connection.execute(text(f'DROP TABLE IF EXISTS "{schema}".accounts'))
            connection.execute(text(f'CREATE TABLE "{schema}".accounts ({COLUMNS})'))
            connection.execute(
                text(f'INSERT INTO "{schema}".accounts VALUES (:a, :b, :c, :d, :e, :f)'),
                [dict(zip("abcdef", row, strict=True)) for row in rows],
            )
        return f"{admin_url}?table={schema}.accounts"

    yield make
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def _stored(db: Database) -> dict[str, tuple[str, float | None, str | None]]:
    with UnitOfWork(db) as uow:
        return {a.id: (a.name, a.potential, a.parent_id) for a in uow.accounts.list()}


def test_a_table_imports_in_batches(make_source: MakeSource, target: Database) -> None:
    source = parse_source(make_source(GOOD))
    assert source is not None
    outcome = import_source(target, source, "accounts", batch_rows=3)
    report = outcome.report
    assert (outcome.written, report.accepted, report.rejected) == (7, 7, 0)
    assert report.details["batches"] == 3
    assert report.file.endswith("accounts")  # the table's name stands for the file
    stored = _stored(target)
    assert stored["A2"] == ("Beta", 250.5, "A7")  # the parent came two batches later
    assert stored["A6"] == ("Zeta", None, None)
    with UnitOfWork(target) as uow:
        assert uow.accounts.get("A2").county_fips == "36061"  # geocoded like a file


def test_bad_rows_are_named_by_key_and_abort_writes_nothing(
    make_source: MakeSource, target: Database
) -> None:
    source = parse_source(make_source(GOOD + BAD))
    assert source is not None
    with pytest.raises(DataError) as caught:
        import_source(target, source, "accounts", batch_rows=4)
    report = caught.value.details["report"]
    issues = [(i["row"], i["field"]) for i in report["issues"]]
    # Rows are the table's integer primary key, in order.
    assert issues == [(80, "potential"), (90, "id"), (100, "postal_code")]
    dup = next(i for i in report["issues"] if i["field"] == "id")
    assert dup["reason"] == "duplicate id (first at row 30)"
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (10, 7, 3)
    assert "nothing was imported" in caught.value.message
    assert _stored(target) == {}

    skipped = import_source(target, source, "accounts", batch_rows=4, on_error="skip")
    assert (skipped.written, skipped.report.rejected) == (7, 3)
    assert set(_stored(target)) == {f"A{i}" for i in range(1, 8)}
    assert _stored(target)["A3"][0] == "Gamma"  # the repeat did not overwrite the first


def test_a_table_without_integer_key_numbers_rows_by_position(
    tmp_path: Path, target: Database
) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE reps (Id TEXT PRIMARY KEY, Name TEXT, Title TEXT)")
        connection.executemany(
            "INSERT INTO reps VALUES (?, ?, ?)",
            [("R2", "Bob", "AE"), ("R1", "Ann", "Sales Rep"), ("R3", "Cy", "astronaut")],
        )
    source = parse_source(f"sqlite:///{path}?table=reps")
    assert source is not None
    with pytest.raises(DataError) as caught:
        import_source(target, source, "reps", batch_rows=2)
    (issue,) = caught.value.details["report"]["issues"]
    # ordered by the primary key: R1, R2, R3 -> R3 is the 3rd record
    assert (issue["file"], issue["row"], issue["field"], issue["value"]) == (
        "reps",
        3,
        "role",
        "astronaut",
    )


def test_a_parquet_folder_names_each_file(tmp_path: Path, target: Database) -> None:
    folder = tmp_path / "lake"
    (folder / "year=2025").mkdir(parents=True)
    pl.DataFrame(
        {"id": ["A1", "A2"], "name": ["Acme", "Beta"], "potential": [1.0, 2.0]}
    ).write_parquet(folder / "year=2025" / "part-0.parquet")
    pl.DataFrame(
        {"id": ["A3", "A4", "A1"], "name": ["Gamma", None, "Again"], "potential": [3.0, 4.0, 5.0]}
    ).write_parquet(folder / "z-part-1.parquet")
    source = parse_source(str(folder))
    assert source is not None and source.type == "parquet"
    tables = list(iter_source_tables(source, "accounts", batch_rows=2))
    assert [t.frame.height for t in tables] == [2, 2, 1]
    with pytest.raises(DataError) as caught:
        import_source(target, source, "accounts", batch_rows=2)
    report = caught.value.details["report"]
    found = [(Path(i["file"]).name, i["row"], i["field"], i["reason"]) for i in report["issues"]]
    assert found == [
        ("z-part-1.parquet", 2, "name", "is required"),
        (
            "z-part-1.parquet",
            3,
            "id",
            f"duplicate id (first at {folder / 'year=2025' / 'part-0.parquet'} row 1; without a"
            " LastModifiedDate or SystemModstamp column the later edit cannot be told: import"
            " the files one at a time, in the order they were taken)",
        ),
    ]
    assert _stored(target) == {}


def test_duckdb_table(tmp_path: Path, target: Database) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "w.duckdb"
    connection = duckdb.connect(str(path))
    connection.execute(
        "CREATE SCHEMA crm; CREATE TABLE crm.reps AS SELECT 'R' || i AS Id,"
        " 'Rep ' || i AS Name, 'AE' AS Title FROM range(5) t(i)"
    )
    connection.close()
    source = parse_source(f"duckdb:///{path}?table=crm.reps")
    assert source is not None
    outcome = import_source(target, source, "reps", batch_rows=2)
    assert (outcome.written, outcome.report.details["batches"]) == (5, 3)


def test_unusable_sources_are_refused_clearly(tmp_path: Path, target: Database) -> None:
    assert parse_source(str(tmp_path / "accounts.csv")) is None  # a plain file
    with pytest.raises(InvalidParameterError, match=r"add \?table=NAME"):
        parse_source("postgresql://u:secret@db.example/crm")
    with pytest.raises(InvalidParameterError) as caught:
        parse_source("mysql://u:secret@db.example/crm?table=a")
    assert "secret" not in caught.value.message and "***" in caught.value.message
    source = parse_source(f"sqlite:///{tmp_path}/empty.db?table=nothing")
    assert source is not None
    with pytest.raises(DataError, match=r"no table or view named 'nothing'"):
        import_source(target, source, "accounts")
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(DataError, match=r"holds no \.parquet files"):
        import_source(target, parse_source(str(empty)), "accounts")  # type: ignore[arg-type]


def test_cli_imports_a_table(tmp_path: Path, terraplan_cli: TerraplanCli) -> None:
    """The import command takes a URL where it takes a file (exit code 3 for bad rows)."""
    url = _sqlite_source(tmp_path)(GOOD + BAD[:1])
    refused = terraplan_cli("import", "accounts", url, "-f", "json")
    assert refused.returncode == 3
    assert [(i["row"], i["field"]) for i in json.loads(refused.stdout)["issues"]] == [
        (80, "potential")
    ]


def test_each_warning_is_said_once_over_all_batches(tmp_path: Path, target: Database) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE reps (pk INTEGER PRIMARY KEY, Id TEXT, Name TEXT)")
        connection.executemany(
            "INSERT INTO reps VALUES (?, ?, ?)", [(i, f"R{i}", f"Rep {i}") for i in range(1, 6)]
        )
    source = parse_source(f"sqlite:///{path}?table=reps")
    assert source is not None
    # batches of 2, 2 and 1 rep: "2 reps (e.g. R1) have..." twice, then "rep R5 has..."
    outcome = import_source(target, source, "reps", batch_rows=2)
    homeless = [w for w in outcome.report.warnings if "no home base" in w]
    assert len(homeless) == 1
    assert homeless[0].startswith("5 reps (e.g. R1) have no home base")


@pytest.mark.postgres
def test_typed_postgresql_columns_read_as_their_values(
    postgres_admin_url: str, target: Database, tmp_path: Path
) -> None:
    """DATE, TIMESTAMP, NUMERIC and BOOLEAN columns (an opportunities table of a CRM)."""
    accounts = parse_source(_sqlite_source(tmp_path)(GOOD))
    assert accounts is not None
    import_source(target, accounts, "accounts")
    schema = f"crm_{uuid.uuid4().hex[:10]}"
    engine = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            connection.execute(
                text(
                    f'CREATE TABLE "{schema}".opportunity (id TEXT PRIMARY KEY, account_id TEXT,'
                    " amount NUMERIC(12, 2), created_date TIMESTAMP, close_date DATE,"
                    " is_closed BOOLEAN, is_won BOOLEAN, stage TEXT)"
                )
            )
            connection.execute(
                text(
                    f'INSERT INTO "{schema}".opportunity VALUES'
                    " ('O1', 'A1', 1200.50, '2025-03-01 09:30:00', '2025-04-30', true, true, 'Closed Won'),"
                    " ('O2', 'A2', 99.00, '2025-05-02 00:00:00', NULL, false, false, 'Prospecting'),"
                    " ('O3', 'ZZ', 5.00, '2025-05-02 00:00:00', NULL, false, false, 'Prospecting')"
                )
            )
        source = parse_source(f"{postgres_admin_url}?table={schema}.opportunity")
        assert source is not None
        with pytest.raises(DataError) as caught:
            import_source(target, source, "opportunities")
        issues = caught.value.details["report"]["issues"]
        assert [(i["row"], i["field"], i["value"]) for i in issues] == [(3, "account_id", "ZZ")]
        outcome = import_source(target, source, "opportunities", on_error="skip")
        assert outcome.written == 2
        with UnitOfWork(target) as uow:
            won = {o.id: o for o in uow.opportunities.list()}["O1"]
        assert (won.amount, won.created_date.isoformat(), won.close_date.isoformat()) == (
            1200.5,
            "2025-03-01",
            "2025-04-30",
        )
        assert (won.is_closed, won.is_won) == (True, True)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def _sales_table(tmp_path: Path, name: str, dates: list[str]) -> tuple[TableSource, TableSource]:
    """A CRM database with one account and its sales lines dated by text ``dates``."""
    path = tmp_path / f"{name}.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (pk INTEGER PRIMARY KEY, Id TEXT, Name TEXT)")
        connection.execute("INSERT INTO accounts VALUES (1, 'A1', 'Acme')")
        connection.execute(
            "CREATE TABLE lines (pk INTEGER PRIMARY KEY, Id TEXT, AccountId TEXT,"
            " Date TEXT, Amount TEXT)"
        )
        connection.executemany(
            "INSERT INTO lines VALUES (?, ?, 'A1', ?, '100')",
            [(i, f"L{i}", day) for i, day in enumerate(dates, start=1)],
        )
    accounts = parse_source(f"sqlite:///{path}?table=accounts")
    lines = parse_source(f"sqlite:///{path}?table=lines")
    assert accounts is not None and lines is not None
    return accounts, lines


def test_batches_read_a_date_column_in_one_order(tmp_path: Path, target: Database) -> None:
    """A UK export loaded as text into a table: the first batch shows day-first dates
    (25/03/2025), the second only ambiguous ones (05/03/2025). Read batch by batch, the second
    used to be read month first (3 May) with exit 0; every batch now reads day first. The other
    way round (ambiguous dates first, the sign later) is refused: nothing is written."""
    accounts, lines = _sales_table(
        tmp_path, "uk", ["25/03/2025", "26/03/2025", "05/03/2025", "04/02/2025"]
    )
    import_source(target, accounts, "accounts")
    outcome = import_source(target, lines, "sales_lines", batch_rows=2)
    assert outcome.written == 4
    with UnitOfWork(target) as uow:
        stored = {line.id: line.date for line in uow.sales_lines.list()}
    assert stored == {
        "L1": date(2025, 3, 25), "L2": date(2025, 3, 26),
        "L3": date(2025, 3, 5), "L4": date(2025, 2, 4),
    }  # fmt: skip
    _, late = _sales_table(
        tmp_path, "late", ["05/03/2025", "04/02/2025", "25/03/2025", "26/03/2025"]
    )
    with pytest.raises(DataError, match="shows day-first dates in this batch") as caught:
        import_source(target, late, "sales_lines", batch_rows=2)
    assert "nothing was imported" in str(caught.value)
    with UnitOfWork(target) as uow:  # the lines of the first import, unchanged
        assert {line.id: line.date for line in uow.sales_lines.list()} == stored


def test_batches_read_an_undecided_date_column_like_the_others(
    tmp_path: Path, target: Database
) -> None:
    """Created dates whose days are all <= 12 follow the close dates, which show the day
    first (15/01/2025) in the first batch only: every batch reads them day first."""
    path = tmp_path / "opps.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE accounts (pk INTEGER PRIMARY KEY, Id TEXT, Name TEXT)")
        connection.execute("INSERT INTO accounts VALUES (1, 'A1', 'Acme')")
        connection.execute(
            "CREATE TABLE opps (pk INTEGER PRIMARY KEY, Id TEXT, AccountId TEXT,"
            " StageName TEXT, Amount TEXT, CloseDate TEXT, CreatedDate TEXT)"
        )
        connection.executemany(
            "INSERT INTO opps VALUES (?, ?, 'A1', 'Prospecting', '100', ?, ?)",
            [
                (1, "O1", "15/01/2025", "01/12/2024"),
                (2, "O2", "05/03/2025", "01/02/2025"),
                (3, "O3", "06/03/2025", "02/01/2025"),
            ],
        )
    accounts = parse_source(f"sqlite:///{path}?table=accounts")
    opps = parse_source(f"sqlite:///{path}?table=opps")
    assert accounts is not None and opps is not None
    import_source(target, accounts, "accounts")
    import_source(target, opps, "opportunities", batch_rows=2)
    with UnitOfWork(target) as uow:
        stored = {o.id: (o.created_date, o.close_date) for o in uow.opportunities.list()}
    assert stored == {
        "O1": (date(2024, 12, 1), date(2025, 1, 15)),
        "O2": (date(2025, 2, 1), date(2025, 3, 5)),
        "O3": (date(2025, 1, 2), date(2025, 3, 6)),
    }
