"""The whole job on a Salesforce-style export with the usual mess, built here in code.

What real exports do that our demo does not: accounts arrive before the users they name,
states are typed by hand ("california", "Calif", "ca") beside ZIP+4 codes, industries are
empty, revenues carry thousands separators, ids repeat, one account is in Canada, the
opportunities come from a Windows spreadsheet (semicolons, cp1252, decimal commas), there is
no potential column and no sales line at all: revenue history is the won opportunities, and
it stops at 2026-10-31, in the middle of a year. Every step is asserted on its figures.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from terraplan.io.geocoding import ZipDirectory

RunCli = Callable[..., subprocess.CompletedProcess[str]]

STATES = {"CA": "California", "OR": "Oregon", "WA": "Washington", "NV": "Nevada"}
HISTORY_END = date(2026, 10, 31)
N_ACCOUNTS = 360


def _zip_pool(rng: random.Random) -> list[tuple[str, str]]:
    """Real ZIPs of the four states that have a county, as ``(zip, state)``, seeded choice."""
    table = ZipDirectory().table.to_pydict()
    pool = sorted(
        (code, state)
        for code, state, county in zip(
            table["zip"], table["state"], table["county_fips"], strict=True
        )
        if state in STATES and county
    )
    return rng.sample(pool, N_ACCOUNTS)


def _state_as_typed(code: str, i: int) -> str:
    name = STATES[code]
    return [name, name.lower(), code.lower(), code, name.upper(), f" {code} "][i % 6]


def _money(value: float, i: int) -> str:
    if i % 3 == 0:
        return f"{value:,.0f}"  # 1,200,000
    if i % 3 == 1:
        return f"{value:.0f}"
    return f"{value:,.2f}"  # 1,200,000.00


REPS = [
    ("0055e000001AAAA", "Dana Whitfield", "Account Executive", "94107"),
    ("0055e000001BBBB", "Luis Ortega", "Sales Rep", "97201"),
    ("0055e000001CCCC", "Mei Chen", "AE", "98101"),
    ("0055e000001DDDD", "Sam Patel", "rep", "89501"),
    ("0055e000001EEEE", "Jo Brennan", "Regional Sales Manager", "94105"),
]


def build_export(folder: Path, seed: int = 7) -> dict[str, Any]:
    """Write Account.csv, User.csv and Opportunity.csv; return what the test checks against."""
    rng = random.Random(seed)
    zips = _zip_pool(rng)
    sellers = [r[0] for r in REPS[:4]]
    accounts: list[dict[str, str]] = []
    for i, (code, state) in enumerate(zips):
        postal = f"{code}-{rng.randint(1000, 9999)}" if i % 4 == 0 else code
        accounts.append(
            {
                "Id": f"0015e00000{i:08d}",
                "Name": f"Compañía {i} Holdings" if i % 10 == 0 else f"Account {i} Inc.",
                "BillingStreet": f"{i} Main St",
                "BillingCity": "",
                "BillingState": _state_as_typed(state, i),
                "BillingPostalCode": postal,
                "BillingCountry": ["United States", "USA", "US", ""][i % 4],
                "Industry": "" if i % 7 == 0 else rng.choice(["Software", "Retail", "Health"]),
                "Type": rng.choice(["Customer - Direct", "Prospect"]),
                "NumberOfEmployees": str(rng.randint(5, 5000)),
                "AnnualRevenue": _money(rng.uniform(2e5, 9e7), i),
                "OwnerId": rng.choice(sellers),
            }
        )
    canadian = {
        **accounts[0],
        "Id": "0015e00000CANADA1",
        "Name": "Maple Leaf Supply",
        "BillingState": "ON",
        "BillingPostalCode": "M5V 2T6",
        "BillingCountry": "Canada",
    }
    duplicate = {**accounts[5], "Name": "Account 5 (second copy)"}
    rows = [*accounts, canadian, duplicate]
    with (folder / "Account.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    with (folder / "User.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Id", "Name", "Title", "PostalCode", "IsActive"])
        for rep_id, name, title, home in REPS:
            writer.writerow([rep_id, name, title, home, "true"])

    # Opportunities: a Windows export, semicolons, cp1252, decimal commas, amounts with a
    # thousands dot ("1.234,50"). Won ones are the only revenue history.
    won: dict[str, list[tuple[date, float]]] = defaultdict(list)
    opportunity_rows = []
    start = date(2024, 1, 1)
    span = (HISTORY_END - start).days
    for n in range(1400):
        account = accounts[rng.randrange(len(accounts))]
        close = start + timedelta(days=rng.randrange(span + 1))
        amount = round(rng.uniform(1_000, 250_000), 2)
        stage = rng.choice(["Closed Won", "Closed Won", "Closed Lost", "Negotiation"])
        if stage == "Negotiation":
            close = HISTORY_END + timedelta(days=rng.randrange(1, 120))
        is_closed = stage.startswith("Closed")
        is_won = stage == "Closed Won"
        if is_won:
            won[account["Id"]].append((close, amount))
        whole, cents = f"{amount:.2f}".split(".")
        opportunity_rows.append(
            [
                f"0065e00000{n:08d}",
                account["Id"],
                account["OwnerId"],
                f"Renewal – {account['Name']}",
                stage,
                f"{int(whole):,}".replace(",", ".") + "," + cents,
                close.strftime("%d/%m/%Y") if False else close.isoformat(),
                (close - timedelta(days=rng.randint(10, 200))).isoformat(),
                "true" if is_closed else "false",
                "true" if is_won else "false",
            ]
        )
    with (folder / "Opportunity.csv").open("w", newline="", encoding="cp1252") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            [
                "Id",
                "AccountId",
                "OwnerId",
                "Name",
                "StageName",
                "Amount",
                "CloseDate",
                "CreatedDate",
                "IsClosed",
                "IsWon",
            ]
        )
        writer.writerows(opportunity_rows)
    return {"accounts": accounts, "won": won, "zips": dict(zips)}


@pytest.fixture
def export(tmp_path: Path) -> dict[str, Any]:
    folder = tmp_path / "crm"
    folder.mkdir()
    facts = build_export(folder)
    facts["folder"] = folder
    return facts


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _query(database_url: str, sql: str) -> list[Any]:
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def test_whole_job_on_a_messy_salesforce_export(
    run_cli: RunCli, export: dict[str, Any], database_url: str
) -> None:
    folder: Path = export["folder"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, database_url=database_url)

    # Accounts first, before the users they name: kept, one warning, the duplicate reported.
    imported = cli(
        "import", "accounts", str(folder / "Account.csv"), "--on-error", "skip", "-f", "json"
    )
    report = _json(imported)
    assert report["accepted"] == N_ACCOUNTS + 1  # all but the second copy of one id
    errors = [i for i in report["issues"] if i["severity"] == "error"]
    assert [(e["row"], e["field"]) for e in errors] == [(N_ACCOUNTS + 3, "id")]
    assert "duplicate" in errors[0]["reason"]
    assert sum("not a known rep" in w for w in report["warnings"]) == 1
    outside = [i for i in report["issues"] if "outside the US" in i["reason"]]
    assert [(i["row"], i["value"]) for i in outside] == [(N_ACCOUNTS + 2, "Canada")]

    states = dict(_query(database_url, "SELECT id, state FROM accounts"))
    by_id = {a["Id"]: a for a in export["accounts"]}
    for account_id, state in states.items():
        if account_id in by_id:
            assert state == export["zips"][by_id[account_id]["BillingPostalCode"][:5]]
    assert states["0015e00000CANADA1"] == "ON"

    _json(cli("import", "reps", str(folder / "User.csv"), "-f", "json"))
    roles = dict(_query(database_url, "SELECT name, role FROM reps"))
    assert roles["Jo Brennan"] == "manager"
    assert {roles[r[1]] for r in REPS[:4]} == {"account_executive"}

    opportunities = _json(
        cli("import", "opportunities", str(folder / "Opportunity.csv"), "-f", "json")
    )
    assert opportunities["accepted"] == 1400
    assert opportunities["details"]["decimal"] == "comma"
    assert opportunities["details"]["encoding"] == "cp1252"
    won_total = sum(a for rows in export["won"].values() for _, a in rows)
    stored = _query(database_url, "SELECT SUM(amount) FROM opportunities WHERE is_won")
    assert float(stored[0][0]) == pytest.approx(won_total, abs=0.01)

    # No potential in a Salesforce export: the design stops and says how to supply it.
    refused = cli(
        "design",
        "--units",
        "counties",
        "--states",
        "CA,OR,WA,NV",
        "--territories",
        "4",
        "--balance",
        "potential:10%",
    )
    assert refused.returncode == 3
    assert "potential" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert _query(database_url, "SELECT COUNT(*) FROM plans")[0][0] == 0

    design = _json(
        cli(
            "design",
            "--units",
            "counties",
            "--states",
            "CA,OR,WA,NV",
            "--territories",
            "4",
            "--balance",
            "annual_revenue:25%",
            "--balance",
            "count:25%",
            "--seed",
            "3",
            "-f",
            "json",
        )
    )
    plan_id = design["plan_id"]
    assert design["all_within_tolerance"] is True

    applied = _json(cli("rules", "apply", "--plan", plan_id, "-f", "json"))
    tallies = {r["territory"]: r["accounts"] for r in applied["territories"]}
    assert tallies.pop("(gap)") == 1  # the Canadian account
    assert sum(tallies.values()) == N_ACCOUNTS  # every US account

    # A lead with coordinates routes by its ZIP's county, like the account at that ZIP.
    sample = export["accounts"][1]
    lead_zip = sample["BillingPostalCode"][:5]
    account_territory = _query(
        database_url,
        f"SELECT territory_id FROM assignments WHERE record_id = '{sample['Id']}'",
    )[0][0]
    routed = _json(
        cli(
            "route",
            "--postal-code",
            lead_zip,
            "--field",
            "latitude=37.0",
            "--field",
            "longitude=-120.0",
            "--plan",
            plan_id,
            "-f",
            "json",
        )
    )
    assert routed["territory_id"] == account_territory

    _json(cli("match", "--plan", plan_id, "--apply", "-f", "json"))
    out_of_sync = _query(
        database_url,
        "SELECT COUNT(*) FROM accounts a JOIN assignments s ON s.record_id = a.id "
        "WHERE s.record_kind = 'account' AND s.status = 'assigned' "
        "AND (a.owner_id IS NULL OR a.owner_id <> s.owner_id)",
    )
    assert out_of_sync[0][0] == 0

    # No potential: the default blend stops and says to use history alone.
    blend = cli("targets", "--plan", plan_id, "--period", "2027")
    assert blend.returncode == 3
    assert "--method history" in " ".join(blend.stderr.split())
    targets = _json(
        cli(
            "targets",
            "--plan",
            plan_id,
            "--growth",
            "8%",
            "--period",
            "2027",
            "--months",
            "--method",
            "history",
            "-f",
            "json",
        )
    )
    assert targets["revenue_source"] == "opportunities"
    assert targets["basis"]["window"] == "last 12 months to 2026-10-31"
    territory_of = dict(
        _query(
            database_url,
            "SELECT record_id, territory_id FROM assignments WHERE record_kind = 'account' "
            "AND status = 'assigned'",
        )
    )
    window: dict[str, float] = defaultdict(float)
    for account_id, rows in export["won"].items():
        for close, amount in rows:
            if date(2025, 11, 1) <= close <= HISTORY_END and account_id in territory_of:
                window[territory_of[account_id]] += amount
    history = {t["territory_id"]: t["history"] for t in targets["territories"]}
    assert history.keys() == window.keys()
    for territory, amount in window.items():
        assert history[territory] == pytest.approx(amount, abs=0.01)
    # The history behind the targets is the KPIs' revenue over the same twelve months.
    monthly_kpis = _json(
        cli(
            "kpis",
            "--plan",
            plan_id,
            "--by",
            "territory",
            "--period",
            "month",
            "--kpi",
            "revenue",
            "-f",
            "json",
        )
    )
    kpi_window: dict[str, float] = defaultdict(float)
    for row in monthly_kpis:
        if "2025-11" <= row["period"] <= "2026-10":
            kpi_window[row["key"]] += row["revenue"]
    for territory, amount in history.items():
        assert kpi_window[territory] == pytest.approx(amount, abs=0.01)
    assert len(targets["monthly"]) == len(window)
    for row in targets["monthly"]:
        months = [v for k, v in row.items() if k.startswith("2027-")]
        assert len(months) == 12
        assert all(v > 0 for v in months)
        assert sum(months) == pytest.approx(row["total"])

    done = cli("kpis", "--plan", plan_id, "--by", "territory", "--period", "2025", "-f", "json")
    # No sales lines: the output says where its revenue comes from.
    assert "revenue is the amount of Closed Won opportunities" in " ".join(done.stderr.split())
    kpis = _json(done)
    revenue_2025 = {row["key"]: row["revenue"] for row in kpis}
    expected: dict[str, float] = defaultdict(float)
    for account_id, rows in export["won"].items():
        for close, amount in rows:
            if close.year == 2025 and territory_of.get(account_id):
                expected[territory_of[account_id]] += amount
    assert expected
    for territory, amount in expected.items():
        assert revenue_2025[territory] == pytest.approx(amount, abs=0.01)

    # The plan is within its own tolerance: no balance alert, no realignment.
    alerts = _json(cli("alerts", "--plan", plan_id, "-f", "json"))
    assert alerts["balance_criteria"]["source"] == "from the plan's design"
    assert not [a for a in alerts["alerts"] if a["kind"] == "balance"]
    assert alerts["realignment"]["recommended"] is False
