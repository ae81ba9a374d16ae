from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from terraplan.domain import PlanStatus
from terraplan.errors import DataError
from terraplan.services.imports import import_file
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

GOOD = "id,name,postal_code,potential\nA1,Acme,94107,100\nA2,Beta,10001,200\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_writes_rows_and_reimport_upserts(db: Database, tmp_path: Path) -> None:
    outcome = import_file(db, _write(tmp_path, "a.csv", GOOD), "accounts")
    assert (outcome.written, outcome.report.accepted, outcome.report.rejected) == (2, 2, 0)
    changed = "id,name,potential\nA2,Beta Corp,250\n"
    import_file(db, _write(tmp_path, "b.csv", changed), "accounts")
    with UnitOfWork(db) as uow:
        assert uow.accounts.count() == 2
        beta = uow.accounts.get("A2")
    assert (beta.name, beta.potential) == ("Beta Corp", 250.0)
    # Columns the second file does not carry keep their stored values.
    assert beta.postal_code == "10001"
    assert beta.county_fips == "36061"  # geocoded from ZIP 10001 (New York County)


def test_abort_writes_nothing_and_names_the_row(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "a.csv", GOOD), "accounts")
    bad = "id,name,postal_code,potential\nA3,Gamma,94107,10\nA4,Delta,94107,-5\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "bad.csv", bad), "accounts")
    assert "bad.csv:3" in caught.value.message
    assert "nothing was imported" in caught.value.message
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["field"]) for i in issues] == [(3, "potential")]
    with UnitOfWork(db) as uow:
        assert uow.accounts.ids() == {"A1", "A2"}


def test_skip_writes_the_good_rows(db: Database, tmp_path: Path) -> None:
    bad = "id,name,postal_code,potential\nA3,Gamma,94107,10\nA4,Delta,94107,-5\n"
    outcome = import_file(db, _write(tmp_path, "bad.csv", bad), "accounts", on_error="skip")
    assert (outcome.written, outcome.report.rejected) == (1, 1)
    with UnitOfWork(db) as uow:
        assert uow.accounts.ids() == {"A3"}


def test_references_are_checked_against_stored_records(db: Database, tmp_path: Path) -> None:
    import_file(db, _write(tmp_path, "a.csv", GOOD), "accounts")
    lines = "id,account_id,date,amount\nS1,A1,2025-01-31,10\nS2,ZZ,2025-01-31,5\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "s.csv", lines), "sales_lines")
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["field"]) for i in issues] == [(3, "account_id")]


def test_an_unreadable_file_is_refused_before_any_write(db: Database, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"missing\.csv"):
        import_file(db, tmp_path / "missing.csv", "accounts")
    with pytest.raises(DataError, match="required column 'name' is missing"):
        import_file(
            db, _write(tmp_path, "n.csv", "id,potential\nA9,1\n"), "accounts", on_error="skip"
        )


_CHILD = textwrap.dedent(
    """
    import sys
    from terraplan.services.imports import import_file
    from terraplan.storage.database import Database

    def progress(step, done, total):
        if step.startswith("write") and done == 0:
            print("WRITING", flush=True)

    import_file(Database(sys.argv[1]), sys.argv[2], "accounts", progress=progress)
    print("COMMITTED", flush=True)
    """
)


def test_a_kill_during_the_write_leaves_the_database_as_it_was(
    db: Database, tmp_path: Path
) -> None:
    import_file(db, _write(tmp_path, "a.csv", GOOD), "accounts")
    big = tmp_path / "big.csv"
    with big.open("w", encoding="utf-8") as handle:
        handle.write("id,name,postal_code,potential\n")
        for i in range(150_000):
            handle.write(f"K{i},Company {i},94107,{i}\n")
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, db.url, str(big)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "WRITING", child.communicate()[1]
    child.send_signal(signal.SIGKILL)
    out, _ = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert "COMMITTED" not in out
    with UnitOfWork(db) as uow:
        assert uow.accounts.ids() == {"A1", "A2"}


def test_report_serialises_to_json(db: Database, tmp_path: Path) -> None:
    outcome = import_file(db, _write(tmp_path, "a.csv", GOOD), "accounts")
    payload = json.loads(json.dumps(outcome.report.to_dict()))
    assert payload["accepted"] == 2
    assert payload["columns"]["postal_code"] == "postal_code"


# --- ordinary CRM exports and hostile files (issues 10.6, 15.3, 15.4) --------------------


