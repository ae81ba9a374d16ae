"""The map of a ZIP plan in a real Chromium: every ZIP drawn (it was a blank map), and with
many territories the labels written only where they have room (they piled up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from terraplan.config import Settings
from terraplan.domain import AlignmentEntry, Plan, RecordKind, Territory
from terraplan.domain.user import Role, User
from terraplan.io.zip_units import zip_geo_units
from terraplan.services.users import hash_password
from terraplan.storage import migrate
from terraplan.storage.database import Database
from terraplan.storage.unit_of_work import UnitOfWork

from .conftest import PASSWORD, _serve, shot

#: Massachusetts' ZIPs in this many territories: more than the map labels all at once.
TERRITORIES = 80


@pytest.fixture(scope="module")
def zip_server(tmp_path_factory: pytest.TempPathFactory, chromium: str) -> Iterator[str]:
    """A server on a database holding one ZIP plan: Massachusetts' ZIPs, west to east, in
    :data:`TERRITORIES` territories of consecutive ZIPs (as ``design --units zips`` saves)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('zip-web')}/terraplan.db"
    db = Database(url)
    migrate.upgrade(db)
    units = sorted(zip_geo_units(states={"MA"}), key=lambda u: u.longitude)
    size = -(-len(units) // TERRITORIES)
    plan = Plan(
        id="PZ",
        name="Massachusetts ZIPs",
        territories=tuple(Territory(f"T{i:02d}", f"Territory {i:02d}") for i in range(TERRITORIES)),
        alignment=tuple(
            AlignmentEntry(RecordKind.GEO_UNIT, u.id, f"T{i // size:02d}")
            for i, u in enumerate(units)
        ),
        parameters={"units": "zips", "states": ["MA"]},
    )
    with UnitOfWork(db) as uow:
        uow.plans.add(plan)
        uow.users.add(
            User(username="planner", role=Role.PLANNER),
            hash_password(PASSWORD),
            now=datetime.now(UTC),
        )
        uow.commit()
    db.dispose()
    with _serve(Settings(database_url=url, session_cookie_secure=False, job_workers=0)) as base:
        yield base


_LABEL_BOXES = """() => [...document.querySelectorAll('#map .territory-label')].map((e) => {
  const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"""


def _overlapping(boxes: list[list[float]]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i, a in enumerate(boxes)
        for j, b in enumerate(boxes[:i])
        if a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1
    ]


def test_a_zip_plan_is_drawn_with_labels_that_do_not_pile_up(
    page_as: Callable[..., object], zip_server: str, tmp_path: object
) -> None:
    n_zips = len(zip_geo_units(states={"MA"}))
    page = page_as("planner", server=zip_server)
    page.click("nav [data-view=map]")  # type: ignore[attr-defined]
    page.wait_for_selector(f"#map[data-units='{n_zips}']", timeout=60_000)  # type: ignore[attr-defined]
    shot(page, tmp_path, "zip-map")  # type: ignore[arg-type]
    shown = int(page.get_attribute("#map", "data-labels"))  # type: ignore[attr-defined]
    assert 0 < shown < TERRITORIES
    boxes = page.evaluate(_LABEL_BOXES)  # type: ignore[attr-defined]
    assert len(boxes) == shown and _overlapping(boxes) == []
    # Zoomed in, names that had no room come back (those in view), still apart.
    page.evaluate("() => { TPMap.map.setZoom(TPMap.map.getZoom() + 2, {animate: false}); }")  # type: ignore[attr-defined]
    page.wait_for_function(f"() => document.getElementById('map').dataset.labels !== '{shown}'")  # type: ignore[attr-defined]
    assert _overlapping(page.evaluate(_LABEL_BOXES)) == []  # type: ignore[attr-defined]
    assert page.errors == []  # type: ignore[attr-defined]
