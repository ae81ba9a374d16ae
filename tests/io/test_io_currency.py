"""Currencies of the money kinds: the columns CRMs export, converted amounts, rates, refusals.

Files are built in code the way the CRMs write them; each test asserts the amounts read, which
would be wrong if currencies were summed as one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from terraplan.errors import DataError, InvalidParameterError
from terraplan.io import iter_records, load_file
from terraplan.io.currency import Currencies, parse_rates, read_currencies, symbol_currency

FORMATS = ["csv", "xlsx", "parquet"]
USD = Currencies.of("USD", {"EUR": 1.08, "GBP": 1.25}, source="rates.csv")


def _amounts(result: Any) -> dict[str, float]:
    return {r["id"]: r["amount"] for r in iter_records(result.frame)}


def _load(path: Path, kind: str = "opportunities", **kwargs: Any) -> Any:
    return load_file(path, kind, geocode=False, **kwargs)


# --- converted amount columns ---------------------------------------------------------------

SALESFORCE_REPORT = """\
Opportunity ID,Account ID,Created Date,Close Date,Stage,Amount Currency,Amount,Amount (converted) Currency,Amount (converted)
006A,001A,2025-01-10,2025-04-01,Closed Won,EUR,"1,000.00",USD,"1,080.00"
006B,001A,2025-02-10,2025-04-01,Closed Won,GBP,500.00,USD,625.00
006C,001B,2025-03-10,2025-04-01,Prospecting,USD,200.00,USD,200.00
006D,001B,2025-03-11,2025-04-01,Prospecting,JPY,n/a,USD,90.50
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_salesforce_report_reads_the_converted_amount(make_file: Any, fmt: str) -> None:
    result = _load(make_file(SALESFORCE_REPORT, fmt))
    report = result.report
    assert report.ok, report.summary()
    assert _amounts(result) == {"006A": 1080.0, "006B": 625.0, "006C": 200.0, "006D": 90.5}
    assert report.columns["Amount (converted)"] == "amount"
    assert report.columns["Amount (converted) Currency"] == "currency"
    notes = [w for w in report.warnings if "amount" in w.lower()]
    assert notes == [
        "amounts read from column 'Amount (converted)' in USD"
        " (converted amounts; column 'Amount' is not used)"
    ]


def test_a_converted_column_without_its_currency_says_so(make_file: Any) -> None:
    text = "Id,AccountId,CreatedDate,StageName,Amount,Amount (converted)\n006A,001A,2025-01-10,New,10,12\n"
    result = _load(make_file(text))
    assert _amounts(result) == {"006A": 12.0}
    assert (
        "amounts read from column 'Amount (converted)' in the corporate currency (the file does"
        " not name it) (converted amounts; column 'Amount' is not used)" in result.report.warnings
    )


def test_dynamics_amount_base_is_the_amount(make_file: Any) -> None:
    text = (
        "Line ID,Account ID,Date,Amount,Currency,Amount (Base)\n"
        "L1,001A,2025-01-10,100,Euro,108\nL2,001A,2025-01-11,50,Pound Sterling,62.5\n"
    )
    result = _load(make_file(text), "sales_lines")
    assert result.report.ok, result.report.summary()
    assert _amounts(result) == {"L1": 108.0, "L2": 62.5}


def test_a_mapped_amount_keeps_its_place(make_file: Any) -> None:
    text = "Id,AccountId,CreatedDate,StageName,Betrag,Amount (converted)\n006A,001A,2025-01-10,New,10,12\n"
    result = _load(make_file(text), mapping={"Betrag": "amount"})
    assert _amounts(result) == {"006A": 10.0}
    assert any(
        "'Amount (converted)' (converted amounts) is ignored" in w for w in result.report.warnings
    )


# --- a record currency column -----------------------------------------------------------------