def test_accounts_before_reps_keep_their_owner(db: Database, tmp_path: Path) -> None:
    accounts = "Id,Name,BillingPostalCode,OwnerId\nA1,Acme,94107,005A\nA2,Beta,10001,005B\n"
    outcome = import_file(db, _write(tmp_path, "Account.csv", accounts), "accounts")
    assert outcome.written == 2 and outcome.report.warnings == [
        "2 accounts name an owner that is not a known rep yet (e.g. 005A): kept;"
        " import reps to resolve"
    ]
    reps = "Id,Name,Title\n005A,Ann,Sales Rep\n005B,Bob,Regional Sales Manager\n"
    mapping = _write(
        tmp_path,
        "map.yaml",
        "columns: {}\nvalues:\n  role: {Regional Sales Manager: manager}\n",
    )
    import_file(db, _write(tmp_path, "User.csv", reps), "reps", mapping=mapping)
    again = import_file(db, _write(tmp_path, "Account2.csv", accounts), "accounts")
    assert again.report.warnings == []
    with UnitOfWork(db) as uow:
        owners = {a.id: a.owner_id for a in uow.accounts.list()}
        roles = {r.id: r.role.value for r in uow.reps.list()}
    assert owners == {"A1": "005A", "A2": "005B"}
    assert roles == {"005A": "account_executive", "005B": "manager"}


def test_declared_decimal_comma_reaches_the_database(db: Database, tmp_path: Path) -> None:
    text = "id;name;potential;annual_revenue\nA1;Acme;1.200;1.200,5\nA2;Beta;7;1.000.000\n"
    path = _write(tmp_path, "eu.csv", text)
    import_file(db, path, "accounts", decimal="comma")
    with UnitOfWork(db) as uow:
        got = {a.id: (a.potential, a.annual_revenue) for a in uow.accounts.list()}
    assert got == {"A1": (1200.0, 1200.5), "A2": (7.0, 1_000_000.0)}


def test_ambiguous_numbers_write_nothing(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, "amb.csv", "id;name;potential\nA1;Acme;1.200\nA2;Beta;5\n")
    with pytest.raises(DataError) as caught:
        import_file(db, path, "accounts")
    assert "amb.csv:2" in caught.value.message and "ambiguous number" in caught.value.message
    with UnitOfWork(db) as uow:
        assert uow.accounts.count() == 0


def test_header_bomb_and_impossible_dates_write_nothing(db: Database, tmp_path: Path) -> None:
    bomb = _write(tmp_path, "bomb.csv", "," * 1_000_000 + "\nx\n")
    with pytest.raises(DataError, match="the limit is 2,000"):
        import_file(db, bomb, "accounts")
    import_file(db, _write(tmp_path, "a.csv", GOOD), "accounts")
    opps = (
        "id,account_id,created_date,amount,stage\n"
        "O1,A1,2024-01-01,5,Open\nO2,A1,0000-01-01,5,Open\n"
    )
    with pytest.raises(DataError, match="out of range"):
        import_file(db, _write(tmp_path, "o.csv", opps), "opportunities")
    outcome = import_file(db, tmp_path / "o.csv", "opportunities", on_error="skip")
    assert (outcome.written, outcome.report.rejected) == (1, 1)
    with UnitOfWork(db) as uow:
        assert [o.created_date.year for o in uow.opportunities.list()] == [2024]


def _store_plans(db: Database, plans: dict[str, list[str]]) -> None:
    from terraplan.domain import Plan, Territory

    with UnitOfWork(db) as uow:
        for plan_id, territories in plans.items():
            uow.plans.add(
                Plan(
                    id=plan_id,
                    name=plan_id,
                    territories=tuple(Territory(t, t) for t in territories),
                )
            )
        uow.commit()


def _stored_target_plans(db: Database) -> dict[str, str | None]:
    with UnitOfWork(db) as uow:
        return {t.id: t.plan_id for t in uow.records("targets").list()}


QUOTAS = (
    "id,Territory,Start Date,End Date,Quota\n"
    'Q1,T01,1/1/2025,3/31/2025,"$250,000"\n'
    'Q2,T02,1/1/2025,3/31/2025,"$200,000"\n'
)


