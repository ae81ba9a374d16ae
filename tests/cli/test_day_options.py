"""A day given as an option (``--as-of``, ``--since``, ``--effective``, ``--on``) is a calendar
date written YYYY-MM-DD; anything else is refused the same way for every command, naming the
option and showing the form (exit 2), before any work is done."""

from __future__ import annotations

import pytest
from tests.cli.conftest import RunCli


@pytest.mark.parametrize(
    ("args", "option", "given"),
    [
        (("owners", "A1", "--on", "2026-13-01"), "--on", "2026-13-01"),
        (("plans", "activate", "P1", "--effective", "31/12/2026"), "--effective", "31/12/2026"),
        (("kpis", "--sql", "duckdb", "--as-of", "20260331"), "--as-of", "20260331"),
        (("kpis", "--sql", "duckdb", "--since", "2025-1-1"), "--since", "2025-1-1"),
    ],
)
def test_a_day_option_that_is_not_a_date_is_refused_by_name(
    run_cli: RunCli, args: tuple[str, ...], option: str, given: str
) -> None:
    refused = run_cli(*args)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"{option} '{given}' is not a date: write it as YYYY-MM-DD" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_day_option_takes_the_calendar_form_only() -> None:
    from datetime import date

    from terraplan.cli.day_option import parse_day

    assert parse_day(" 2026-03-31 ", "--on") == date(2026, 3, 31)
    assert parse_day(None, "--on") is None
    for text in ("2026-W13-2", "20260331", "2026-02-30"):
        with pytest.raises(ValueError, match=r"--on .* is not a date"):
            parse_day(text, "--on")


def test_a_day_the_calendar_lacks_says_how_many_days_its_month_has(run_cli: RunCli) -> None:
    # month-end reporting: 29 February of a year that has none
    refused = run_cli("kpis", "--sql", "duckdb", "--as-of", "2026-02-29")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    said = " ".join(refused.stderr.split())
    assert "--as-of '2026-02-29' is not a date: no such day (February 2026 has 28 days)" in said
