"""One currency across imports: amounts of a later file in another currency than stored ones
are refused (nothing written), converted ones and deliberate switches go in, and a file that
names no currency is noted as taken to be in the stored one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from terraplan.errors import DataError
from terraplan.io.currency import Currencies
from terraplan.io.table_source import parse_source
from terraplan.services.imports import import_file
from terraplan.services.source_imports import import_source
from terraplan.services.status import database_status
from terraplan.storage.database import Database


def _count(db: Database, sql: str) -> float:
    with db.engine.connect() as connection:
        return float(connection.execute(text(sql)).scalar_one() or 0)


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def euro_lines(db: Database, tmp_path: Path) -> Database:
    """Two accounts and their sales lines, in EUR (named by a CurrencyIsoCode column)."""
    _write(tmp_path / "Account.csv", "Id,Name", ["A1,Acme", "A2,Globex"])
    import_file(db, tmp_path / "Account.csv", "accounts")
    _write(
        tmp_path / "SalesLines.csv",
        "Id,AccountId,Date,Amount,CurrencyIsoCode",
        ["L1,A1,2025-01-05,100,EUR", "L2,A2,2025-02-05,300,EUR"],
    )
    outcome = import_file(db, tmp_path / "SalesLines.csv", "sales_lines")
    assert "amounts are in EUR (column 'CurrencyIsoCode')" in outcome.report.warnings
    return db


def _dollar_opportunities(tmp_path: Path) -> Path:
    return _write(
        tmp_path / "Opportunity.csv",
        "Id,AccountId,CreatedDate,StageName,Amount,CurrencyIsoCode,CloseDate",
        [
            "O1,A1,2025-01-10,Prospecting,1000,USD,",
            "O2,A2,2025-02-10,Closed Won,500,USD,2025-03-10",
        ],
    )


def test_dollars_after_euros_are_refused_and_nothing_is_written(
    euro_lines: Database, tmp_path: Path
) -> None:
    db = euro_lines
    runs = _count(db, "SELECT COUNT(*) FROM import_runs")
    with pytest.raises(DataError) as refused:
        import_file(db, _dollar_opportunities(tmp_path), "opportunities")
    message = refused.value.message
    assert (
        "Opportunity.csv: amounts are in USD (column 'CurrencyIsoCode', first at row 2),"
        " but the sales lines" in message
    )
    assert message.endswith("; nothing was imported")
    assert "SalesLines.csv" in message and "are in EUR" in message
    assert "--rates" in message and "--currency EUR" in message
    assert refused.value.details["stored_currency"] == "EUR"
    assert _count(db, "SELECT COUNT(*) FROM opportunities") == 0
    assert _count(db, "SELECT COUNT(*) FROM import_runs") == runs

    # Converted to EUR with a rate, the same file goes in, recorded as EUR.
    euros = Currencies.of("EUR", {"USD": 0.9}, source="rates.csv")
    outcome = import_file(db, tmp_path / "Opportunity.csv", "opportunities", currencies=euros)
    assert outcome.written == 2
    assert _count(db, "SELECT SUM(amount) FROM opportunities") == pytest.approx(1350.0)
    assert _count(db, "SELECT COUNT(*) FROM import_runs WHERE currency = 'EUR'") == 2
    assert database_status(db).currencies == {"sales_lines": "EUR", "opportunities": "EUR"}


def test_a_file_naming_no_currency_is_taken_in_the_stored_one(
    euro_lines: Database, tmp_path: Path
) -> None:
    path = _write(tmp_path / "more-lines.csv", "Id,AccountId,Date,Amount", ["L3,A1,2025-03-05,50"])
    outcome = import_file(euro_lines, path, "sales_lines")
    notes = [w for w in outcome.report.warnings if "currency" in w]
    assert len(notes) == 1
    assert notes[0].startswith("no currency named: amounts taken to be in EUR, like the sales")
    assert _count(euro_lines, "SELECT COUNT(*) FROM sales_lines") == 3
    # accounts without an AnnualRevenue column carry no amounts: no note
    _write(tmp_path / "more-accounts.csv", "Id,Name", ["A3,Initech"])
    accounts = import_file(euro_lines, tmp_path / "more-accounts.csv", "accounts")
    assert not [w for w in accounts.report.warnings if "currency" in w]


def test_account_revenue_in_another_currency_is_refused(
    euro_lines: Database, tmp_path: Path
) -> None:
    _write(
        tmp_path / "Account2.csv",
        "Id,Name,AnnualRevenue,CurrencyIsoCode",
        ["A1,Acme,2000000,GBP"],
    )
    with pytest.raises(
        DataError, match=r"amounts are in GBP \(column 'CurrencyIsoCode', first at row 2\), but the"
    ):
        import_file(euro_lines, tmp_path / "Account2.csv", "accounts")
    assert _count(euro_lines, "SELECT COUNT(*) FROM accounts WHERE annual_revenue > 0") == 0


def test_naming_the_reporting_currency_switches_on_purpose(
    euro_lines: Database, tmp_path: Path
) -> None:
    dollars = Currencies.of("USD", source="--currency")
    outcome = import_file(
        euro_lines, _dollar_opportunities(tmp_path), "opportunities", currencies=dollars
    )
    assert outcome.written == 2
    notes = [w for w in outcome.report.warnings if "re-import them" in w]
    assert len(notes) == 1 and "the sales lines imported from" in notes[0]
    assert "are in EUR, not USD" in notes[0]
    # the same kind re-imported in the named currency replaces its own: no note about itself
    again = _write(
        tmp_path / "SalesLines.csv",
        "Id,AccountId,Date,Amount,CurrencyIsoCode",
        ["L1,A1,2025-01-05,110,USD", "L2,A2,2025-02-05,330,USD"],
    )
    replaced = import_file(euro_lines, again, "sales_lines", currencies=dollars)
    assert not [w for w in replaced.report.warnings if "re-import them" in w]
    # now every stored kind is in USD: a plain USD file needs no flag
    plain = import_file(euro_lines, _dollar_opportunities(tmp_path), "opportunities")
    assert plain.written == 2


def test_records_gone_no_longer_bind_the_currency(euro_lines: Database, tmp_path: Path) -> None:
    with euro_lines.engine.begin() as connection:
        connection.execute(text("DELETE FROM sales_lines"))
    outcome = import_file(euro_lines, _dollar_opportunities(tmp_path), "opportunities")
    assert outcome.written == 2


def test_a_database_source_is_checked_the_same_way(euro_lines: Database, tmp_path: Path) -> None:
    path = tmp_path / "crm.db"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE opps (Id TEXT, AccountId TEXT, CreatedDate TEXT, StageName TEXT,"
            " Amount REAL, CurrencyIsoCode TEXT, CloseDate TEXT)"
        )
        connection.executemany(
            "INSERT INTO opps VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ("O1", "A1", "2025-01-10", "Prospecting", 1000.0, "USD", None),
                ("O2", "A2", "2025-02-10", "Closed Won", 5.0, "USD", "2025-03-10"),
            ],
        )
    source = parse_source(f"sqlite:///{path}?table=opps")
    assert source is not None
    with pytest.raises(
        DataError,
        match=r"amounts are in USD \(column 'CurrencyIsoCode', first at row 1\), but the sales",
    ):
        import_source(euro_lines, source, "opportunities", batch_rows=1)
    assert _count(euro_lines, "SELECT COUNT(*) FROM opportunities") == 0


# --- amounts written with a currency symbol ---------------------------------------------


def _lines(tmp_path: Path, name: str, amounts: list[str]) -> Path:
    rows = [f'S{i},A1,2025-03-0{i},"{amount}"' for i, amount in enumerate(amounts, start=1)]
    return _write(tmp_path / name, "Id,AccountId,Date,Amount", rows)


def test_dollar_amounts_after_euros_are_refused(euro_lines: Database, tmp_path: Path) -> None:
    """``$3000`` is not in EUR: the file is refused, not noted as taken to be in EUR."""
    before = _count(euro_lines, "SELECT COUNT(*) FROM sales_lines")
    with pytest.raises(DataError) as refused:
        import_file(euro_lines, _lines(tmp_path, "usd.csv", ["$3000"]), "sales_lines")
    message = refused.value.message
    assert (
        "usd.csv: amounts are in USD (column 'Amount', first at row 2, written with $)" in message
    )
    assert "are in EUR" in message and "--currency EUR" in message
    assert refused.value.details["where"] == "column 'Amount', first at row 2, written with $"
    assert _count(euro_lines, "SELECT COUNT(*) FROM sales_lines") == before
    # converted with a rate for the dollar, the file goes in, in EUR
    euros = Currencies.of("EUR", {"USD": 0.9}, source="rates.csv")
    outcome = import_file(euro_lines, tmp_path / "usd.csv", "sales_lines", currencies=euros)
    assert outcome.written == 1
    assert _count(euro_lines, "SELECT amount FROM sales_lines WHERE id = 'S1'") == 2700.0


def test_pound_amounts_are_stored_as_gbp_and_refuse_euros_later(
    db: Database, tmp_path: Path
) -> None:
    _write(tmp_path / "Account.csv", "Id,Name", ["A1,Acme"])
    import_file(db, tmp_path / "Account.csv", "accounts")
    pounds = import_file(db, _lines(tmp_path, "gbp.csv", ["£1000", "£500", "20"]), "sales_lines")
    assert pounds.report.details["amounts_currency"] == "GBP"
    assert database_status(db).currencies == {"sales_lines": "GBP"}
    euros = _write(tmp_path / "eur.csv", "Id,AccountId,Date,Amount", ["E1,A1,2025-03-05,EUR 100"])
    with pytest.raises(DataError, match=r"amounts are in EUR \(column 'Amount', first at row 2\)"):
        import_file(db, euros, "sales_lines")
    assert _count(db, "SELECT SUM(amount) FROM sales_lines") == 1520.0


def test_dollar_amounts_follow_the_dollar_the_import_names(db: Database, tmp_path: Path) -> None:
    _write(tmp_path / "Account.csv", "Id,Name", ["A1,Acme"])
    import_file(db, tmp_path / "Account.csv", "accounts")
    cad = import_file(
        db,
        _lines(tmp_path, "cad.csv", ["$100"]),
        "sales_lines",
        currencies=Currencies.of("CAD", source="--currency"),
    )
    assert cad.report.details["amounts_currency"] == "CAD"
    assert database_status(db).currencies == {"sales_lines": "CAD"}
    # a later plain $ file is read as USD by default: refused beside the Canadian dollars
    with pytest.raises(DataError, match=r"amounts are in USD .*are in CAD"):
        import_file(db, _lines(tmp_path, "more.csv", ["$5"]), "sales_lines")


def test_yen_amounts_name_no_currency_but_are_told_from_euros(
    euro_lines: Database, tmp_path: Path
) -> None:
    yen = _lines(tmp_path, "yen.csv", ["¥3000"])
    with pytest.raises(DataError) as refused:
        import_file(euro_lines, yen, "sales_lines")
    assert (
        "amounts written with ¥ (column 'Amount', first at row 2) are in JPY or CNY, but the"
        " sales lines imported from SalesLines.csv" in refused.value.message
    )
    assert refused.value.details["stored_currency"] == "EUR"
    # named with --currency JPY and converted, it goes in
    euros = Currencies.of("EUR", {"JPY": 0.006}, source="rates.csv")
    assert import_file(euro_lines, yen, "sales_lines", currencies=euros).written == 1


def test_yen_amounts_beside_stored_yen_go_in(db: Database, tmp_path: Path) -> None:
    _write(tmp_path / "Account.csv", "Id,Name", ["A1,Acme"])
    import_file(db, tmp_path / "Account.csv", "accounts")
    first = _lines(tmp_path, "jpy.csv", ["¥3000"])
    import_file(db, first, "sales_lines", currencies=Currencies.of("JPY", source="--currency"))
    again = import_file(db, _lines(tmp_path, "more.csv", ["¥10", "¥20"]), "sales_lines")
    assert again.written == 2
    assert any(
        w.startswith("amounts written with ¥ taken to be in JPY") for w in again.report.warnings
    )


def test_the_stored_currency_named_is_of_the_same_kind(
    euro_lines: Database, tmp_path: Path
) -> None:
    """Targets in USD beside sales lines in EUR: more sales lines naming no currency are taken
    in the sales lines' EUR, and the note says so (it named the targets before)."""
    _write(tmp_path / "reps.csv", "Id,Name", ["R1,Ann"])
    import_file(euro_lines, tmp_path / "reps.csv", "reps")
    usd = Currencies.of("USD", {"EUR": 1.1}, source="rates.csv")
    _write(
        tmp_path / "targets.csv",
        "rep_id,period_start,period_end,amount,CurrencyIsoCode",
        ["R1,2025-01-01,2025-12-31,1000,USD"],
    )
    import_file(euro_lines, tmp_path / "targets.csv", "targets", currencies=usd)
    path = _write(tmp_path / "more-lines.csv", "Id,AccountId,Date,Amount", ["L3,A1,2025-03-05,50"])
    outcome = import_file(euro_lines, path, "sales_lines")
    notes = [w for w in outcome.report.warnings if "currency" in w]
    assert any(
        n.startswith("no currency named: amounts taken to be in EUR, like the sales") for n in notes
    ), notes


