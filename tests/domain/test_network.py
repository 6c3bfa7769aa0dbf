"""Domain types hold their invariants: coordinates on the globe, positive lengths, known roles."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tamna.domain.access import Role
from tamna.domain.network import Link, Node, RoadNetwork


def link(**changes: object) -> Link:
    fields: dict[str, object] = {
        "id": "L1",
        "from_node": "A",
        "to_node": "B",
        "geometry": [(126.5, 33.5), (126.51, 33.5)],
        "lanes": 2,
        "length_m": 930.0,
    }
    fields.update(changes)
    return Link(**fields)


def test_reference_speed_prefers_free_flow() -> None:
    assert link(freeflow_speed_kmh=55.0, speed_limit_kmh=50.0).reference_speed_kmh == 55.0
    assert link(speed_limit_kmh=50.0).reference_speed_kmh == 50.0
    assert link().reference_speed_kmh is None


@pytest.mark.parametrize(
    "changes",
    [
        {"geometry": [(126.5, 33.5)]},
        {"geometry": [(126.5, 33.5), (186.0, 33.5)]},
        {"geometry": [(126.5, 33.5), (126.5, -91.0)]},
        {"lanes": 0},
        {"length_m": 0.0},
        {"speed_limit_kmh": 0.0},
        {"id": ""},
    ],
)
def test_impossible_links_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        link(**changes)


def test_dangling_links_are_named() -> None:
    network = RoadNetwork(
        nodes=[Node(id="A", lon=126.5, lat=33.5), Node(id="B", lon=126.51, lat=33.5)],
        links=[link(), link(id="L2", to_node="C"), link(id="L3", from_node="D")],
    )
    assert network.dangling_links() == ["L2", "L3"]


def test_roles_are_ordered() -> None:
    assert Role.ADMIN.allows(Role.OPERATOR)
    assert Role.OPERATOR.allows(Role.OPERATOR)
    assert not Role.VIEWER.allows(Role.OPERATOR)
    assert [role.rank for role in Role] == [0, 1, 2]
