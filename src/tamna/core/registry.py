"""Registries for pluggable things (sources, forecasters, controllers) that refuse duplicate names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from tamna.core.errors import ConflictError, NotFoundError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of plug-ins of one kind. Registering a name twice is an error, never an override."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        """Add ``item`` under ``name``; a name already taken raises :class:`ConflictError`."""
        if name in self._items:
            raise ConflictError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        """Return the plug-in called ``name`` or raise :class:`NotFoundError` listing the known names."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise NotFoundError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._items)

    def __iter__(self) -> Iterator[tuple[str, T]]:
        return iter(sorted(self._items.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._items