def test_quotas_without_a_plan_take_their_territorys_plan(db: Database, tmp_path: Path) -> None:
    # A quota file without a plan column used to import with exit 0 and count in no plan's
    # KPIs (target and attainment empty).
    _store_plans(db, {"P1": ["T01", "T02"]})
    outcome = import_file(db, _write(tmp_path, "q.csv", QUOTAS), "targets")
    assert outcome.written == 2
    assert outcome.report.warnings == [
        "2 targets name no plan: given the plan of the territory (e.g. T01 -> P1)"
    ]
    assert _stored_target_plans(db) == {"Q1": "P1", "Q2": "P1"}
    rep = "id,rep_id,period_start,period_end,amount\nR1,R9,2025-01-01,2025-12-31,5\n"
    import_file(db, _write(tmp_path, "reps.csv", "id,name\nR9,Ann\n"), "reps")
    outcome = import_file(db, _write(tmp_path, "r.csv", rep), "targets")
    assert outcome.report.warnings == [
        "1 rep target names no plan: given the only plan, P1",
        # the quotas' $ named USD
        "no currency named: amounts taken to be in USD, like the targets imported from q.csv"
        f" on {datetime.now(UTC):%Y-%m-%d}",
    ]
    assert _stored_target_plans(db)["R1"] == "P1"


def test_quotas_naming_a_territory_of_several_plans_need_the_plan(
    db: Database, tmp_path: Path
) -> None:
    _store_plans(db, {"P1": ["T01", "T02"], "P2": ["T01"]})
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "q.csv", QUOTAS), "targets")
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["field"], i["reason"]) for i in issues] == [
        (
            2,
            "territory_id",
            "territory 'T01' is in several plans (P1, P2), none of them or several active:"
            " name one in a plan_id column",
        )
    ]
    wrong = "id,territory,plan,start,end,quota\nQ1,T02,P2,2025-01-01,2025-03-31,5\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "w.csv", wrong), "targets")
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["reason"]) for i in issues] == [
        (2, "territory 'T02' is not in plan P2 (it is in P1)")
    ]
    rep = "id,rep_id,period_start,period_end,amount\nR1,R9,2025-01-01,2025-12-31,5\n"
    import_file(db, _write(tmp_path, "reps.csv", "id,name\nR9,Ann\n"), "reps")
    outcome = import_file(db, _write(tmp_path, "r.csv", rep), "targets")
    assert outcome.report.warnings == [
        "1 rep target names no plan: kept, but no plan's KPIs count them; name the plan in a"
        " plan_id column"
    ]
    assert _stored_target_plans(db) == {"R1": None}


def test_quotas_of_a_territory_several_plans_hold_go_to_the_active_one(
    db: Database, tmp_path: Path
) -> None:
    """A scenario copies its plan's territory ids: a quota file without a plan column then
    goes to the active plan (with a warning), and so do rep targets."""
    _store_plans(db, {"P1": ["T01", "T02"], "P2": ["T01", "T02"], "P3": ["T01"]})
    with UnitOfWork(db) as uow:
        plan = uow.plans.get("P2")
        uow.plans.save(replace(plan, status=PlanStatus.ACTIVE))
        uow.commit()
    outcome = import_file(db, _write(tmp_path, "q.csv", QUOTAS), "targets")
    assert outcome.report.warnings == [
        "2 targets name no plan and a territory several plans hold: given the active plan"
        " (e.g. T01 -> P2)"
    ]
    assert _stored_target_plans(db) == {"Q1": "P2", "Q2": "P2"}
    rep = "id,rep_id,period_start,period_end,amount\nR1,R9,2025-01-01,2025-12-31,5\n"
    import_file(db, _write(tmp_path, "reps.csv", "id,name\nR9,Ann\n"), "reps")
    outcome = import_file(db, _write(tmp_path, "r.csv", rep), "targets")
    assert outcome.report.warnings == [
        "1 rep target names no plan: given the active plan, P2",
        # the quotas' $ named USD
        "no currency named: amounts taken to be in USD, like the targets imported from q.csv"
        f" on {datetime.now(UTC):%Y-%m-%d}",
    ]
    assert _stored_target_plans(db)["R1"] == "P2"


def test_acquisition_costs_belong_to_one_plan_like_targets(db: Database, tmp_path: Path) -> None:
    """Spend on a territory id that several plans hold would count in every one of them:
    a cost without a plan takes its territory's plan, or is an error naming the plans."""
    _store_plans(db, {"P1": ["T01", "T02"], "P2": ["T01"]})
    spend = "id,territory,start,end,spend\nC1,T02,2025-01-01,2025-03-31,500\n"
    outcome = import_file(db, _write(tmp_path, "c.csv", spend), "acquisition_costs")
    assert outcome.report.warnings == [
        "1 cost names no plan: given the plan of the territory (e.g. T02 -> P1)"
    ]
    shared = "id,territory,start,end,spend\nC2,T01,2025-01-01,2025-03-31,700\n"
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "s.csv", shared), "acquisition_costs")
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["field"], i["reason"]) for i in issues] == [
        (
            2,
            "territory_id",
            "territory 'T01' is in several plans (P1, P2), none of them or several active:"
            " name one in a plan_id column",
        )
    ]
    named = "id,territory,plan,start,end,spend\nC2,T01,P2,2025-01-01,2025-03-31,700\n"
    assert import_file(db, _write(tmp_path, "n.csv", named), "acquisition_costs").written == 1
    with UnitOfWork(db) as uow:
        stored = {c.id: c.plan_id for c in uow.records("acquisition_costs").list()}
    assert stored == {"C1": "P1", "C2": "P2"}