DATA_EXPORT = """\
Id,AccountId,CreatedDate,CloseDate,StageName,Amount,CurrencyIsoCode
006A,001A,2025-01-10,2025-04-01,Closed Won,1000,EUR
006B,001A,2025-02-10,2025-04-01,Closed Won,400,GBP
006C,001B,2025-03-10,2025-04-01,Closed Won,200,USD
006D,001B,2025-03-11,2025-04-01,Closed Won,300,eur
006E,001B,2025-03-12,2025-04-01,Closed Won,50,
006F,001B,2025-03-13,2025-04-01,Closed Won,80,usd
"""


@pytest.mark.parametrize("fmt", FORMATS)
def test_three_currencies_without_rates_are_refused(make_file: Any, fmt: str) -> None:
    path = make_file(DATA_EXPORT, fmt)
    result = _load(path)
    report = result.report
    assert not report.ok
    assert result.frame.height == 0 and report.accepted == 0 and report.rejected == 6
    [error] = report.file_errors
    assert (error.file, error.row, error.field) == (str(path), None, "currency")
    first = 1 if fmt == "parquet" else 2  # the record index + 1, or the CSV/sheet line
    assert error.reason.startswith(
        f"amounts in 3 currencies (column 'CurrencyIsoCode': EUR: 2 rows, first at row {first};"
        f" GBP: 1 row, first at row {first + 1}; USD: 2 rows, first at row {first + 2};"
        " no currency: 1 row)"
    )
    assert "'Amount (converted)'" in error.reason and "--rates" in error.reason


@pytest.mark.parametrize("fmt", FORMATS)
def test_rates_convert_every_amount_to_the_reporting_currency(make_file: Any, fmt: str) -> None:
    result = _load(make_file(DATA_EXPORT, fmt), currencies=USD)
    report = result.report
    assert report.ok, report.summary()
    amounts = _amounts(result)
    assert amounts == {
        "006A": 1080.0,
        "006B": 500.0,
        "006C": 200.0,
        "006D": 324.0,
        "006E": 50.0,  # blank: the reporting currency
        "006F": 80.0,
    }
    assert sum(amounts.values()) == pytest.approx(2234.0)
    assert report.warnings[-2:] == [
        "amounts converted to USD with rates.csv: EUR at 1.08 (2 rows), GBP at 1.25 (1 row)",
        "1 row with no currency read as USD (the reporting currency)",
    ]


def test_a_currency_without_a_rate_is_an_error_on_its_rows(make_file: Any) -> None:
    text = DATA_EXPORT + "006G,001B,2025-03-14,2025-04-01,Closed Won,9000,jpy\n"
    result = _load(make_file(text), currencies=USD)
    errors = [(i.row, i.field, i.value, i.reason) for i in result.report.errors]
    assert errors == [
        (8, "currency", "JPY", "no exchange rate for JPY in rates.csv; add a line JPY,rate")
    ]
    assert set(_amounts(result)) == {"006A", "006B", "006C", "006D", "006E", "006F"}


def test_codes_that_are_not_three_letters_are_row_errors(make_file: Any) -> None:
    text = (
        "Id,AccountId,CreatedDate,StageName,Amount,CurrencyIsoCode\n"
        "006A,001A,2025-01-10,New,10,EUR\n006B,001A,2025-01-10,New,10,€\n"
        "006C,001A,2025-01-10,New,10,Euros\n006D,001A,2025-01-10,New,10, eur \n"
    )
    result = _load(make_file(text))
    errors = [(i.row, i.column, i.field, i.value) for i in result.report.errors]
    assert errors == [
        (3, "CurrencyIsoCode", "currency", "€"),
        (4, "CurrencyIsoCode", "currency", "Euros"),
    ]
    assert "3-letter currency code" in result.report.errors[0].reason
    assert _amounts(result) == {"006A": 10.0, "006D": 10.0}
    assert "amounts are in EUR (column 'CurrencyIsoCode')" in result.report.warnings


