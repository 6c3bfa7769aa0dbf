"""The transit room's errors. Each also derives from the core error the API maps to the right HTTP status."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tamna.core.errors import IngestError, NotFoundError, TamnaError, ValidationError

if TYPE_CHECKING:
    from tamna.transit.gtfs.report import ValidationReport


class TransitError(TamnaError):
    """Base of the errors ``tamna.transit`` raises."""


class FeedUnreadableError(TransitError, IngestError):
    """The input is not a GTFS feed at all (not a zip or folder, a zip of something else, a broken archive)."""


class FeedRefusedError(TransitError, ValidationError):
    """The feed was read but its validation found errors; ``report`` lists them."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message, field="feed")
        self.report = report


class NoFeedError(TransitError, NotFoundError):
    """No GTFS feed has been imported yet, or the named stop, trip or feed is not in it."""


class RealtimeUnreadableError(TransitError, IngestError):
    """A GTFS-Realtime message that does not parse, or a URL that cannot be fetched."""
