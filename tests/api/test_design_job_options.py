"""A design job's keep-together groups, windows and travel costs through the API."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.domain import RecordKind
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

NYC = ("36005", "36047", "36061", "36081", "36085")


def _wait(client: TestClient, job_id: str, seconds: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def test_a_design_job_keeps_a_group_together_within_windows(
    db: Database, as_user: Callable[..., TestClient]
) -> None:
    planner = as_user("planner", job_workers=1)
    submitted = planner.post(
        "/jobs",
        json={
            "kind": "design",
            "parameters": {
                "states": ["NY"],
                "n_territories": 5,
                "contiguous": True,
                "method": "heuristic",
                "keep_together": {fips: "New York City" for fips in NYC},
                "windows": [{"metric": "population", "lower": 2.5e6, "upper": 9e6}],
            },
        },
    )
    assert submitted.status_code == 202, submitted.text
    job = _wait(planner, submitted.json()["id"])
    assert job["status"] == "succeeded", job["error"]
    summary = job["result"]["summary"]  # type: ignore[index]
    assert summary["keep_together"][0]["group"] == "New York City"
    assert summary["windows"]["T01"] == {"population": [2.5e6, 9e6]}
    assert summary["all_within_tolerance"]
    with UnitOfWork(db) as uow:
        plan = uow.plans.get(job["result"]["plan_id"])  # type: ignore[index]
    aligned = plan.alignment_map(RecordKind.GEO_UNIT)
    assert len({aligned[fips] for fips in NYC}) == 1
    assert plan.parameters["windows"] == [
        {"metric": "population", "lower": 2.5e6, "upper": 9e6, "territory": None}
    ]


def test_bad_design_options_are_refused_at_once_naming_the_json_path(
    as_user: Callable[..., TestClient],
) -> None:
    planner = as_user("planner")
    cases = [
        ({"windows": [{"metric": "potential", "upper": -5}]}, "parameters.windows.0.upper"),
        ({"windows": [{"metric": "potential"}]}, "windows[0]: give lower, upper or both"),
        ({"keep_together": "family"}, "parameters.keep_together"),
        ({"travel_costs": [{"unit": "34001", "rep": "R1"}]}, "parameters.travel_costs.0.minutes"),
        ({"n_territorys": 3}, "parameters.n_territorys"),
        # a typo of a few zeros, a seed or time no solver takes, a sweep of thousands
        ({"n_territories": 10**9}, "parameters.n_territories"),
        ({"seed": 10**40}, "parameters.seed"),
        ({"time_limit": 1e300}, "parameters.time_limit"),
        ({"tradeoff": [0.1] * 5_000}, "parameters.tradeoff"),
        ({"states": ["CA"] * 100_001}, "parameters.states"),
    ]
    for parameters, path in cases:
        answer = planner.post("/jobs", json={"kind": "design", "parameters": parameters})
        assert answer.status_code == 422, (parameters, answer.text)
        assert path in answer.json()["error"]["message"], answer.text
    schema = planner.get("/openapi.json").json()["components"]["schemas"]
    documented = schema["DesignJobParameters"]["properties"]
    assert {"keep_together", "windows", "travel_costs"} <= set(documented)


def test_more_territories_than_counties_fails_at_once_in_words(
    db: Database, as_user: Callable[..., TestClient]
) -> None:
    """Rhode Island's five counties into 10,000 territories: the job fails in a moment,
    saying so, instead of building lists for every territory first."""
    planner = as_user("planner", job_workers=1)
    started = time.monotonic()
    submitted = planner.post(
        "/jobs", json={"kind": "design", "parameters": {"states": ["RI"], "n_territories": 10_000}}
    )
    assert submitted.status_code == 202, submitted.text
    job = _wait(planner, submitted.json()["id"])
    assert job["status"] == "failed"
    error = job["error"]
    assert isinstance(error, dict)
    assert "5 counties cannot fill 10,000 territories: design at most 5" in error["message"]
    assert time.monotonic() - started < 60