def test_the_first_file_naming_a_currency_says_what_it_makes_of_unnamed_amounts(
    db: Database, tmp_path: Path
) -> None:
    """Amounts stored by files that named no currency, then a file in EUR: from then on the
    earlier ones count as EUR (and a USD file is refused against them). It went in with no
    word; now the import says so, naming what was stored."""
    _write(tmp_path / "Account.csv", "Id,Name", ["A1,Acme"])
    import_file(db, tmp_path / "Account.csv", "accounts")
    plain = _write(tmp_path / "plain.csv", "Id,AccountId,Date,Amount", ["L1,A1,2025-01-05,100"])
    assert not [w for w in import_file(db, plain, "sales_lines").report.warnings if "currenc" in w]
    euros = _write(
        tmp_path / "euros.csv",
        "Id,AccountId,CreatedDate,StageName,Amount,CurrencyIsoCode,CloseDate",
        ["O1,A1,2025-01-10,Closed Won,1000,EUR,2025-02-10"],
    )
    outcome = import_file(db, euros, "opportunities")
    assert (
        "the amounts stored before (1 sales lines) name no currency: from now on they count "
        "as EUR, like this file; if they are in another currency, re-import them converted "
        "to EUR (--rates, --currency EUR)"
    ) in outcome.report.warnings
