"""Shared fixtures: databases (SQLite file and PostgreSQL), the demo data set, CLI runner."""

from __future__ import annotations

import gc
import io
import logging
import os
import shutil
import subprocess
import sys
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from tests.database_copies import DemoSnapshots, MigratedSchemaPool

from terraplan.storage import migrate
from terraplan.storage.database import Database

# Under CI the property tests replay the same examples on every run, so that a red run can be
# reproduced; on a developer's machine they keep exploring new ones. No example has a time
# limit: a first example paying for imports and caches on a busy machine is not a failure
# (performance is measured by benchmarks/, never by timed tests).
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "explore")

# A test process holds far more long-lived objects than a terraplan process (every module of
# the suite, Hypothesis, cached demo data sets), so the collector's default thresholds had it
# trace that heap again and again while a test built a few thousand records: over half the
# time of reading a 3,100-county plan, about a sixth of the suite. Cycles are still collected,
# in fewer, larger passes.
gc.set_threshold(50_000, 20, 20)

# Every test app (and live server started from here) opens only a couple of connections at
# start-up: dozens of apps run at once in a test session, against one PostgreSQL.
os.environ.setdefault("TERRAPLAN_API_OPEN_CONNECTIONS", "1")

POSTGRES_ADMIN_URL = os.environ.get(
    "TERRAPLAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_unreachable_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except OperationalError as exc:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc.orig}"
    return None


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Passwords are hashed and checked with argon2's cheapest parameters in tests: at the
    production parameters each hash or check takes about 0.13 s by design, and over a thousand
    sign-ins made it a tenth of the suite. The code path is the same (argon2id through
    ``terraplan.services.users``); ``production_hashing`` puts the real parameters back for the
    tests of hashing itself."""
    from argon2 import PasswordHasher, profiles

    from terraplan.services import users

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    dummy = cheap.hash("no such user")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", lambda: cheap)
        patch.setattr(users, "_dummy_hash", lambda: dummy)
        yield


@pytest.fixture
def production_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at the parameters terraplan uses in production (see ``_cheap_password_hashing``)."""
    from argon2 import PasswordHasher

    from terraplan.services import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher)
    monkeypatch.setattr(users, "_dummy_hash", lambda: PasswordHasher().hash("no such user"))


@pytest.fixture(scope="session", autouse=True)
def _demo_generated_once_per_process() -> Iterator[None]:
    """``load_demo`` generates each (seed, size) of the demo once per test process: the
    generation is deterministic and its records are immutable tuples of frozen records, and it
    took about a second of every test that loads the demo. Writing them to the database (what
    the tests exercise) is still done each time."""
    import functools

    from terraplan.services import demo

    original = demo.generate_demo
    demo.generate_demo = functools.cache(original)  # type: ignore[assignment]
    yield
    demo.generate_demo = original  # type: ignore[assignment]


