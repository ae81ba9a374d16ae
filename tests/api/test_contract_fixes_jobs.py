"""Fixes from the API review: a design job's bad parameters are refused when it is submitted
(C3), with the checks the job runs, and the schema's limits are the server's."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from terraplan.services.jobs import MAX_TRADEOFF_VALUES

BASE = {"units": "counties", "n_territories": 3, "states": ["RI"]}


@pytest.mark.parametrize(
    ("parameters", "path"),
    [
        ({**BASE, "balance": {"potential": -1}}, "parameters.balance"),
        ({**BASE, "balance": {"potential": 1.5}}, "parameters.balance"),
        (
            {**BASE, "windows": [{"metric": "potential", "lower": 10, "upper": 1}]},
            "parameters.windows.0",
        ),
        ({**BASE, "tradeoff": [0.01 * i for i in range(1, 14)]}, "parameters.tradeoff"),
        ({**BASE, "tradeoff": []}, "parameters.tradeoff"),
        ({**BASE, "tradeoff": [-0.1]}, "parameters.tradeoff"),
        ({**BASE, "plan_id": "bad id!"}, "parameters.plan_id"),
        ({**BASE, "states": ["XX"]}, "parameters.states"),
        ({}, "parameters.n_territories"),
        ({**BASE, "n_territories": True}, "parameters.n_territories"),
        ({**BASE, "n_territories": "3"}, "parameters.n_territories"),
    ],
)
def test_bad_design_parameters_are_refused_at_submit(
    as_user: Callable[..., TestClient], parameters: dict[str, object], path: str
) -> None:
    planner = as_user("planner")
    answer = planner.post("/jobs", json={"kind": "design", "parameters": parameters})
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    # the path is in the details (the states' refusal says it in words, not as a path)
    assert error["details"].get("field") == path or error["message"].startswith(path), answer.text
    assert planner.get("/jobs").json() == []  # nothing was queued


def test_unknown_states_are_named_in_plain_words(as_user: Callable[..., TestClient]) -> None:
    answer = as_user("planner").post(
        "/jobs", json={"kind": "design", "parameters": {**BASE, "states": ["XX", "YY"]}}
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["message"] == "No counties in the states XX, YY: check the state codes"
    assert error["details"]["field"] == "parameters.states"
    assert error["details"]["problems"] == [
        {"path": "parameters.states", "reason": error["message"]}
    ]


def test_good_design_parameters_are_still_queued(as_user: Callable[..., TestClient]) -> None:
    planner = as_user("planner")
    for parameters in (
        {**BASE, "balance": {"potential": 0.1}, "tradeoff": [0.05, 0.1]},
        {**BASE, "windows": [{"metric": "potential", "lower": 1, "upper": 10, "territory": "T9"}]},
        {"units": "counties", "n_territories": 2, "states": ["RI", "XX"], "plan_id": "D-1"},
    ):
        answer = planner.post("/jobs", json={"kind": "design", "parameters": parameters})
        assert answer.status_code == 202, answer.text


def test_the_schema_says_the_tradeoff_limit_the_server_has(
    as_user: Callable[..., TestClient],
) -> None:
    schema = as_user("planner").get("/openapi.json").json()["components"]["schemas"]
    tradeoff = schema["DesignJobParameters"]["properties"]["tradeoff"]["anyOf"][0]
    assert tradeoff["maxItems"] == MAX_TRADEOFF_VALUES == 12
    assert tradeoff["minItems"] == 1
    assert "pattern" in schema["DesignJobParameters"]["properties"]["plan_id"]
