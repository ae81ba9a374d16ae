"""A plan is judged by its own balance criteria: the design's metrics, tolerances and
territories; named, overlay and catch-all territories and oversize units' own territories
are left out; flags override."""

from __future__ import annotations

import pytest

from terraplan.domain import Plan, Territory, TerritoryType
from terraplan.errors import InvalidParameterError
from terraplan.planning.alerts import evaluate_alerts
from terraplan.planning.balance_criteria import plan_balance_criteria
from terraplan.planning.kpi_balance import territory_balance

from .test_alerts import AS_OF, inputs

POTENTIALS = {"T1": 1000.0, "T2": 1080.0, "T3": 920.0, "BIG": 5000.0, "NAMED": 10.0}


def _plan(balance: dict[str, float] | None) -> Plan:
    territories = (
        Territory("T1", "North"),
        Territory("T2", "South"),
        Territory("T3", "East"),
        Territory("BIG", "Los Angeles"),
        Territory("NAMED", "Strategic accounts", type=TerritoryType.NAMED),
    )
    parameters = {"balance": balance} if balance is not None else {}
    return Plan(id="P1", name="Plan", territories=territories, parameters=parameters)


DESIGN = {
    "balance_criteria": {
        "metrics": {"potential": 0.10, "count": 0.15},
        "targets": {
            "T1": {"potential": 1000.0, "count": 1.0},
            "T2": {"potential": 1000.0, "count": 1.0},
            "T3": {"potential": 1000.0, "count": 1.0},
            "BIG": {"potential": 5000.0, "count": 1.0},
        },
        "totals": {"T1": {"potential": 1000.0}, "T2": {"potential": 1080.0}},
        "dedicated": [
            {"territory_id": "BIG", "unit_id": "06037", "unit": "Los Angeles County, CA"}
        ],
    }
}


def test_criteria_come_from_the_design_and_leave_out_named_and_oversize_territories() -> None:
    criteria = plan_balance_criteria(_plan({"potential": 0.10, "count": 0.15}), DESIGN)
    assert dict(criteria.tolerances) == {"potential": 0.10, "account_count": 0.15}
    assert criteria.territories == {"T1", "T2", "T3"}
    assert criteria.skipped == {
        "NAMED": "named territory",
        "BIG": "given to Los Angeles County, CA alone by the design",
    }
    assert criteria.weights["T1"]["potential"] == pytest.approx(1.0)
    assert criteria.describe() == "potential ±10%, account_count ±15% (from the plan's design)"

    frame = territory_balance(inputs(POTENTIALS), criteria=criteria)
    potential = frame.filter(frame["metric"] == "potential").sort("territory_id")
    assert potential["territory_id"].to_list() == ["T1", "T2", "T3"]
    assert potential["mean"].to_list() == pytest.approx([1000.0] * 3)
    assert potential["within_tolerance"].all()


def test_alerts_by_the_plans_criteria_stay_quiet_where_defaults_cry_realign() -> None:
    data = inputs(POTENTIALS)
    own = evaluate_alerts(
        data, as_of=AS_OF, criteria=plan_balance_criteria(_plan({"potential": 0.10}), DESIGN)
    )
    assert [a for a in own.alerts if a.kind == "balance"] == []
    assert not own.realignment.recommended
    # Without the plan's criteria, every territory is compared with the mean at 10 %:
    # BIG and NAMED are far off, the plan "needs" realigning.
    blind = evaluate_alerts(data, as_of=AS_OF)
    assert {a.subject_id for a in blind.alerts if a.kind == "balance"} >= {"BIG", "NAMED"}


def test_flags_override_the_design() -> None:
    plan = _plan({"potential": 0.10})
    tight = plan_balance_criteria(plan, DESIGN, tolerance=0.05)
    assert dict(tight.tolerances) == {"potential": 0.05}
    report = evaluate_alerts(inputs(POTENTIALS), as_of=AS_OF, criteria=tight)
    out = sorted(a.subject_id for a in report.alerts if a.kind == "balance")
    assert out == ["T2", "T3"]  # 1,080 and 920 against a target of 1,000 +-5 %
    assert "±5%" in next(a.reason for a in report.alerts if a.kind == "balance")

    chosen = plan_balance_criteria(plan, DESIGN, balance={"workload": 0.2, "count": 0.5})
    assert dict(chosen.tolerances) == {"workload": 0.2, "account_count": 0.5}
    assert chosen.source == "from the flags"
    with pytest.raises(InvalidParameterError, match="population"):
        plan_balance_criteria(plan, DESIGN, balance={"population": 0.1})


def test_undesigned_plan_uses_the_defaults_and_a_population_design_is_said() -> None:
    defaults = plan_balance_criteria(_plan(None))
    assert dict(defaults.tolerances) == {"potential": 0.1, "workload": 0.1, "account_count": 0.1}
    assert "not designed" in defaults.source
    assert defaults.territories == {"T1", "T2", "T3", "BIG"}
    population = plan_balance_criteria(_plan({"population": 0.05}))
    assert dict(population.tolerances) == {}
    assert dict(population.design_tolerances) == {"population": 0.05}
    assert dict(defaults.design_tolerances) == {}
    assert "population" in population.notes[0]
    report = evaluate_alerts(inputs(POTENTIALS), as_of=AS_OF, criteria=population)
    assert not [a for a in report.alerts if a.kind == "balance"]


def test_design_totals_are_the_drift_baseline() -> None:
    criteria = plan_balance_criteria(_plan({"potential": 0.10}), DESIGN)
    report = evaluate_alerts(inputs({**POTENTIALS, "T2": 1500.0}), as_of=AS_OF, criteria=criteria)
    drift = [a for a in report.alerts if a.kind == "drift"]
    assert [(a.subject_id, round(a.value or 0, 3)) for a in drift] == [("T2", 0.389)]


def test_a_territory_added_after_the_design_is_not_judged_by_its_band() -> None:
    """A vertical the rules added later has no design target: judged against the band (and
    in the mean) it flagged itself and its neighbours after every design."""
    plan = _plan({"potential": 0.10, "count": 0.15})
    plan = Plan(
        id=plan.id,
        name=plan.name,
        territories=(
            *plan.territories,
            Territory("HC", "Healthcare West", type=TerritoryType.VERTICAL),
            Territory("T4", "Split off by an edit"),
        ),
        parameters=plan.parameters,
    )
    criteria = plan_balance_criteria(plan, DESIGN)
    assert criteria.territories == {"T1", "T2", "T3", "T4"}
    assert criteria.skipped["HC"] == "added after the design, which gave it no target"
    # asked for by flags, every territory is judged as the flags say
    flagged = plan_balance_criteria(plan, DESIGN, balance={"potential": 0.1})
    assert "HC" in flagged.territories
