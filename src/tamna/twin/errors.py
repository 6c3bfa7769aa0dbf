"""The twin's errors. The API maps Tamna's error tree to problem responses; the subclasses that also derive from
a core error (conflict, not found, invalid input) get that error's status without a twin-specific rule there."""

from __future__ import annotations

from tamna.core.errors import ConflictError, NotFoundError, TamnaError, ValidationError


class TwinError(TamnaError):
    """A scenario cannot be loaded or run, or a SUMO tool failed."""


class TwinConflictError(TwinError, ConflictError):
    """The request does not fit the twin's state: none runs, one already runs, or it has stopped."""


class TwinNotFoundError(TwinError, NotFoundError):
    """A link or lane named in a request is not part of the running scenario."""


class TwinInputError(TwinError, ValidationError):
    """A twin command carries a value the simulation cannot use (a lane index beyond the edge's lanes, say)."""