def test_dynamics_currency_names_read_as_codes(make_file: Any) -> None:
    # Dynamics 365 shows the currency lookup by its name: these rows used to be errors
    text = (
        "Opportunity,Account,Created On,Status,Est. Revenue,Currency,Est. Close Date\n"
        "O1,A1,2025-01-10,Won,100,US Dollar,2025-02-01\nO2,A1,2025-01-11,Won,100,Euro,2025-02-01\n"
        "O3,A1,2025-01-12,Won,100,pound  sterling,2025-02-01\n"
        "O4,A1,2025-01-13,Won,100,Dollar,2025-02-01\n"
    )
    mapping = {"Opportunity": "id", "Account": "account_id", "Created On": "created_date",
               "Status": "stage", "Est. Revenue": "amount", "Est. Close Date": "close_date"}  # fmt: skip
    result = _load(make_file(text), mapping=mapping, currencies=USD)
    errors = [(i.row, i.value) for i in result.report.errors]
    assert errors == [(5, "Dollar")]  # a bare "Dollar" is not guessed
    assert _amounts(result) == {"O1": 100.0, "O2": 108.0, "O3": 125.0}


def test_one_currency_throughout_is_fine_and_named(make_file: Any) -> None:
    text = (
        "Deal ID,account_id,created_date,close_date,stage,Amount,deal_currency_code\n"
        "D1,C1,2025-01-10,2025-02-01,closedwon,100,EUR\nD2,C1,2025-01-11,2025-02-01,appointmentscheduled,50,\n"
    )
    result = _load(make_file(text))
    assert result.report.ok, result.report.summary()
    assert _amounts(result) == {"D1": 100.0, "D2": 50.0}
    assert result.report.warnings[-2:] == [
        "amounts are in EUR (column 'deal_currency_code')",
        "1 row with no currency read as EUR (the file's one currency)",
    ]


def test_currency_notes_count_the_rows_imported_not_the_rows_refused(make_file: Any) -> None:
    # D3 has no currency but is refused for its date; D4 is the file's only GBP row and is
    # refused for its stage: neither is imported, so neither is counted or judged
    text = (
        "Deal ID,account_id,created_date,close_date,stage,Amount,Currency\n"
        "D1,C1,2025-01-10,2025-02-01,closedwon,100,EUR\nD2,C1,2025-01-11,2025-02-01,closedwon,50,\n"
        "D3,C1,not a date,2025-02-01,closedwon,70,\nD4,C1,2025-01-12,2025-02-01,,90,GBP\n"
    )
    result = _load(make_file(text))
    assert [(i.row, i.field) for i in result.report.errors] == [(4, "created_date"), (5, "stage")]
    assert not result.report.file_errors
    assert _amounts(result) == {"D1": 100.0, "D2": 50.0}
    assert result.report.details["currencies"] == {"EUR": 1}
    assert result.report.warnings[-2:] == [
        "amounts are in EUR (column 'Currency')",
        "1 row with no currency read as EUR (the file's one currency)",
    ]


def test_one_currency_other_than_the_reporting_one_needs_a_rate(make_file: Any) -> None:
    text = (
        "Deal ID,account_id,created_date,close_date,stage,Amount,Currency\n"
        "D1,C1,2025-01-10,2025-02-01,closedwon,100,eur\nD2,C1,2025-01-11,2025-02-01,closedwon,50,EUR\n"
    )
    path = make_file(text)
    refused = _load(path, currencies=Currencies.of("USD"))
    [error] = refused.report.file_errors
    assert error.reason.startswith("amounts are in EUR (column 'Currency': EUR: 2 rows")
    assert "not in the reporting currency USD" in error.reason
    assert refused.frame.height == 0
    converted = _load(path, currencies=USD)
    assert _amounts(converted) == {"D1": 108.0, "D2": 54.0}


def test_targets_and_costs_convert_too(make_file: Any) -> None:
    quotas = (
        "Id,QuotaOwnerId,StartDate,EndDate,QuotaAmount,CurrencyIsoCode\n"
        "Q1,R1,2025-01-01,2025-12-31,100000,GBP\nQ2,R2,2025-01-01,2025-12-31,100000,USD\n"
    )
    targets = _load(make_file(quotas), "targets", currencies=USD)
    assert _amounts(targets) == {"Q1": 125000.0, "Q2": 100000.0}
    assert not _load(make_file(quotas), "targets").report.ok
    spend = (
        "Cost ID,Territory,Start,End,Spend,Spend Currency\n"
        "C1,T1,2025-01-01,2025-03-31,1000,EUR\nC2,T1,2025-04-01,2025-06-30,1000,EUR\n"
    )
    costs = _load(make_file(spend), "acquisition_costs", currencies=USD)
    assert _amounts(costs) == {"C1": 1080.0, "C2": 1080.0}


