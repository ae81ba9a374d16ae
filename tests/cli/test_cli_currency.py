"""``terraplan import --rates/--currency`` then ``terraplan kpis``, on a fresh SQLite file.

The sales lines come as an order-line export of a multi-currency org: ``TotalPrice`` in each
line's own currency and ``CurrencyIsoCode`` beside it (three currencies, one of them written
in lower case, one line with a blank currency). Without rates the import is refused and
nothing is written; with rates the revenue KPI is the converted sum.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from terraplan.io.geocoding import ZipDirectory

RunCli = Callable[..., subprocess.CompletedProcess[str]]

RATES = {"EUR": 1.1, "GBP": 1.25}  # to USD, the reporting currency
README = Path(__file__).resolve().parents[2] / "README.md"


def _california_zips(n: int) -> list[str]:
    table = ZipDirectory().table.to_pydict()
    codes = sorted(
        code
        for code, state, county in zip(
            table["zip"], table["state"], table["county_fips"], strict=True
        )
        if state == "CA" and county
    )
    return codes[:: max(1, len(codes) // n)][:n]


def _write_export(folder: Path) -> float:
    """Account.csv, OrderLines.csv and rates.csv; returns the 2025 revenue in USD."""
    zips = _california_zips(12)
    accounts = ["Id,Name,BillingPostalCode,AnnualRevenue"]
    accounts += [f"001A{i:02d},Company {i},{code},{1_000_000 + i}" for i, code in enumerate(zips)]
    (folder / "Account.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    lines = ["Id,AccountId,Date,TotalPrice,CurrencyIsoCode"]
    expected = 0.0
    currencies = ["EUR", "GBP", "USD", "eur"]
    for i in range(24):
        code = currencies[i % 4]
        amount = 1000.0 + 10 * i
        cell = "" if i == 23 else code  # a blank cell: the reporting currency
        lines.append(f"LI{i:03d},001A{i % 12:02d},2025-{1 + i % 12:02d}-15,{amount:.2f},{cell}")
        rate = 1.0 if i == 23 else RATES.get(code.upper(), 1.0)
        expected += amount * rate
    (folder / "OrderLines.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rates = "currency,rate\n" + "".join(f"{c},{r}\n" for c, r in RATES.items())
    (folder / "rates.csv").write_text(rates, encoding="utf-8")
    return expected


def test_import_with_rates_then_kpis(run_cli: RunCli, tmp_path: Path) -> None:
    expected = _write_export(tmp_path)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, cwd=tmp_path)

    accounts = cli("import", "accounts", "Account.csv", "-f", "json")
    assert accounts.returncode == 0, accounts.stderr
    not_money = cli("import", "reps", "Account.csv", "--currency", "EUR")
    assert not_money.returncode != 0
    assert "--currency applies to the amounts of sales_lines" in not_money.stderr

    # Three currencies and no rates: refused, naming the file, the currencies and the ways out.
    refused = cli("import", "sales_lines", "OrderLines.csv", "-f", "json")
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    message = " ".join(refused.stderr.split())
    assert "OrderLines.csv" in message
    for counted in ("EUR: 11 rows", "GBP: 6 rows", "USD: 6 rows", "no currency: 1 row"):
        assert counted in message
    assert "Amount (converted)" in message and "--rates" in message
    assert "nothing was imported" in message
    exported = cli("export", "sales_lines", "none.csv")
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "none.csv").read_text(encoding="utf-8").count("\n") == 1  # header only

    # A rates file without GBP: every GBP line is an error naming GBP and its row.
    (tmp_path / "no-gbp.csv").write_text("currency,rate\nEUR,1.1\nUSD,1\n", encoding="utf-8")
    partial = cli("import", "sales_lines", "OrderLines.csv", "--rates", "no-gbp.csv", "-f", "json")
    assert partial.returncode != 0
    report = json.loads(partial.stdout)
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    assert [(e["row"], e["field"], e["value"]) for e in errors][:2] == [
        (3, "currency", "GBP"),
        (7, "currency", "GBP"),
    ]
    assert "no exchange rate for GBP in no-gbp.csv" in errors[0]["reason"]

    imported = cli(
        "import",
        "sales_lines",
        "OrderLines.csv",
        "--rates",
        "rates.csv",
        "--currency",
        "usd",
        "-f",
        "json",
    )
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert report["accepted"] == 24
    assert report["details"]["currencies"] == {"EUR": 11, "GBP": 6, "USD": 6}
    assert report["details"]["reporting_currency"] == "USD"
    notes = [w for w in report["warnings"] if "currenc" in w or "converted" in w]
    assert notes == [
        "amounts converted to USD with rates.csv: EUR at 1.1 (11 rows), GBP at 1.25 (6 rows)",
        "1 row with no currency read as USD (the reporting currency)",
    ]

    design = cli(
        "design", "--units", "counties", "--states", "CA", "--territories", "2",
        "--balance", "count:50%", "--seed", "1", "-f", "json",
    )  # fmt: skip
    assert design.returncode == 0, design.stderr
    plan_id = json.loads(design.stdout)["plan_id"]
    kpis = cli("kpis", "--plan", plan_id, "--period", "2025", "--kpi", "revenue", "-f", "json")
    assert kpis.returncode == 0, kpis.stderr
    revenue = sum(row["revenue"] for row in json.loads(kpis.stdout))
    assert revenue == pytest.approx(expected, abs=0.01)
    unconverted = sum(1000.0 + 10 * i for i in range(24))
    assert abs(revenue - unconverted) > 1000  # the sum as one currency would be wrong


def _readme_currency_command() -> str:
    section = README.read_text(encoding="utf-8").split("### Import and export", 1)[1]
    section = section.split("\n### ", 1)[0]
    lines = [
        line.split(" # ")[0].strip()
        for line in re.findall(r"^terraplan import .*--rates.*$", section, re.M)
        if "Opportunity.csv" in line  # the Salesforce example (a Pipedrive one follows)
    ]
    assert len(lines) == 1, lines
    return lines[0]


def test_the_readme_example_runs(run_cli: RunCli, tmp_path: Path) -> None:
    """The README's currency example, run as written, on files shaped as it says."""
    args = shlex.split(_readme_currency_command())[1:]
    kind, source = args[1], args[2]
    rates = args[args.index("--rates") + 1]
    assert kind == "opportunities"
    accounts = "Id,Name,BillingPostalCode\n001A,Acme,94107\n001B,Globex,10001\n"
    (tmp_path / "Account.csv").write_text(accounts, encoding="utf-8")
    assert run_cli("import", "accounts", "Account.csv", cwd=tmp_path).returncode == 0
    (tmp_path / source).write_text(
        "Id,AccountId,CreatedDate,StageName,Amount,CurrencyIsoCode,CloseDate\n"
        "006A,001A,2025-02-01,Closed Won,1000,EUR,2025-03-01\n"
        "006B,001B,2025-03-01,Closed Won,2000,USD,2025-04-01\n"
        "006C,001B,2025-04-01,Prospecting,500,gbp,\n",
        encoding="utf-8",
    )
    (tmp_path / rates).write_text("currency,rate\nEUR,1.08\nGBP,1.27\n", encoding="utf-8")
    result = run_cli(*args, "-f", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accepted"] == 3
    exported = run_cli("export", "opportunities", "out.csv", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    import csv

    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        amounts = {row["id"]: float(row["amount"]) for row in csv.DictReader(handle)}
    assert amounts == {"006A": 1080.0, "006B": 2000.0, "006C": 635.0}
