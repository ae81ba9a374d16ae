"""A rep between territories (no plan holds one of theirs) opens the app while the company
has plans: the page said "No plan to show yet: planners make the plans; ask one." (there
are plans) and showed the Move units panel (Move, Undo, Lock…) to a rep."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from terraplan.domain.user import Role, User
from terraplan.services.users import hash_password
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .conftest import PASSWORD


def test_a_rep_with_no_territory_is_told_so_and_gets_no_edit_tools(
    page_as: Callable[..., object], web_database: str
) -> None:
    db = Database(web_database)
    with UnitOfWork(db) as uow:
        if uow.users.find("alice-between") is None:
            uow.users.add(
                User(username="alice-between", role=Role.REP, rep_id="REP-BETWEEN"),
                hash_password(PASSWORD),
                now=datetime.now(UTC),
            )
            uow.commit()
    db.dispose()
    page = page_as("alice-between")
    message = page.inner_text("#message")  # type: ignore[attr-defined]
    assert message == "No plan has a territory of yours yet: a planner gives you one; ask them."
    assert page.locator("#edit-panel").is_hidden()  # type: ignore[attr-defined]
    assert page.errors == []  # type: ignore[attr-defined]