def test_a_mapping_renames_currency_columns_and_values(make_file: Any) -> None:
    text = "Id,AccountId,CreatedDate,StageName,Amount,Währung\n006A,001A,2025-01-10,New,10,Euro\n006B,001A,2025-01-10,New,10,Dollar\n"
    mapping = {
        "columns": {"Währung": "currency"},
        "values": {"currency": {"euro": "EUR", "Dollar": "USD"}},
    }
    result = _load(make_file(text), mapping=mapping, currencies=USD)
    assert result.report.ok, result.report.summary()
    assert _amounts(result) == {"006A": 10.8, "006B": 10.0}


def test_accounts_keep_a_currency_column_as_an_attribute(make_file: Any) -> None:
    text = "Id,Name,CurrencyIsoCode\n001A,Acme,EUR\n"
    result = load_file(make_file(text), "accounts", geocode=False)
    assert result.report.ok
    assert next(iter_records(result.frame))["attributes"] == {"CurrencyIsoCode": "EUR"}


# --- rates ------------------------------------------------------------------------------------


def test_a_rates_file_names_its_reporting_currency(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("currency;rate\neur;1,08\nUSD;1\n\nGBP;1.25\n", encoding="utf-8")
    rates = read_currencies(path)
    assert (rates.reporting, dict(rates.rates)) == ("USD", {"EUR": 1.08, "GBP": 1.25})
    assert rates.rate("USD") == 1.0 and rates.rate("JPY") is None
    named = read_currencies(path, "usd")
    assert named.reporting == "USD"


@pytest.mark.parametrize(
    ("text", "reporting", "reason"),
    [
        ("currency,rate\nEUR,1.08\nGBP,1.25\n", None, "name the reporting currency"),
        ("EUR,1.08\nEUR,1.1\n", "USD", "rates.csv:2: EUR is given twice"),
        ("EUR,-1\n", "USD", "rates.csv:1: the rate of EUR must be > 0"),
        ("currency,rate\nEUR,abc\n", "USD", "rates.csv:2: rate 'abc' is not a number"),
        ("EURO,1.1\n", "USD", "'EURO' is not a 3-letter currency code"),
        ("currency,rate\n", "USD", "no rates"),
        ("USD,1.2\nEUR,1.1\n", "USD", "the reporting currency USD has rate 1.2"),
        # a decimal comma in a comma-separated line read as the rate 1
        ("EUR,1,08\nUSD,1\n", "USD", "rates.csv:1: 'EUR,1,08' has more than two cells"),
    ],
)
def test_bad_rates_files_are_refused(
    tmp_path: Path, text: str, reporting: str | None, reason: str
) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_currencies(path, reporting)
    assert str(path) in caught.value.message or "rates.csv:" in caught.value.message
    assert reason in caught.value.message


def test_inline_rates_and_a_bad_reporting_currency() -> None:
    assert dict(Currencies.of("usd", parse_rates("EUR:1.08, gbp=1.25")).rates) == {
        "EUR": 1.08,
        "GBP": 1.25,
    }
    with pytest.raises(InvalidParameterError, match="3-letter"):
        Currencies.of("US Dollar")
    with pytest.raises(InvalidParameterError, match="must be a number > 0, got 'x'"):
        Currencies.of("USD", parse_rates("EUR:x"))  # as written, not 'nan'
    with pytest.raises(InvalidParameterError, match="must be a number > 0, got 'nan'"):
        Currencies.of("USD", parse_rates("EUR:nan"))


def test_amounts_written_with_two_currency_symbols_are_refused(make_file: Any) -> None:
    text = (
        "Line ID,Account ID,Date,Amount\n"
        'L1,001A,2025-01-10,"€ 1,000"\nL2,001A,2025-01-11,$500\nL3,001A,2025-01-12,€20\n'
    )
    refused = _load(make_file(text), "sales_lines")
    [error] = refused.report.file_errors
    assert error.reason.startswith(
        "amounts carry 2 currency symbols (column 'Amount': $: 1 row, first at row 3;"
        " €: 2 rows, first at row 2) and no currency column says which currency each is in"
    )
    one = _load(make_file(text.replace("$", "€")), "sales_lines")
    assert one.report.ok, one.report.summary()
    assert _amounts(one) == {"L1": 1000.0, "L2": 500.0, "L3": 20.0}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_formatted_report_writes_the_code_in_the_amount(make_file: Any, fmt: str) -> None:
    """Salesforce's formatted reports write ``EUR 1,000.00``: the code is the row's currency."""
    text = (
        "Opportunity ID,Account ID,Created Date,Stage,Amount\n"
        '006A,001A,2025-01-10,New,"EUR 1,000.00"\n006B,001A,2025-01-10,New,USD 250.00\n'
        '006C,001A,2025-01-10,New,"2,000.00 GBP"\n006D,001A,2025-01-10,New,75\n'
    )
    path = make_file(text, fmt)
    refused = _load(path)
    [error] = refused.report.file_errors
    first = 2
    assert error.reason.startswith(
        f"amounts in 3 currencies (column 'Amount': EUR: 1 row, first at row {first};"
    )
    result = _load(path, currencies=USD)
    assert result.report.ok, result.report.summary()
    assert _amounts(result) == {"006A": 1080.0, "006B": 250.0, "006C": 2500.0, "006D": 75.0}
    assert result.report.columns["Amount"] == "amount"
    one = _load(make_file(text.replace("USD", "EUR").replace("GBP", "EUR"), fmt))
    assert one.report.ok, one.report.summary()
    assert _amounts(one) == {"006A": 1000.0, "006B": 250.0, "006C": 2000.0, "006D": 75.0}
    assert "amounts are in EUR (column 'Amount')" in one.report.warnings
    words = _load(make_file(text.replace("EUR 1,000.00", "1.5 Mio"), fmt), currencies=USD)
    assert [(e.row, e.field, e.reason) for e in words.report.errors] == [
        (2, "amount", "not a number")
    ]


# --- accounts: annual revenue in the account's currency ---------------------------------------

ACCOUNTS = """\
Account ID,Account Name,Billing Zip/Postal Code,Account Currency,Annual Revenue
001A,Acme GmbH,10115,EUR,"1,000,000.00"
001B,Acme Ltd,94107,GBP,"2,000,000.00"
001C,Acme Inc,94107,USD,"3,000,000.00"
"""


def _revenues(result: Any) -> dict[str, float]:
    return {r["id"]: r["annual_revenue"] for r in iter_records(result.frame)}


def test_account_revenue_in_several_currencies_is_refused_without_rates(make_file: Any) -> None:
    """A multi-currency org exports AnnualRevenue in each account's currency: summed as one
    (or compared with a rule's 'annual revenue over 1 million'), the figures would be wrong."""
    result = _load(make_file(ACCOUNTS), "accounts")
    assert not result.report.ok
    reasons = " ".join(issue.reason for issue in result.report.file_errors)
    assert "amounts in 3 currencies" in reasons and "EUR: 1 row" in reasons


def test_account_revenue_is_converted_with_rates(make_file: Any) -> None:
    result = _load(make_file(ACCOUNTS), "accounts", currencies=USD)
    assert result.report.ok, result.report.summary()
    assert _revenues(result) == {"001A": 1_080_000.0, "001B": 2_500_000.0, "001C": 3_000_000.0}
    assert "currency" not in result.frame.columns  # read, never stored


def test_account_revenue_converted_by_the_crm_is_read_as_it_is(make_file: Any) -> None:
    text = (
        "Account ID,Account Name,Billing Zip/Postal Code,Annual Revenue Currency,Annual Revenue,"
        "Annual Revenue (converted)\n"
        "001A,Acme GmbH,10115,EUR,1000,1080\n001B,Acme Ltd,94107,GBP,2000,2500\n"
    )
    result = _load(make_file(text), "accounts")
    assert result.report.ok, result.report.summary()
    assert _revenues(result) == {"001A": 1080.0, "001B": 2500.0}


def test_accounts_of_one_currency_import_as_before(make_file: Any) -> None:
    text = "id,name,postal_code,annual_revenue\n001A,Acme,94107,1000\n"
    result = _load(make_file(text), "accounts")
    assert result.report.ok and _revenues(result) == {"001A": 1000.0}
    assert not [w for w in result.report.warnings if "currenc" in w]


def test_a_currency_symbol_names_its_currency() -> None:
    assert symbol_currency("€", Currencies()) == "EUR"
    assert symbol_currency("£", Currencies.of("USD")) == "GBP"
    assert symbol_currency("$", Currencies()) == "USD"
    assert symbol_currency("$", Currencies.of("cad")) == "CAD"
    assert symbol_currency("$", Currencies.of("EUR", {"AUD": 0.6})) == "AUD"
    assert symbol_currency("$", Currencies.of("EUR", {"AUD": 0.6, "USD": 0.9})) == "USD"
    assert symbol_currency("¥", Currencies()) is None
    assert symbol_currency("¥", Currencies.of("EUR", {"CNY": 0.13})) == "CNY"


def test_amounts_written_with_one_symbol_carry_its_currency(make_file: Any) -> None:
    text = 'Line ID,Account ID,Date,Amount\nL1,001A,2025-01-10,"€ 1,000"\nL2,001A,2025-01-11,20\n'
    path = make_file(text)
    plain = _load(path, "sales_lines")
    assert plain.report.details["amounts_currency"] == "EUR"
    assert not [w for w in plain.report.warnings if w.startswith("amounts are in")]
    assert "1 row with no currency read as EUR (the file's one currency)" in plain.report.warnings
    refused = _load(path, "sales_lines", currencies=Currencies.of("USD"))
    [error] = refused.report.file_errors
    assert error.reason.startswith(
        "amounts are in EUR (column 'Amount': EUR: 1 row, first at row 2"
    )
    assert "not in the reporting currency USD" in error.reason
    converted = _load(path, "sales_lines", currencies=USD)
    assert converted.report.ok, converted.report.summary()
    assert _amounts(converted) == {"L1": 1080.0, "L2": 20.0}
    dollars = _load(make_file(text.replace("€ ", "$")), "sales_lines")
    assert dollars.report.details["amounts_currency"] == "USD"
    euros = Currencies.of("EUR", {"GBP": 1.2}, source="rates.csv")
    missing = _load(make_file(text.replace("€ ", "$")), "sales_lines", currencies=euros)
    assert [(e.row, e.field, e.reason) for e in missing.report.errors] == [
        (2, "currency", "no exchange rate for USD in rates.csv; add a line USD,rate")
    ]


def test_a_symbol_beside_codes_in_one_column_names_its_own_currency(make_file: Any) -> None:
    """$500 among CHF 1'000.50 cells was stored as 500 CHF (the file's one code)."""
    text = (
        "Opportunity ID,Account ID,Created Date,Stage,Amount\n"
        "006A,001A,2025-01-10,Prospecting,CHF 1'000.50\n"
        "006B,001A,2025-01-11,Prospecting,$500\n"
    )
    refused = _load(make_file(text))
    [error] = refused.report.file_errors
    assert error.reason.startswith("amounts in 2 currencies")
    assert "CHF: 1 row" in error.reason and "USD: 1 row" in error.reason
    converted = _load(
        make_file(text), currencies=Currencies.of("USD", {"CHF": 1.1}, source="rates.csv")
    )
    assert converted.report.ok, converted.report.summary()
    assert _amounts(converted) == {"006A": pytest.approx(1100.55), "006B": 500.0}
    yen = _load(make_file(text.replace("$500", "¥100000")))
    assert any("names no one currency" in issue.reason for issue in yen.report.issues), (
        yen.report.summary()
    )
