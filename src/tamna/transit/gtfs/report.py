"""The validation report: notices by code, as the GTFS reference validator (MobilityData) names and grades them.

ERROR is a rule of the GTFS reference ("must"): a feed with one is refused. WARNING is a best practice ("should"):
the feed loads and the report says what to fix. INFO is for things Tamna ignores (unknown files and columns).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Examples kept per notice code; the count covers every occurrence.
EXAMPLES = 5


class Severity(StrEnum):
    """How much a notice matters."""

    ERROR = "ERROR"
    WARNING = "WARNING"
    INFO = "INFO"


@dataclass
class Notice:
    """Every occurrence of one code: how many, and the first few with where they are."""

    code: str
    severity: Severity
    count: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Notices of one feed, in the order their codes first appeared."""

    source: str
    notices: dict[str, Notice] = field(default_factory=dict)

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        """Record one occurrence. ``line`` is the CSV line (the header is line 1)."""
        notice = self.notices.get(code)
        if notice is None:
            notice = self.notices[code] = Notice(code, severity)
        notice.count += 1
        if len(notice.examples) < EXAMPLES:
            example: dict[str, Any] = {"message": message}
            for key, item in (("file", file), ("line", line), ("field", field), ("value", value)):
                if item is not None:
                    example[key] = item if isinstance(item, int | float) else str(item)[:200]
            notice.examples.append(example)

    def error(self, code: str, message: str, **where: Any) -> None:
        """Record an ERROR occurrence."""
        self.add(code, Severity.ERROR, message, **where)

    def warning(self, code: str, message: str, **where: Any) -> None:
        """Record a WARNING occurrence."""
        self.add(code, Severity.WARNING, message, **where)

    def info(self, code: str, message: str, **where: Any) -> None:
        """Record an INFO occurrence."""
        self.add(code, Severity.INFO, message, **where)

    def _total(self, severity: Severity) -> int:
        return sum(n.count for n in self.notices.values() if n.severity is severity)

    @property
    def errors(self) -> int:
        """Number of ERROR occurrences."""
        return self._total(Severity.ERROR)

    @property
    def warnings(self) -> int:
        """Number of WARNING occurrences."""
        return self._total(Severity.WARNING)

    @property
    def ok(self) -> bool:
        """Whether the feed may be loaded (no errors)."""
        return self.errors == 0

    def by_severity(self) -> Iterator[Notice]:
        """Notices, errors first, then by count."""
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        yield from sorted(self.notices.values(), key=lambda n: (order[n.severity], -n.count, n.code))

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "source": self.source,
            "errors": self.errors,
            "warnings": self.warnings,
            "notices": [
                {"code": n.code, "severity": n.severity.value, "count": n.count, "examples": n.examples}
                for n in self.by_severity()
            ],
        }

    def render(self, examples: int = 2) -> str:
        """A report for a person: one line per code with its count, then its first examples."""
        verdict = "refused" if not self.ok else "valid"
        lines = [f"GTFS validation of {self.source}: {self.errors} errors, {self.warnings} warnings ({verdict})"]
        for notice in self.by_severity():
            lines.append(f"  {notice.severity.value:<7} {notice.code} × {notice.count}")
            for example in notice.examples[:examples]:
                where = ""
                if "file" in example:
                    where = example["file"] + (f" line {example['line']}" if "line" in example else "") + ": "
                lines.append(f"            {where}{example['message']}")
        return "\n".join(lines)