@pytest.fixture(scope="session", autouse=True)
def _demo_stored_once_per_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``store_demo`` writes each demo once per test process and database kind; later writes
    of the same demo into a fresh (migrated, empty) database copy the rows that first write
    left: on SQLite its pages (the backup API), on PostgreSQL its tables (``INSERT ...
    SELECT`` from a snapshot schema, sequences moved on). The same rows, in milliseconds,
    where the write took a third of a second on SQLite and three quarters on PostgreSQL, and
    some three hundred tests write a demo.

    Anything else takes the real path: a database holding any row, progress reported, no
    reset."""
    from terraplan.services import demo
    from terraplan.services.progress import no_progress

    original = demo.store_demo
    snapshots = DemoSnapshots(tmp_path_factory, POSTGRES_ADMIN_URL)

    def store(
        db: Database, dataset: object, *, reset: bool = True, progress: object = None
    ) -> None:
        quiet = reset and progress in (None, no_progress)
        if not (quiet and snapshots.restore(db, dataset)):
            original(db, dataset, reset=reset, progress=progress or no_progress)  # type: ignore[arg-type]
            if quiet:
                snapshots.take(db, dataset)

    demo.store_demo = store  # type: ignore[assignment]
    yield
    demo.store_demo = original
    snapshots.close()


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    reason = _postgres_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL tests must run)")
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


@pytest.fixture(scope="module")
def kpi_pg(postgres_admin_url: str) -> Iterator[Any]:
    """A psycopg connection (autocommit) to run the compiled KPI query on, with JIT off for
    the session as ``warehouse_kpis`` runs it (JIT changes the time, never the rows)."""
    import psycopg

    from terraplan.services.warehouse import NO_JIT

    url = postgres_admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(NO_JIT.replace(" LOCAL", ""))
        yield conn


#: The schema of each URL ``postgres_url`` gave out (what ``db`` swaps a migrated one into).
_SCHEMA_OF_URL: dict[str, str] = {}


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh schema in the `test` database, dropped afterwards (tests may run in parallel)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_admin_url else "?"
    url = f"{postgres_admin_url}{sep}options=-csearch_path%3D{schema}"
    _SCHEMA_OF_URL[url] = schema
    yield url
    _SCHEMA_OF_URL.pop(url, None)
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_schema_pool(postgres_admin_url: str) -> Iterator[MigratedSchemaPool]:
    pool = MigratedSchemaPool(postgres_admin_url)
    yield pool
    pool.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """Each storage test runs twice: on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/terraplan.db"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def migrated_sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file the migrations brought to the newest schema, once per test process."""
    path = tmp_path_factory.mktemp("migrated") / "terraplan.db"
    database = Database(f"sqlite:///{path}")
    migrate.upgrade(database)
    database.dispose()  # the last connection closed: the write-ahead log is in the file
    return path


@pytest.fixture
def db(
    database_url: str, migrated_sqlite_file: Path, request: pytest.FixtureRequest
) -> Iterator[Database]:
    """A migrated, empty database. On SQLite a copy of the file the migrations made once per
    process (the same bytes; running them again took a twentieth of a second per test); on
    PostgreSQL the test's own schema, migrated there or taken from the
    :class:`MigratedSchemaPool` (its name is the one ``database_url`` gives)."""
    sqlite_file = database_url.removeprefix("sqlite:///")
    if sqlite_file != database_url:
        shutil.copyfile(migrated_sqlite_file, sqlite_file)
        database = Database(database_url)
        yield database
        database.dispose()
        return
    pool: MigratedSchemaPool = request.getfixturevalue("migrated_schema_pool")
    schema = _SCHEMA_OF_URL[database_url]
    database = Database(database_url)
    if not pool.take(schema):
        migrate.upgrade(database)
        pool.migrated(schema)
    yield database
    database.dispose()
    pool.give_back(schema)


def store_plan_with_rules(
    db: Database, plan: object, rules: str, *, reps: tuple[str, ...] = ("R1",)
) -> None:
    """Store ``plan`` with ``rules`` (rule-set YAML) as its rules, and a rep for each id of
    ``reps`` (named ``Rep <id>``), in one unit of work."""
    from terraplan.domain import Plan, Rep
    from terraplan.rules import dump_rule_set, load_rule_set
    from terraplan.storage.unit_of_work import UnitOfWork

    assert isinstance(plan, Plan)
    with UnitOfWork(db) as uow:
        if reps:
            uow.reps.add_many([Rep(id=rep, name=f"Rep {rep.removeprefix('R')}") for rep in reps])
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            plan.id,
            dump_rule_set(load_rule_set(rules, territories=plan.territories)),
            plan_version=stored.version,
        )
        uow.commit()


def route_postal_code(db: Database, postal_code: object, **more: object) -> object:
    """Route lead ``L`` with ``postal_code`` (and ``more`` fields) by plan ``P``'s rules."""
    from terraplan.services.routing import route_record

    return route_record(db, {"id": "L", "postal_code": postal_code, **more}, plan_id="P")


