"""Reading a GTFS feed: a zip archive or a folder of ``.txt`` files, each a UTF-8 CSV with a header row.

Problems of form (a broken row, a stray space, an unknown column) become notices; only an input that is not a
feed at all raises :class:`~tamna.transit.errors.FeedUnreadableError`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tamna.transit.errors import FeedUnreadableError
from tamna.transit.gtfs.report import ValidationReport
from tamna.transit.gtfs.spec import CORE_FILES, KNOWN_FILES

#: A feed larger than this (uncompressed) is refused rather than read into memory.
MAX_FEED_BYTES = 2 * 1024**3


@dataclass
class CsvTable:
    """One file's header and rows (values stripped); ``lines`` are the CSV line numbers of the rows."""

    name: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        """A column's values ('' where the column is missing)."""
        if name not in self.header:
            return [""] * len(self.rows)
        index = self.header.index(name)
        return [row[index] if index < len(row) else "" for row in self.rows]


def read_feed_files(path: Path, report: ValidationReport) -> dict[str, bytes]:
    """The feed's files by name (``agency.txt``…), from a zip archive or a folder."""
    if not path.exists():
        raise FeedUnreadableError(f"{path} does not exist")
    if path.is_dir():
        files = {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file() and p.suffix == ".txt"}
        others = sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix != ".txt")
    elif zipfile.is_zipfile(path):
        files, others = _read_zip(path, report)
    elif _starts_like_zip(path):
        raise FeedUnreadableError(f"{path.name} is a damaged zip archive (truncated or corrupt)")
    else:
        kind = "an empty file" if path.stat().st_size == 0 else "neither a zip archive nor a folder"
        raise FeedUnreadableError(f"{path.name} is {kind}; a GTFS feed is a zip of .txt files or a folder of them")
    if not CORE_FILES & set(files):
        seen = ", ".join(sorted(files) + others)[:300] or "nothing"
        raise FeedUnreadableError(
            f"{path.name} is not a GTFS feed: it has none of {', '.join(sorted(CORE_FILES))} (it holds: {seen})"
        )
    for name in sorted(set(files) - KNOWN_FILES):
        report.info("unknown_file", f"{name} is not a GTFS file; it is ignored", file=name)
    return files


def _starts_like_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"


def _read_zip(path: Path, report: ValidationReport) -> tuple[dict[str, bytes], list[str]]:
    try:
        with zipfile.ZipFile(path) as archive:
            entries = [info for info in archive.infolist() if not info.is_dir()]
            if sum(info.file_size for info in entries) > MAX_FEED_BYTES:
                raise FeedUnreadableError(f"{path.name} expands to more than {MAX_FEED_BYTES} bytes")
            names = [PurePosixPath(info.filename) for info in entries]
            txt = [n for n in names if n.suffix == ".txt" and not n.name.startswith(".")]
            homes = sorted({n.parent for n in txt if n.name in CORE_FILES}, key=lambda p: (len(p.parts), str(p)))
            home = homes[0] if homes else PurePosixPath(".")
            if home != PurePosixPath("."):
                # feeds zipped with their folder are common; the reference validator calls it an error, but the
                # files are unambiguous, so Tamna reads them and says so
                report.warning(
                    "invalid_input_files_in_subfolder",
                    f"the files are in the folder {home}/ of the archive, not at its root",
                )
            files = {n.name: archive.read(str(n)) for n in txt if n.parent == home}
            others = [str(n) for n in names if n.suffix != ".txt"]
    except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as err:
        raise FeedUnreadableError(f"{path.name} is a damaged zip archive: {err}") from err
    return files, others


def parse_csv(name: str, data: bytes, report: ValidationReport) -> CsvTable | None:
    """Parse one file; None when it cannot be parsed at all (the report says why)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        report.error("csv_parsing_failed", f"{name} is not UTF-8 text: {err}", file=name)
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_header = next(reader, None)
    except csv.Error as err:
        report.error("csv_parsing_failed", f"{name}: {err}", file=name, line=1)
        return None
    if raw_header is None or not any(cell.strip() for cell in raw_header):
        report.error("empty_file", f"{name} is empty", file=name)
        return None
    header = _header(name, raw_header, report)
    table = CsvTable(name, header)
    width = len(header)
    try:
        for raw in reader:
            line = reader.line_num
            if not "".join(raw).strip():
                if raw:
                    report.warning("empty_row", "a row with only spaces", file=name, line=line)
                continue
            row = raw
            if len(raw) != width:
                report.error(
                    "invalid_row_length",
                    f"{len(raw)} values where the header has {width}",
                    file=name,
                    line=line,
                )
                row = (raw + [""] * width)[:width]
            table.rows.append(_strip(row, header, name, line, report))
            table.lines.append(line)
    except csv.Error as err:
        report.error("csv_parsing_failed", f"{name}: {err}", file=name, line=reader.line_num)
    return table


def _header(name: str, raw: list[str], report: ValidationReport) -> list[str]:
    header = []
    for cell in raw:
        column = cell.strip()
        if column != cell:
            report.warning(
                "leading_or_trailing_whitespaces", f"column name {cell!r} has spaces", file=name, line=1, field=column
            )
        if not column:
            report.error("empty_column_name", "a column has no name", file=name, line=1)
        elif column in header:
            report.error("duplicated_column", f"column {column!r} appears twice", file=name, line=1, field=column)
        header.append(column)
    return header


def _strip(row: list[str], header: list[str], name: str, line: int, report: ValidationReport) -> list[str]:
    stripped = [value.strip() for value in row]
    if stripped == row and not any("\n" in value or "\r" in value for value in row):
        return row
    for index, (value, clean) in enumerate(zip(row, stripped, strict=True)):
        if value != clean:
            report.warning(
                "leading_or_trailing_whitespaces",
                f"{header[index]} {value!r} has spaces around it",
                file=name,
                line=line,
                field=header[index],
                value=value,
            )
        if "\n" in value or "\r" in value:
            report.error("new_line_in_value", f"{header[index]} holds a line break", file=name, line=line)
    return stripped
