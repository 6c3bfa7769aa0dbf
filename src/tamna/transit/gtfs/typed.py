"""From CSV text to typed columns, with a notice for every value the GTFS reference does not allow."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tamna.transit.gtfs.reader import CsvTable
from tamna.transit.gtfs.report import ValidationReport
from tamna.transit.gtfs.spec import COLOR, FILES, Column, parse_date, parse_time


@dataclass
class Typed:
    """A file's typed columns (None where empty or invalid) and the CSV line of each row."""

    name: str
    lines: list[int] = field(default_factory=list)
    columns: dict[str, list[Any]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def has(self, column: str) -> bool:
        """Whether the file has the column."""
        return column in self.columns

    def col(self, column: str) -> list[Any]:
        """A column's values (all None when the file lacks it)."""
        return self.columns.get(column) or [None] * len(self.lines)


def empty(name: str) -> Typed:
    """A file that is absent: no rows."""
    return Typed(name)


def convert(table: CsvTable, report: ValidationReport) -> Typed:
    """Type every known column of ``table`` and report what does not fit its column's rules."""
    spec = FILES[table.name]
    typed = Typed(table.name, lines=list(table.lines))
    for column in table.header:
        if column and column not in spec:
            report.info("unknown_column", f"{column} is not a column of {table.name}", file=table.name, field=column)
    for column, rule in spec.items():
        if column not in table.header:
            if rule.required:
                report.error(
                    "missing_required_column",
                    f"{table.name} has no {column} column",
                    file=table.name,
                    line=1,
                    field=column,
                )
            continue
        typed.columns[column] = _convert_column(table, column, rule, report)
    return typed


def _convert_column(table: CsvTable, column: str, rule: Column, report: ValidationReport) -> list[Any]:
    parse = _PARSERS[rule.kind]
    out: list[Any] = []
    append = out.append
    for value, line in zip(table.column(column), table.lines, strict=True):
        if not value:
            if rule.required:
                report.error(
                    "missing_required_field",
                    f"{column} is required and empty",
                    file=table.name,
                    line=line,
                    field=column,
                )
            append(None)
            continue
        parsed, problem = parse(value, rule)
        if problem is not None:
            code, severity_is_error = problem
            message = f"{column} {value!r}: {_MESSAGES[code]}"
            where = {"file": table.name, "line": line, "field": column, "value": value}
            if severity_is_error:
                report.error(code, message, **where)
            else:
                report.warning(code, message, **where)
        append(parsed)
    return out


Problem = tuple[str, bool] | None
_MESSAGES = {
    "invalid_time": "not a GTFS time (H:MM:SS)",
    "invalid_date": "not a date (YYYYMMDD)",
    "invalid_float": "not a number",
    "invalid_integer": "not an integer",
    "number_out_of_range": "out of the allowed range",
    "invalid_url": "not an http(s) URL",
    "invalid_timezone": "not an IANA time zone",
    "invalid_color": "not a colour (6 hexadecimal digits)",
    "unexpected_enum_value": "not one of the values the reference defines",
}


def _text(value: str, rule: Column) -> tuple[Any, Problem]:
    return value, None


def _url(value: str, rule: Column) -> tuple[Any, Problem]:
    if not value.lower().startswith(("http://", "https://")) or len(value) < 10:
        return value, ("invalid_url", True)
    return value, None


def _timezone(value: str, rule: Column) -> tuple[Any, Problem]:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None, ("invalid_timezone", True)
    return value, None


def _color(value: str, rule: Column) -> tuple[Any, Problem]:
    return (value.upper(), None) if COLOR.match(value) else (None, ("invalid_color", True))


def _time(value: str, rule: Column) -> tuple[Any, Problem]:
    seconds = parse_time(value)
    return (seconds, None) if seconds is not None else (None, ("invalid_time", True))


def _date(value: str, rule: Column) -> tuple[Any, Problem]:
    return (value, None) if parse_date(value) is not None else (None, ("invalid_date", True))


def _number(value: str, rule: Column, cast: Callable[[str], float]) -> tuple[Any, Problem]:
    try:
        number = cast(value)
    except ValueError:
        return None, ("invalid_float" if cast is float else "invalid_integer", True)
    if (
        not math.isfinite(number)
        or (rule.low is not None and number < rule.low)
        or (rule.high is not None and number > rule.high)
    ):
        return None, ("number_out_of_range", True)
    return number, None


def _float(value: str, rule: Column) -> tuple[Any, Problem]:
    return _number(value, rule, float)


def _int(value: str, rule: Column) -> tuple[Any, Problem]:
    return _number(value, rule, int)


def _enum(value: str, rule: Column) -> tuple[Any, Problem]:
    try:
        number = int(value)
    except ValueError:
        return None, ("invalid_integer", True)
    if rule.values is not None and number not in rule.values:
        return None, ("unexpected_enum_value", False)
    return number, None


_PARSERS: dict[str, Callable[[str, Column], tuple[Any, Problem]]] = {
    "id": _text,
    "text": _text,
    "url": _url,
    "timezone": _timezone,
    "color": _color,
    "time": _time,
    "date": _date,
    "float": _float,
    "int": _int,
    "enum": _enum,
}
