"""Comments and change requests follow what the caller sees: a comment on a territory (or a
unit or account in it) is listed only to those who see that territory; writing one about a
territory or account the caller cannot see is a 404, as for any hidden record.

Data as in :mod:`tests.api.test_access_matrix`: plan PN spans West (TN1, rep R1, account A1)
and East (TN2, rep R3, account A3); PW is all West (TW1: R1 and A1, TW2: R2 and A2). The
signed-in rep is R1, the manager leads the West (R1, R2).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from terraplan.storage.database import Database

from .test_access_matrix import _seed


def _bodies(client: TestClient, plan_id: str) -> list[str]:
    response = client.get(f"/plans/{plan_id}/comments")
    assert response.status_code == 200, response.text
    return [c["body"] for c in response.json()]


def test_comments_on_hidden_territories_are_not_listed(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    planner = as_user("planner")
    posts = [
        {"body": "on the plan"},
        {"body": "East rep is underperforming", "target_kind": "territory", "target_id": "TN2"},
        {"body": "West looks fine", "target_kind": "territory", "target_id": "TN1"},
        {"body": "about Crane", "target_kind": "account", "target_id": "A3"},
        {
            "body": "give Crane to the West",
            "proposed_edit": {"op": "move_accounts", "accounts": ["A3"], "to": "TN1"},
        },
    ]
    for post in posts:
        assert planner.post("/plans/PN/comments", json=post).status_code == 201
    everything = [p["body"] for p in posts]
    assert _bodies(planner, "PN") == everything
    assert _bodies(as_user("admin"), "PN") == everything
    for role in ("rep", "manager"):
        assert _bodies(as_user(role), "PN") == ["on the plan", "West looks fine"], role


def test_commenting_on_a_hidden_territory_or_account_is_a_404(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    rep, manager = as_user("rep"), as_user("manager")
    hidden = {"body": "hi", "target_kind": "territory", "target_id": "TN2"}
    for client in (rep, manager):
        response = client.post("/plans/PN/comments", json=hidden)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
        assert "TN2" in response.json()["error"]["message"]
    # A rep sees TW1 only; the West manager sees both West territories and accounts.
    other = {"body": "hi", "target_kind": "territory", "target_id": "TW2"}
    assert rep.post("/plans/PW/comments", json=other).status_code == 404
    assert manager.post("/plans/PW/comments", json=other).status_code == 201
    account = {"body": "Bolt?", "target_kind": "account", "target_id": "A2"}
    assert rep.post("/plans/PW/comments", json=account).status_code == 404
    assert manager.post("/plans/PW/comments", json=account).status_code == 201
    own = {"body": "mine", "target_kind": "territory", "target_id": "TW1"}
    assert rep.post("/plans/PW/comments", json=own).status_code == 201
    # Nothing was stored for the refused ones.
    assert _bodies(as_user("planner"), "PN") == []


def test_change_requests_naming_hidden_territories_are_refused_and_not_listed(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    rep, manager = as_user("rep"), as_user("manager")
    into_hidden = {
        "body": "take A1 East",
        "proposed_edit": {"op": "move_accounts", "accounts": ["A1"], "to": "TN2"},
    }
    rename_hidden = {
        "body": "rename",
        "proposed_edit": {
            "op": "batch",
            "edits": [{"op": "rename", "territory": "TN2", "name": "Far East"}],
        },
    }
    for client in (rep, manager):
        for request in (into_hidden, rename_hidden):
            response = client.post("/plans/PN/comments", json=request)
            assert response.status_code == 404, (request, response.text)
    ok = {"body": "rename mine", "proposed_edit": {"op": "rename", "territory": "TN1", "name": "W"}}
    created = rep.post("/plans/PN/comments", json=ok)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "change_request"
    planner = as_user("planner")
    assert planner.post("/plans/PN/comments", json=rename_hidden).status_code == 201
    assert _bodies(planner, "PN") == ["rename mine", "rename"]
    assert _bodies(rep, "PN") == ["rename mine"]
    assert _bodies(manager, "PN") == ["rename mine"]


def test_plan_permissions_say_what_each_role_may_do(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    _seed(db)
    everything = [
        "comment",
        "request_change",
        "edit_plan",
        "submit_plan",
        "approve_plan",
        "activate_plan",
    ]
    feedback = ["comment", "request_change"]
    expected = {
        # PW lies wholly in the West: its manager may approve it; PN spans two regions.
        ("planner", "PN"): everything,
        ("admin", "PW"): everything,
        ("manager", "PW"): [*feedback, "approve_plan"],
        ("manager", "PN"): feedback,
        ("rep", "PW"): feedback,
    }
    for (role, plan_id), actions in expected.items():
        response = as_user(role).get(f"/plans/{plan_id}/permissions")
        assert response.status_code == 200, response.text
        assert response.json() == {"actions": actions}, (role, plan_id)
    assert as_user("rep").get("/plans/PE/permissions").status_code == 404


def test_a_change_request_names_only_reps_the_requester_sees(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """A rep asking to hand their territory to an East rep they cannot see, or a manager
    putting another region's rep on their territory, is refused as a hidden record is; a
    request naming reps they see goes through."""
    _seed(db)
    rep, manager = as_user("rep"), as_user("manager")

    def ask(client: TestClient, reps: list[str]) -> int:
        edit = {"op": "set_owners", "territory": "TW1", "reps": reps}
        answer = client.post("/plans/PW/comments", json={"body": "owners", "proposed_edit": edit})
        return answer.status_code

    assert ask(rep, ["R3"]) == 404  # Eve East: not the rep's to name
    assert ask(rep, ["R2"]) == 404  # a West colleague the rep does not see either
    assert ask(rep, ["R1"]) == 201
    assert ask(manager, ["R3"]) == 404  # another region's rep
    assert ask(manager, ["R1", "R2"]) == 201
    nested = {"op": "batch", "edits": [{"op": "set_owners", "territory": "TW1", "reps": ["R3"]}]}
    refused = rep.post("/plans/PW/comments", json={"body": "b", "proposed_edit": nested})
    assert refused.status_code == 404
    assert "rep not found" in refused.json()["error"]["message"]


def test_one_person_writes_at_most_a_hundred_comments_on_a_plan_an_hour(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """A rep posted 3,000 comments in 42 s and made the plan's comment list 30 MB: the 101st
    in an hour is a 429 with Retry-After; other people and other plans are not held back."""
    from datetime import UTC, datetime

    from terraplan.storage.orm import CommentRow
    from terraplan.storage.unit_of_work import UnitOfWork

    _seed(db)
    with UnitOfWork(db) as uow:  # a hundred comments of the last hour, stored at once
        now = datetime.now(UTC).replace(tzinfo=None)
        uow.session.add_all(
            CommentRow(plan_id="PW", target_kind="plan", kind="comment", body=f"c{i}",
                       author="rep", created_at=now)
            for i in range(100)
        )  # fmt: skip
        uow.commit()
    rep = as_user("rep")
    refused = rep.post("/plans/PW/comments", json={"body": "one more"})
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "600"
    assert as_user("manager").post("/plans/PW/comments", json={"body": "fine"}).status_code == 201
    assert rep.post("/plans/PN/comments", json={"body": "elsewhere"}).status_code == 201


def test_a_misspelt_comment_field_is_refused_not_published_to_the_whole_plan(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """A rep writing about their own territory as ``territory_id`` (the name of that field
    everywhere else) got a 201 and a comment on the whole plan, which the other region's
    manager and every rep who sees the plan read. A field the API does not take is a 422
    naming it; nothing is written."""
    _seed(db)
    rep = as_user("rep")
    for post, field in (
        ({"body": "our pricing in Tulsa is too high", "territory_id": "TN1"}, "territory_id"),
        ({"text": "hi", "body": "hi"}, "text"),
    ):
        response = rep.post("/plans/PN/comments", json=post)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_parameter"
        assert field in response.json()["error"]["message"]
    assert _bodies(as_user("planner"), "PN") == []
    planner = as_user("planner")
    request = {
        "body": "give Crane to the West",
        "proposed_edit": {"op": "move_accounts", "accounts": ["A3"], "to": "TN1"},
    }
    created = planner.post("/plans/PN/comments", json=request).json()
    # the decision's note as "reason" was dropped: the rep read a rejection with no word why
    decision = planner.post(
        f"/comments/{created['id']}/decision", json={"accept": False, "reason": "not now"}
    )
    assert decision.status_code == 422, decision.text
    assert "reason" in decision.json()["error"]["message"]


def test_a_change_request_naming_a_rep_by_name_is_told_reps_go_by_id(
    as_user: Callable[[str], TestClient], db: Database
) -> None:
    """The West manager asked to give TW2 to "Rae West" (a name, as the CLI takes it) and read
    only that the change names something "not found": she sees Rae. The 404 now says that
    territories, accounts and reps go by id (and still not which one was not found)."""
    _seed(db)
    manager = as_user("manager")
    by_name = {
        "body": "Rae should take TW2",
        "proposed_edit": {"op": "set_owners", "territory": "TW2", "reps": ["Rae West"]},
    }
    response = manager.post("/plans/PW/comments", json=by_name)
    assert response.status_code == 404, response.text
    assert "named by its id" in response.json()["error"]["message"]
    by_id = {**by_name, "proposed_edit": {**by_name["proposed_edit"], "reps": ["R1"]}}
    assert manager.post("/plans/PW/comments", json=by_id).status_code == 201