def seed_region_plan(
    db: Database, *, n_accounts: int, seed: int, plan_id: str = "P1", units_parameter: bool = True
) -> dict[str, str]:
    """Load the demo (``n_accounts``) and store ``plan_id``: one territory per demo region
    (``T-<region id>``), aligned by county, with the rule set a design would generate.

    Returns the county FIPS -> territory id alignment.
    """
    from terraplan.domain import AlignmentEntry, GeoKind, Plan, RecordKind, Territory
    from terraplan.rules import dump_rule_set
    from terraplan.services.demo import load_demo
    from terraplan.services.ownership import rules_for_design
    from terraplan.storage.unit_of_work import UnitOfWork

    dataset, _ = load_demo(db, n_accounts=n_accounts, seed=seed)
    region_of = {state: region for region in dataset.regions for state in region.states}
    county_territory = {
        unit.id: f"T-{region_of[unit.state].id}"
        for unit in dataset.geo_units
        if unit.kind is GeoKind.COUNTY and unit.state in region_of
    }
    plan = Plan(
        id=plan_id,
        name="Regions",
        territories=tuple(Territory(f"T-{r.id}", r.name) for r in dataset.regions),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, unit, territory)
            for unit, territory in county_territory.items()
        ),
        parameters={"units": "counties"} if units_parameter else {},
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        rule_set = rules_for_design(stored, list(dataset.geo_units))
        uow.rule_sets.add(plan_id, dump_rule_set(rule_set), plan_version=stored.version)
        uow.commit()
    return county_territory


def _spark_missing_reason() -> str | None:
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install -e '.[dev]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "no Java runtime for Spark (make java, or apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local Spark session for the whole run (local[2], no UI, one shuffle partition,
    no adaptive re-planning: small data); skipped with the reason when pyspark or Java is
    missing, unless CI=true."""
    reason = _spark_missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: Spark tests must run)")
        pytest.skip(reason)
    from terraplan.services.warehouse import local_spark

    session = local_spark(cores=2, shuffle_partitions=1, adaptive=False)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is not None:  # close py4j's sockets and the JVM's pipe now, not in the GC later
        process = getattr(gateway, "proc", None)
        gateway.shutdown()
        SparkContext._gateway = None
        SparkContext._jvm = None
        if process is not None:
            for pipe in (process.stdin, process.stdout, process.stderr):
                if pipe is not None:
                    pipe.close()
            process.wait(timeout=60)


#: ``run(*args, database_url=None, cwd=None, input=None, env=None)`` -> the command's exit code
#: (``returncode``) and what it printed (``stdout``, ``stderr``).
TerraplanCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def terraplan_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> TerraplanCli:
    """Run ``terraplan ARGS`` in this process: the real entry point (``terraplan.cli.main.run``,
    its error mapping and exit codes included) without paying an interpreter start and the
    imports for every call. The database defaults to a SQLite file in ``tmp_path``, which is
    also the working folder unless ``cwd`` names another; ``input`` is what stdin holds.
    A few tests still start the installed command as a process (start-up, the README, the
    demo, progress on a terminal)."""
    from terraplan.cli import main

    def run(
        *args: str,
        database_url: str | None = None,
        cwd: Path | None = None,
        input: str | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        with monkeypatch.context() as patch:
            patch.setenv("TERRAPLAN_DATABASE_URL", database_url or f"sqlite:///{tmp_path}/cli.db")
            patch.setenv("COLUMNS", "200")
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            patch.setattr(sys, "argv", ["terraplan", *args])
            patch.setattr(sys, "stdin", io.StringIO(input or ""))
            patch.setattr(warnings, "showwarning", warnings.showwarning)
            patch.chdir(cwd or tmp_path)
            capsys.readouterr()
            code = 0
            root = logging.getLogger()
            handlers, level = root.handlers[:], root.level  # the run sets up its own
            with warnings.catch_warnings():
                _interpreter_warning_filters()  # the suite's "error" is not the user's
                try:
                    main.run()
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
                except Exception:  # what the interpreter does with --debug
                    traceback.print_exc()
                    code = 1
                finally:
                    for handler in root.handlers[:]:
                        if handler not in handlers:
                            root.removeHandler(handler)
                            handler.close()
                    root.handlers[:] = handlers
                    root.setLevel(level)
            out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["terraplan", *args], code, out, err)

    return run


def _interpreter_warning_filters() -> None:
    """The filters a plain ``python`` starts with (what a user's shell gives the command)."""
    warnings.resetwarnings()
    for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.filterwarnings("ignore", category=category)
