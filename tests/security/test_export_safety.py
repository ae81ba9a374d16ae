"""Names a spreadsheet would run as formulas come out of every export command as plain text:
CSV cells get the neutralising apostrophe, XLSX sheets hold no formula cell at all."""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from security_corpus import CliResult, Seeded

from terraplan.domain import Plan, PlanStatus, Territory, TerritoryOwner
from terraplan.rules import dump_rule_set, load_rule_set
from terraplan.services.imports import import_file
from terraplan.storage.unit_of_work import UnitOfWork

pytestmark = pytest.mark.timeout(60)

EVIL = '=HYPERLINK("http://evil.example","click")'
EVIL_NAMES = [EVIL, "+1 415 555 0100", "-2+3", "@SUM(A1:A9)", "\t=1+1"]

RULES = """
territories:
  - {id: XW, name: '=HYPERLINK("http://evil.example","click")', type: geo}
  - {id: XE, name: '@SUM(A1:A9)', type: geo}
rules:
  - {id: xw, territory: XW, when: {field: postal_code, op: between, value: [90000, 96199]}}
  - {id: xe, territory: XE, when: {field: state, op: in, value: [NY, NJ]}}
  - {id: xi, territory: XE, when: {field: industry, op: in, value: ['@SUM(A1:A9)', '-2+3']}}
"""


@pytest.fixture(scope="module")
def injected(seeded: Seeded) -> Iterator[Seeded]:
    """The seeded database plus accounts, leads and reps with formula names, and a plan X whose
    territories have formula names, its rules applied (so every export has rows)."""
    db, folder = seeded.db, seeded.folder
    accounts = folder / "evil_accounts.csv"
    with accounts.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "postal_code", "industry", "potential", "workload"])
        for i, name in enumerate(EVIL_NAMES):
            writer.writerow([f"E{i}", name, "94107" if i % 2 else "10001", name, 100, 10])
    import_file(db, accounts, "accounts")
    leads = folder / "evil_leads.csv"
    leads.write_text(f'id,company\nL1,"{EVIL.replace(chr(34), chr(34) * 2)}"\n', encoding="utf-8")
    import_file(db, leads, "leads")
    sales = folder / "evil_sales.csv"
    sales.write_text("id,account_id,date,amount\nS1,E0,2025-03-01,100\nS2,E1,2025-04-01,50\n")
    import_file(db, sales, "sales_lines")
    reps = folder / "evil_reps.csv"
    reps.write_text("id,name\nRX,@evil rep\n", encoding="utf-8")
    import_file(db, reps, "reps")
    plan = Plan(
        id="X",
        name="=cmd|' /C calc'!A0",
        status=PlanStatus.DRAFT,
        territories=(
            Territory(id="XW", name=EVIL, owners=(TerritoryOwner("RX"),)),
            Territory(id="XE", name="@SUM(A1:A9)", owners=(TerritoryOwner("R3"),)),
        ),
    )
    with UnitOfWork(db) as uow:
        stored = uow.plans.add(plan)
        uow.rule_sets.add(
            "X",
            dump_rule_set(load_rule_set(RULES, territories=plan.territories)),
            plan_version=stored.version,
        )
        uow.commit()
    from terraplan.services.ownership import evaluate_rules, write_rule_application

    # X is a draft beside the active plan P, whose owners apply_rules would keep: the
    # assignments are written as a rules run writes them, so every export has X's rows.
    application = evaluate_rules(db, "X")
    with UnitOfWork(db) as uow:
        write_rule_application(uow, application)
        uow.commit()
    yield seeded


def _neutral(cell: str) -> bool:
    if not cell.lstrip("'").startswith(("=", "+", "-", "@", "\t", "\r")):
        return True
    try:
        float(cell)
    except ValueError:
        return cell.startswith("'")
    return True


