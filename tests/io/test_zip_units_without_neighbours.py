"""``zip_geo_units(with_neighbours=False)``: the map's ZIP units, the same cells without the
triangulation."""

from __future__ import annotations

from terraplan.io.zip_units import zip_geo_units


def test_without_neighbours_the_units_and_cells_are_the_same() -> None:
    full = zip_geo_units(states={"RI"}, with_polygons=True)
    bare = zip_geo_units(states={"RI"}, with_polygons=True, with_neighbours=False)
    assert [u.id for u in bare] == [u.id for u in full] and len(full) > 50
    assert all(u.neighbours == () for u in bare)
    assert any(u.neighbours for u in full)
    assert [u.polygon for u in bare] == [u.polygon for u in full]
    assert [(u.name, u.latitude, u.attributes) for u in bare] == [
        (u.name, u.latitude, u.attributes) for u in full
    ]
