"""Registries refuse duplicate names and say what they know."""

from __future__ import annotations

import pytest

from tamna.core.errors import ConflictError, NotFoundError
from tamna.core.registry import Registry


def test_a_name_is_registered_once() -> None:
    registry: Registry[int] = Registry("forecaster")
    assert registry.register("naive", 1) == 1
    with pytest.raises(ConflictError, match="forecaster 'naive' is already registered"):
        registry.register("naive", 2)
    assert registry.get("naive") == 1  # the first registration stands


def test_unknown_names_list_the_known_ones() -> None:
    registry: Registry[str] = Registry("controller")
    with pytest.raises(NotFoundError, match=r"unknown controller 'max-pressure' \(known: none\)"):
        registry.get("max-pressure")
    registry.register("fixed", "F")
    registry.register("actuated", "A")
    with pytest.raises(NotFoundError, match=r"\(known: actuated, fixed\)"):
        registry.get("max-pressure")


def test_iteration_is_sorted_by_name() -> None:
    registry: Registry[int] = Registry("source")
    for name, value in (("b", 2), ("c", 3), ("a", 1)):
        registry.register(name, value)
    assert registry.names() == ["a", "b", "c"]
    assert list(registry) == [("a", 1), ("b", 2), ("c", 3)]
    assert "b" in registry
    assert "z" not in registry
