"""Kite's instrument master kept on disk: loaded from the cache while it is from today,
downloaded after Kite's daily refresh (08:00 IST), and never replaced by a bad download.

`refresh_master` refuses a download that is empty, unreadable or far smaller than the cached
one, so a bad morning at Kite never empties the bot's universe; `cached_master` then keeps
yesterday's copy rather than trading blind.
"""

from __future__ import annotations

import csv
import logging
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from scalpbot.brokers.zerodha.constants import INSTRUMENTS_REFRESH_HOUR_IST
from scalpbot.brokers.zerodha.instruments import (
    InstrumentMaster,
    parse_instruments_csv,
    read_instruments_csv,
)
from scalpbot.domain import IST, BrokerError, DataError

log = logging.getLogger(__name__)


def cached_master(
    cache: Path, download: Callable[[], str], *, force: bool = False
) -> InstrumentMaster:
    """The master from `cache` while it is from today, else downloaded into it (now, when
    `force`); a refused or failed download keeps the cached copy if there is one."""
    if cache.exists() and not force and not master_is_stale(cache, datetime.now(IST)):
        return load_master(cache)
    try:
        return refresh_master(cache, download)
    except (BrokerError, DataError) as exc:
        if not cache.exists():
            raise
        log.warning("kept the cached instrument master %s: %s", cache, exc)
        return load_master(cache)


def refresh_master(
    cache_file: Path, download: Callable[[], str], *, min_ratio: float = 0.5
) -> InstrumentMaster:
    """Download the master, check it, write it to `cache_file` atomically and return it.

    Refused with `DataError`, leaving the cached file as it was: a download that is empty,
    unparseable, has no tradable rows, or has fewer data lines than `min_ratio` times the
    cached file's (a truncated download looks exactly like that). Errors from `download`
    itself propagate unchanged, also leaving the cache alone.
    """
    if not 0 <= min_ratio <= 1:
        raise ValueError(f"min_ratio must be between 0 and 1, got {min_ratio}")
    cache_file = Path(cache_file)
    text = download()
    kept = f"kept the cached master {cache_file}" if cache_file.exists() else "nothing cached"
    if not text.strip():
        raise DataError(f"Kite's instruments download is empty; {kept}")
    try:
        parsed = read_instruments_csv(text)
    except DataError as exc:
        raise DataError(f"Kite's instruments download is unreadable ({exc}); {kept}") from exc
    if not parsed.rows:
        raise DataError(f"Kite's instruments download has no tradable instruments; {kept}")
    previous = _cached_records(cache_file)
    if previous and parsed.records < min_ratio * previous:
        raise DataError(
            f"Kite's instruments download has {parsed.records} rows, fewer than "
            f"{min_ratio:.0%} of the {previous} in the cached master; refused, {kept}"
        )
    _write_atomically(cache_file, text)
    return InstrumentMaster(parsed.rows)


def load_master(cache_file: Path) -> InstrumentMaster:
    """The master saved by `refresh_master`; `DataError` naming the file if missing or bad."""
    cache_file = Path(cache_file)
    try:
        text = cache_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(
            f"no cached instrument master at {cache_file}: download one first"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the cached instrument master {cache_file}: {exc}") from exc
    try:
        rows = parse_instruments_csv(text)
    except DataError as exc:
        raise DataError(f"{cache_file}: {exc}") from exc
    if not rows:
        raise DataError(f"{cache_file}: the cached instrument master has no instruments")
    return InstrumentMaster(rows)


def _cached_records(cache_file: Path) -> int:
    """Data lines of the cached CSV (0 when there is none or it cannot be read)."""
    try:
        with cache_file.open(encoding="utf-8", newline="") as handle:
            return max(0, sum(1 for cells in csv.reader(handle) if cells) - 1)
    except FileNotFoundError:
        return 0
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        log.warning("cached instrument master %s is unreadable (%s); replacing it", cache_file, exc)
        return 0


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename it over `path`, so a reader
    (or a crash) never sees half a master."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def master_is_stale(cache: Path, now: datetime) -> bool:
    """True when the cache was written before the latest 08:00 IST (Kite's daily refresh)."""
    local = now.astimezone(IST)
    refresh = local.replace(hour=INSTRUMENTS_REFRESH_HOUR_IST, minute=0, second=0, microsecond=0)
    if refresh > local:
        refresh -= timedelta(days=1)
    return cache.stat().st_mtime < refresh.timestamp()