def test_targets_and_costs_of_an_archived_plan_are_refused(db: Database, tmp_path: Path) -> None:
    """An archived plan is read-only (`terraplan targets --plan` refuses it): an import
    naming it, or whose territory only it holds, is refused and writes nothing."""
    _store_plans(db, {"P1": ["T01", "T02"], "P2": ["T01"]})
    with UnitOfWork(db) as uow:
        uow.plans.save(replace(uow.plans.get("P1"), status=PlanStatus.ARCHIVED))
        uow.commit()
    quotas = (
        "id,territory,plan,period_start,period_end,amount\n"
        "Q1,T01,P1,2025-01-01,2025-12-31,100\nQ2,T02,,2025-01-01,2025-12-31,100\n"
        "Q3,T01,P2,2025-01-01,2025-12-31,100\n"
    )
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "q.csv", quotas), "targets")
    issues = caught.value.details["report"]["issues"]
    reason = (
        "plan P1 is archived and read-only: its targets cannot change (name another plan,"
        " or copy it: terraplan plans copy)"
    )
    assert [(i["row"], i["field"], i["reason"]) for i in issues] == [
        (2, "plan_id", reason),
        (3, "plan_id", reason),
    ]
    with UnitOfWork(db) as uow:
        assert uow.records("targets").list() == []


def test_rep_quotas_may_name_their_reps(db: Database, tmp_path: Path) -> None:
    """A quota sheet kept by hand names its reps, as a report's owner column does: a name
    one rep holds is that rep; a name two reps share is refused (it was "unknown rep")."""
    _store_plans(db, {"P1": ["T01"]})
    reps = "id,name\nR1,Alice Ng\nR2,Sam Park\nR3,Sam  park\n"
    import_file(db, _write(tmp_path, "reps.csv", reps), "reps")
    quotas = (
        "Quota Owner,Plan,Start Date,End Date,Quota Amount\n"
        "alice  ng,P1,2026-01-01,2026-01-31,50000\nSam Park,P1,2026-01-01,2026-01-31,40000\n"
    )
    with pytest.raises(DataError) as caught:
        import_file(db, _write(tmp_path, "q.csv", quotas), "targets")
    issues = caught.value.details["report"]["issues"]
    assert [(i["row"], i["field"]) for i in issues if i["severity"] == "error"] == [(3, "rep_id")]
    outcome = import_file(db, _write(tmp_path, "q.csv", quotas), "targets", on_error="skip")
    assert outcome.written == 1
    assert any(
        w.startswith("1 row names the rep by name (e.g. alice  ng -> R1)")
        for w in (outcome.report.warnings)
    )
    with UnitOfWork(db) as uow:
        assert [(t.rep_id, t.amount) for t in uow.records("targets").list()] == [("R1", 50000.0)]


def test_account_revenue_is_stored_in_the_reporting_currency(db: Database, tmp_path: Path) -> None:
    """A multi-currency org's accounts: AnnualRevenue in each account's currency is stored
    converted, and the currency column stays an attribute the rules can read."""
    from terraplan.io.currency import Currencies

    text = (
        "Account ID,Account Name,Billing Zip/Postal Code,CurrencyIsoCode,Annual Revenue\n"
        "001A,Acme GmbH,10115,EUR,1000000\n001B,Acme Inc,94107,USD,3000000\n"
    )
    path = _write(tmp_path, "a.csv", text)
    with pytest.raises(DataError):
        import_file(db, path, "accounts")
    rates = Currencies.of("USD", {"EUR": 1.1}, source="rates.csv")
    assert import_file(db, path, "accounts", currencies=rates).written == 2
    with UnitOfWork(db) as uow:
        stored = {a.id: (a.annual_revenue, a.attributes) for a in uow.records("accounts").list()}
    assert stored == {
        "001A": (1_100_000.0, {"CurrencyIsoCode": "EUR"}),
        "001B": (3_000_000.0, {"CurrencyIsoCode": "USD"}),
    }
