from __future__ import annotations

from terraplan.domain import GeoKind
from terraplan.io.zip_units import zip_geo_units


def test_zip_units_of_a_state_are_real_connected_and_symmetric() -> None:
    units = zip_geo_units(states={"RI"})
    by_id = {u.id: u for u in units}
    assert 60 < len(units) < 100  # Rhode Island has about 75 populated ZIPs
    assert all(u.kind is GeoKind.ZIP and u.state == "RI" for u in units)
    assert by_id["02903"].name.endswith("Providence")
    assert sum(u.attributes["population"] for u in units) > 1_000_000
    for unit in units:
        assert unit.neighbours, unit.id
        for other in unit.neighbours:
            assert unit.id in by_id[other].neighbours
    # One connected piece (Block Island keeps its shortest link).
    seen, stack = {units[0].id}, [units[0].id]
    while stack:
        for other in by_id[stack.pop()].neighbours:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    assert seen == set(by_id)