def check_csv(path: Path) -> int:
    """Every cell safe; returns how many cells were neutralised."""
    with path.open(encoding="utf-8", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    bad = [c for c in cells if not _neutral(c)]
    assert not bad, f"{path.name}: live formulas {bad[:3]}"
    return sum(1 for c in cells if c.startswith("'") and c.lstrip("'")[:1] in "=+-@\t\r")


def check_xlsx(path: Path) -> int:
    """No formula cell in any sheet; returns how many cells hold a formula-looking text."""
    with zipfile.ZipFile(path) as book:
        xml = "".join(
            book.read(n).decode("utf-8") for n in book.namelist() if n.startswith("xl/worksheets/")
        )
        shared = (
            book.read("xl/sharedStrings.xml").decode("utf-8")
            if "xl/sharedStrings.xml" in book.namelist()
            else ""
        )
    assert "<f>" not in xml and "<f " not in xml, f"{path.name}: formula cells"
    return len(re.findall(r"<t[^>]*>(?:=|\+|@|-[^0-9])", xml + shared))


#: (id, arguments ({o} is the output file or folder), files written (relative to the folder))
EXPORTS: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    *[
        (f"export-{kind}-{fmt}", ("export", kind, f"{{o}}/{kind}.{fmt}"), (f"{kind}.{fmt}",))
        for kind in ("accounts", "leads", "reps")
        for fmt in ("csv", "xlsx")
    ],
    ("export-assignments-csv", ("export", "assignments", "{o}/a.csv", "--plan", "X"), ("a.csv",)),
    (
        "export-assignments-xlsx",
        ("export", "assignments", "{o}/a.xlsx", "--plan", "X"),
        ("a.xlsx",),
    ),
    (
        "kpis-csv",
        (
            "kpis",
            "--plan",
            "X",
            "--by",
            "industry",
            "--period",
            "2025",
            "--format",
            "csv",
            "--out",
            "{o}/k.csv",
        ),
        ("k.csv",),
    ),
    (
        "kpis-xlsx",
        (
            "kpis",
            "--plan",
            "X",
            "--by",
            "industry",
            "--period",
            "2025",
            "--format",
            "xlsx",
            "--out",
            "{o}/k.xlsx",
        ),
        ("k.xlsx",),
    ),
    ("capacity-csv", ("capacity", "--plan", "X", "--out", "{o}/c.csv"), ("c.csv",)),
    ("capacity-xlsx", ("capacity", "--plan", "X", "--out", "{o}/c.xlsx"), ("c.xlsx",)),
    (
        "rules-export-etm",
        ("rules", "export-etm", "--plan", "X", "--out", "{o}/etm"),
        (
            "etm/ObjectTerritory2AssignmentRule.csv",
            "etm/ObjectTerritory2AssignmentRuleItem.csv",
            "etm/RuleTerritory2Association.csv",
        ),
    ),
]


@pytest.mark.parametrize(("args", "files"), [pytest.param(*e[1:], id=e[0]) for e in EXPORTS])
def test_every_export_writes_injected_names_as_plain_text(
    injected: Seeded,
    cli_that_may_write: Any,
    tmp_path: Path,
    args: tuple[str, ...],
    files: tuple[str, ...],
) -> None:
    result: CliResult = cli_that_may_write(*(a.format(o=tmp_path) for a in args), cwd=tmp_path)
    assert result.code == 0, result.stderr[-800:]
    found = 0
    for name in files:
        path = tmp_path / name
        found += check_csv(path) if path.suffix == ".csv" else check_xlsx(path)
    assert found > 0, "the injected names are in the export (neutralised)"


def test_design_alignment_csv_is_neutralised(injected: Seeded, tmp_path: Path) -> None:
    """``design --out`` writes record names (account names here) into its CSV."""
    from terraplan.services.design import design_plan, write_design_files

    run = design_plan(injected.db, units="accounts", n_territories=2, plan_id="DX", seed=0)
    (written,) = write_design_files(run, tmp_path / "dx.csv")
    assert check_csv(written) >= len(EVIL_NAMES)
    with written.open(encoding="utf-8", newline="") as handle:
        names = {row["record_name"] for row in csv.DictReader(handle)}
    assert "'" + EVIL in names


def test_csv_on_stdout_is_neutralised(injected: Seeded, cli: Any) -> None:
    result: CliResult = cli("plans", "show", "X", "--format", "csv")
    assert result.code == 0, result.stderr
    assert "'" + EVIL.replace('"', '""') in result.stdout or "'" + EVIL in result.stdout
    assert "\n=" not in result.stdout and ",=" not in result.stdout
