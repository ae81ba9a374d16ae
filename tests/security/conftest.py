"""Fixtures of the hostile-input corpus (helpers in ``corpus.py``, importable as ``security_corpus``)."""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _register_helpers() -> None:
    """Make ``corpus.py`` (next to this file) importable under --import-mode=importlib."""
    if "security_corpus" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "security_corpus", Path(__file__).with_name("corpus.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["security_corpus"] = module
    spec.loader.exec_module(module)


_register_helpers()

from security_corpus import CliResult, Seeded, fingerprint, seed  # noqa: E402

from terraplan.storage.database import Database  # noqa: E402


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """One migrated, seeded SQLite database shared by the cases of a module."""
    folder = tmp_path_factory.mktemp("seeded")
    db = Database(f"sqlite:///{folder}/corpus.db")
    seed(db, folder)
    yield Seeded(db, folder)
    db.dispose()


@pytest.fixture
def unchanged(seeded: Seeded) -> Iterator[Seeded]:
    """The seeded database, checked to be exactly as before when the case ends."""
    before = fingerprint(seeded.db)
    yield seeded
    assert fingerprint(seeded.db) == before, "the refused input changed the database"


RunInProcess = Callable[..., CliResult]


@pytest.fixture
def cli(
    unchanged: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> RunInProcess:
    """Run ``terraplan ARGS`` in this process (the real entry point, its error mapping
    included) against the seeded database; returns the exit code and the output. The
    database must be unchanged afterwards."""
    return _runner(unchanged, capsys, monkeypatch)


@pytest.fixture
def cli_that_may_write(
    seeded: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> RunInProcess:
    """:func:`cli` for commands that store results (capacity, KPIs cache them)."""
    return _runner(seeded, capsys, monkeypatch)


def _runner(
    unchanged: Seeded, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> RunInProcess:
    from terraplan.cli import main

    def invoke(*args: str, cwd: Path | None = None) -> CliResult:
        monkeypatch.setenv("TERRAPLAN_DATABASE_URL", unchanged.url)
        monkeypatch.setenv("COLUMNS", "200")
        monkeypatch.setattr(sys, "argv", ["terraplan", *args])
        monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = 0
        try:
            main.run()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return invoke
