"""KPIs by territory of days before a realigned plan took effect count the accounts in its
territories as they are now: a realignment restated closed quarters without a word."""

from __future__ import annotations

from datetime import date, timedelta

from tests.conftest import seed_region_plan

from terraplan.planning.kpis import compute_kpis
from terraplan.services.kpi_notes import recut_note
from terraplan.services.monitoring_data import load_plan_data
from terraplan.services.new_plans import copy_plan
from terraplan.services.plan_lifecycle import activate_plan, change_status
from terraplan.storage.database import Database


def test_a_realigned_plan_says_that_earlier_days_are_recut(db: Database) -> None:
    seed_region_plan(db, n_accounts=200, seed=5)
    for step in ("in_review", "approved"):
        change_status(db, "P1", step)
    activate_plan(db, "P1", effective_from=date.today() - timedelta(days=400))
    copy = copy_plan(db, "P1", name="Realigned")
    for step in ("in_review", "approved"):
        change_status(db, copy.id, step)
    activate_plan(db, copy.id)
    data = load_plan_data(db, copy.id)
    assert data.as_of is not None
    frame = compute_kpis(data.inputs, as_of=data.as_of, periods=["YTD"], dimensions=["territory"])
    (note,) = recut_note(data, "territory", frame)
    assert note == (
        f"territory figures of days before {date.today()}, when plan {copy.id} took effect, "
        "count the accounts in its territories as they are now; plan P1, which it was made "
        "from, shows them in its own"
    )
    assert recut_note(data, "rep", frame) == []  # by rep, the owner of the day
    first = load_plan_data(db, "P1")  # archived, made from no plan: nothing to compare with
    assert recut_note(first, "territory", frame) == []
    # the HTML report shows the same territory figures, so it says the same
    from html import unescape

    from terraplan.services.monitoring import plan_report_html

    page = unescape(plan_report_html(db, copy.id))
    assert "count the accounts in its territories as they are now" in page
    assert "count the accounts in its territories" not in unescape(plan_report_html(db, "P1"))
