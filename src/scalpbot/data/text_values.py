"""Parsing one CSV field at a time: timestamps, dates, times of day and numbers.

The line-by-line scan uses these when the fast pyarrow path could not read a file, either to
find the exact line of an error or to read a file pyarrow is too strict for (a mix of naive and
offset timestamps, a one-digit hour). They accept what pyarrow accepts, so the two paths agree
on every value, and say precisely what is wrong when they fail.

Naive times are exchange time (IST, UTC+05:30), the way Indian market data is written.
"""

from __future__ import annotations

import re
from datetime import date

NS_PER_SECOND = 1_000_000_000
NS_PER_DAY = 86_400 * NS_PER_SECOND
IST_OFFSET_NS = (5 * 3600 + 30 * 60) * NS_PER_SECOND
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_CLOCK = r"(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
_STAMP_RE = re.compile(_DATE + r"(?:[T ]" + _CLOCK + r"(?:\s*(Z|[+-]\d{2}(?::?\d{2})?))?)?")
_DATE_RE = re.compile(_DATE)
_TIME_RE = re.compile(_CLOCK)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_NON_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "-infinity"})
_MISSING = frozenset({"", "na", "n/a", "#n/a", "null", "none", "-"})


def _days(year: str, month: str, day: str) -> int:
    return date(int(year), int(month), int(day)).toordinal() - _EPOCH_ORDINAL


def _clock_ns(hour: str, minute: str | None, second: str | None, fraction: str | None) -> int:
    h, m, s = int(hour), int(minute or 0), int(second or 0)
    if h > 23 or m > 59 or s > 59:
        raise ValueError("time of day out of range")
    seconds = h * 3600 + m * 60 + s
    return seconds * NS_PER_SECOND + (int(fraction.ljust(9, "0")) if fraction else 0)


def _offset_ns(offset: str) -> int:
    if offset == "Z":
        return 0
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"UTC offset {offset} out of range")
    value = (hours * 3600 + minutes * 60) * NS_PER_SECOND
    return -value if offset[0] == "-" else value


def _checked(ns: int) -> int:
    if not _INT64_MIN < ns <= _INT64_MAX:
        raise ValueError("outside the representable range 1677-09-22 .. 2262-04-11")
    return ns


def parse_stamp(text: str) -> int:
    """Epoch ns (UTC) of `2024-01-02`, `2024-01-02 09:15`, `2024-01-02T09:15:00.25+05:30` ...

    Without an offset (or `Z`) the time is taken as IST.
    """
    match = _STAMP_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError("expected YYYY-MM-DD[THH:MM[:SS[.fff]]][+HH:MM]")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        days = _days(year, month, day)
    except ValueError as exc:
        raise ValueError(f"no such date ({exc})") from None
    clock = _clock_ns(hour, minute, second, fraction) if hour is not None else 0
    shift = _offset_ns(offset) if offset is not None else IST_OFFSET_NS
    return _checked(days * NS_PER_DAY + clock - shift)


def parse_date_days(text: str) -> int:
    """Days since 1970-01-01 of a `YYYY-MM-DD` date."""
    match = _DATE_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError("expected YYYY-MM-DD")
    try:
        return _days(*match.groups())
    except ValueError as exc:
        raise ValueError(f"no such date ({exc})") from None


def parse_time_ns(text: str) -> int:
    """Nanoseconds since midnight of `HH:MM[:SS[.fff]]`."""
    match = _TIME_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError("expected HH:MM[:SS[.fff]]")
    return _clock_ns(*match.groups())


def combine_ist(days: int, time_ns: int) -> int:
    """Epoch ns (UTC) of a date and a time of day written in IST."""
    return _checked(days * NS_PER_DAY + time_ns - IST_OFFSET_NS)


def parse_number(text: str) -> float:
    """A decimal number; `nan`/`inf` parse (the validator reports them with context).

    Stricter than `float()`, which would also take `1_000`: what pyarrow rejects, this rejects.
    """
    stripped = text.strip()
    if _NUMBER_RE.fullmatch(stripped) or stripped.lower() in _NON_FINITE:
        return float(stripped)
    if stripped.lower() in _MISSING:
        raise ValueError("missing value" + (f" ({stripped!r})" if stripped else ""))
    raise ValueError(f"unparseable number {text!r}")
