"""Output files: no silent overwrite, atomic writes, links never followed, no live formulas."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from terraplan.errors import ConflictError, InvalidParameterError
from terraplan.io.outputs import atomic_output, write_files, write_text

RunCli = Callable[..., subprocess.CompletedProcess[str]]

INJECTED = {
    "001A": '=HYPERLINK("http://evil.example","click")',
    "001B": "+1 415 555 0100",
    "001C": "-2+3",
    "001D": "@SUM(A1:A9)",
    "001E": "'=quoted once",  # a quote before a formula is the spreadsheet marker ...
    "001F": "Plain Co",
}
#: ... which the importers take off (and the exports put back): what the database holds.
STORED = {**INJECTED, "001E": "=quoted once"}


def test_an_existing_file_is_refused_then_replaced_with_force(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_text(target, "first")
    with pytest.raises(ConflictError, match=re.escape(str(target))):
        write_text(target, "second")
    assert target.read_text() == "first"
    write_text(target, "second", overwrite=True)
    assert target.read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # no temporary left


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "table.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target, overwrite=True) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".csv"
        temporary.write_text("half")
        raise RuntimeError("crash in the middle")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]


def test_a_link_out_of_the_folder_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("keep me")
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "report.html").symlink_to(secret)
    (folder / "dangling.csv").symlink_to(outside / "missing.csv")

    with pytest.raises(ConflictError, match="symbolic link"):
        write_text(folder / "report.html", "<html>")
    with pytest.raises(ConflictError):
        write_text(folder / "dangling.csv", "a,b")
    assert not (outside / "missing.csv").exists()

    write_text(folder / "report.html", "<html>", overwrite=True)
    assert secret.read_text() == "keep me"
    assert not (folder / "report.html").is_symlink()
    assert (folder / "report.html").read_text() == "<html>"


def test_several_files_are_all_checked_before_any_is_written(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("old b")
    with pytest.raises(ConflictError, match=r"b\.csv"):
        write_files(tmp_path, {"a.csv": "new a", "b.csv": "new b"})
    assert not (tmp_path / "a.csv").exists()
    assert (tmp_path / "b.csv").read_text() == "old b"
    with pytest.raises(InvalidParameterError, match="is a folder"):
        write_text(tmp_path, "x")


def _import_injected(run_cli: RunCli, tmp_path: Path) -> None:
    source = tmp_path / "Account.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "BillingPostalCode"])
        for account_id, name in INJECTED.items():
            writer.writerow([account_id, name, "94107"])
    result = run_cli("import", "accounts", str(source))
    assert result.returncode == 0, result.stderr


def test_exports_neutralise_formulas_and_keep_the_stored_names(
    run_cli: RunCli, tmp_path: Path
) -> None:
    _import_injected(run_cli, tmp_path)

    assert run_cli("export", "accounts", str(tmp_path / "a.csv")).returncode == 0
    with (tmp_path / "a.csv").open(encoding="utf-8") as handle:
        names = {row["id"]: row["name"] for row in csv.DictReader(handle)}
    assert names == {
        "001A": "'" + INJECTED["001A"],
        "001B": "'+1 415 555 0100",
        "001C": "'-2+3",
        "001D": "'@SUM(A1:A9)",
        "001E": "'=quoted once",
        "001F": "Plain Co",
    }

    assert run_cli("export", "accounts", str(tmp_path / "a.xlsx")).returncode == 0
    with zipfile.ZipFile(tmp_path / "a.xlsx") as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/")]
        xml = "".join(book.read(n).decode("utf-8") for n in sheets)
        styles = book.read("xl/styles.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml  # no formula cell at all
    assert '<is><t>=HYPERLINK("http://evil.example","click")</t></is>' in xml  # shown as text
    assert 'quotePrefix="1"' in styles  # and kept as text if someone edits the cell
    assert xml.count('t="inlineStr"') >= len(INJECTED) * 2  # ids and names are text cells

    # The database keeps the original names: a Parquet export (not a spreadsheet) shows them,
    # and the CSV and XLSX files import back to the same names.
    assert run_cli("export", "accounts", str(tmp_path / "a.parquet")).returncode == 0
    import polars as pl

    stored = dict(pl.read_parquet(tmp_path / "a.parquet").select("id", "name").iter_rows())
    assert stored == STORED
    for name in ("a.csv", "a.xlsx"):
        again = run_cli("import", "accounts", str(tmp_path / name))
        assert again.returncode == 0, again.stderr
        assert run_cli("export", "accounts", str(tmp_path / "b.parquet"), "--force").returncode == 0
        assert dict(pl.read_parquet(tmp_path / "b.parquet").select("id", "name").iter_rows()) == (
            STORED
        )


def test_export_refuses_an_existing_file_and_a_link(run_cli: RunCli, tmp_path: Path) -> None:
    _import_injected(run_cli, tmp_path)
    existing = tmp_path / "accounts.csv"
    existing.write_text("precious", encoding="utf-8")
    refused = run_cli("export", "accounts", str(existing))
    assert refused.returncode == 5
    assert "accounts.csv already exists" in refused.stderr
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert existing.read_text(encoding="utf-8") == "precious"

    forced = run_cli("export", "accounts", str(existing), "--force")
    assert forced.returncode == 0, forced.stderr
    assert existing.read_text(encoding="utf-8").startswith("id,")

    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("outside", encoding="utf-8")
    link = tmp_path / "out" / "link.csv"
    link.parent.mkdir()
    os.symlink(elsewhere, link)
    assert run_cli("export", "accounts", str(link)).returncode == 5
    assert run_cli("export", "accounts", str(link), "--force").returncode == 0
    assert elsewhere.read_text(encoding="utf-8") == "outside"
    assert not link.is_symlink()


def test_csv_on_stdout_is_neutralised_too(run_cli: RunCli, tmp_path: Path) -> None:
    from terraplan.cli.console import OutputFormat, render_rows

    buffer = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(buffer):
        render_rows([{"name": "=1+1", "n": -3}], fmt=OutputFormat.CSV)
    assert buffer.getvalue() == "name,n\n'=1+1,-3\n"


def test_plans_compare_out_refuses_an_existing_file_until_forced(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """``plans compare --out`` replaced an existing file silently and took no ``--force``,
    against the rules every other command that writes files follows."""
    from tests.conftest import seed_region_plan

    from terraplan.storage import migrate
    from terraplan.storage.database import Database

    db = Database(f"sqlite:///{tmp_path}/cli.db")
    migrate.upgrade(db)
    seed_region_plan(db, n_accounts=100, seed=3)
    db.dispose()
    copied = run_cli("plans", "copy", "P1", "--plan-id", "P2", "--name", "What if")
    assert copied.returncode == 0, copied.stderr
    existing = tmp_path / "moved.csv"
    existing.write_text("precious", encoding="utf-8")
    refused = run_cli("plans", "compare", "P1", "P2", "--out", str(existing))
    assert refused.returncode == 5, refused.stderr
    assert "moved.csv already exists" in refused.stderr and "--force" in refused.stderr
    assert existing.read_text(encoding="utf-8") == "precious"
    assert "compared with" not in refused.stdout  # refused before the work
    forced = run_cli("plans", "compare", "P1", "P2", "--out", str(existing), "--force")
    assert forced.returncode == 0, forced.stderr
    assert existing.read_text(encoding="utf-8").startswith("account,")
