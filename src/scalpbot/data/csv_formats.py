"""The CSV layouts `load_bars` understands, and how a file's header picks one.

Historical data arrives in whatever shape the tool that wrote it chose. Rather than guess column
meanings from loose names, each accepted layout is declared here once, so detection is exact, an
unknown header can be answered with the full list of what *is* accepted, and adding a layout is
one entry in `FORMATS`.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from scalpbot.domain.errors import DataError

CSV_SUFFIXES = (".csv", ".txt")

# Names are compared after `normalize`: lower case, without spaces or underscores.
_PRICE_ROLES = ("open", "high", "low", "close")
_FIELD_ROLES = frozenset({"time", *_PRICE_ROLES, "volume"})
_TIME_RE = re.compile(r"\s*\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s*")
_OFFSET_RE = re.compile(r".*\d[T ]\d{1,2}(:\d{2}){0,2}(\.\d+)?\s*(Z|[+-]\d{2}(:?\d{2})?)\s*")


@dataclass(frozen=True)
class CsvFormat:
    """One accepted header: for each position, the names allowed there.

    The first `required` positions must be present; the rest are optional but, when present,
    must appear in this order (so `volume` may be left off the end of a scalpbot file).
    """

    name: str
    example: str
    positions: tuple[frozenset[str], ...]
    required: int

    def matches(self, names: tuple[str, ...]) -> bool:
        if not self.required <= len(names) <= len(self.positions):
            return False
        return all(name in allowed for name, allowed in zip(names, self.positions, strict=False))


def _one(name: str) -> frozenset[str]:
    return frozenset({name})


_OHLC = tuple(_one(role) for role in _PRICE_ROLES)

FORMATS: tuple[CsvFormat, ...] = (
    CsvFormat(
        "scalpbot",
        "datetime,open,high,low,close,volume  (first column may also be 'timestamp' or 'date'; "
        "volume optional)",
        (frozenset({"datetime", "timestamp", "date"}), *_OHLC, _one("volume")),
        5,
    ),
    CsvFormat(
        "backtesting.py",
        ",Open,High,Low,Close,Volume  (first column unnamed, holding the date; volume optional)",
        (_one(""), *_OHLC, _one("volume")),
        5,
    ),
    CsvFormat(
        "backtrader",
        "Date,Time,Open,High,Low,Close,Volume,OpenInterest",
        (_one("date"), _one("time"), *_OHLC, _one("volume"), _one("openinterest")),
        8,
    ),
    CsvFormat(
        "backtrader",
        "Date,Open,High,Low,Close,Volume,OpenInterest  (or 'Datetime' first; rows may carry a "
        "time field after the date that the header does not name)",
        (frozenset({"date", "datetime"}), *_OHLC, _one("volume"), _one("openinterest")),
        7,
    ),
    CsvFormat(
        "Yahoo",
        "Date,Open,High,Low,Close,Adj Close,Volume  (Close is used; Adj Close is ignored)",
        (_one("date"), *_OHLC, _one("adjclose"), _one("volume")),
        7,
    ),
)


def accepted_formats() -> str:
    """The accepted headers, one per line, for error messages."""
    return "\n".join(f"  - {fmt.name}: {fmt.example}" for fmt in FORMATS)


def normalize(name: str) -> str:
    """Header name as compared: case, spaces, underscores and a byte-order mark ignored."""
    return re.sub(r"[\s_\ufeff]", "", name).lower()


@dataclass(frozen=True)
class CsvLayout:
    """How the fields of every data row of one file map to bar columns.

    `columns` has one unique name per field of a row (what pyarrow is told, since the header may
    name fewer fields than the rows hold); `roles` maps "when", "time", "open" ... "volume" to
    field indexes. `stamp_has_offset` says whether the first row's timestamp carries a UTC
    offset, which picks the column type for the fast path.
    """

    format: CsvFormat
    columns: tuple[str, ...]
    roles: dict[str, int]
    stamp_has_offset: bool

    @property
    def width(self) -> int:
        return len(self.columns)


def _blank(row: list[str]) -> bool:
    return not any(field.strip() for field in row)


def _peek(path: Path) -> tuple[list[str] | None, list[str] | None]:
    """Line 1 (the header; None if the file holds nothing) and the first non-blank data row."""
    header: list[str] | None = None
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            for row in reader:
                if header is None:
                    header = row
                elif not _blank(row):
                    return header, row
        except csv.Error as exc:
            raise DataError(f"{path}: line {reader.line_num}: not readable as CSV: {exc}") from exc
    if header is not None and _blank(header):
        header = None
    return header, None


def detect_layout(path: Path) -> CsvLayout:
    """Read the header (and first row) of `path` and say how to read its rows.

    Raises DataError for an empty file, a header with no data rows, or an unknown header.
    """
    header, first = _peek(path)
    if header is None:
        raise DataError(f"{path}: line 1: the file is empty; expected a header and bars")
    if _blank(header):
        raise DataError(
            f"{path}: line 1: blank where the header should be; accepted headers are:\n"
            f"{accepted_formats()}"
        )
    names = tuple(normalize(name) for name in header)
    fmt = next((f for f in FORMATS if f.matches(names)), None)
    if fmt is None:
        raise DataError(
            f"{path}: line 1: unknown header {','.join(header)!r}; accepted headers are:\n"
            f"{accepted_formats()}"
        )
    if first is None:
        raise DataError(f"{path}: line 2: no bars after the header")
    if (
        "time" not in names
        and names[0] == "date"
        and len(first) == len(names) + 1
        and _TIME_RE.fullmatch(first[1])
    ):
        # backtrader's intraday files name 7 columns but hold date and time as two fields.
        names = (names[0], "time", *names[1:])
    columns: list[str] = []
    roles: dict[str, int] = {}
    for index, name in enumerate(names):
        role = "when" if index == 0 else (name if name in _FIELD_ROLES else None)
        if role is not None and role not in roles:
            roles[role] = index
            columns.append(role)
        else:
            columns.append(f"ignored_{index}")
    stamp_has_offset = bool(first and _OFFSET_RE.fullmatch(first[0]))
    return CsvLayout(fmt, tuple(columns), roles, stamp_has_offset)
