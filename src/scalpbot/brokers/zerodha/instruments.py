"""Kite's instrument master (the daily instruments CSV) as scalpbot `Instrument`s.

Kite lists every tradable contract once a day in one CSV (`GET /instruments`), columns
`instrument_token, exchange_token, tradingsymbol, name, last_price, expiry, strike, tick_size,
lot_size, instrument_type, segment, exchange`. It is the source of truth for tick and lot sizes
and the only way to turn our "NSE:INFY" into Kite's `instrument_token` (needed for quotes,
candles and the ticker), so it is parsed strictly:

- A malformed row (a short or long line, a non-numeric token, tick, lot, strike or a bad expiry
  date) refuses the whole file with a `DataError` naming the line and column: a master that is
  half wrong is worse than yesterday's.
- Rows scalpbot cannot trade are skipped and counted, never fatal, because Kite adds exchanges
  and contract types over time: exchanges outside `Exchange` (BCD, NCO, NSEIX, ...) and
  instrument types other than EQ/FUT/CE/PE.
- Indices (segment "INDICES", listed by Kite as type EQ) become `InstrumentType.INDEX`. Kite
  gives them a tick size and lot size of 0 (they are not tradable); they get 0.05 and 1 so they
  are valid `Instrument`s for quotes and candles.
- A strike is kept for options only (Kite writes 0 for everything else).

Keeping a copy on disk, and refusing a bad download, is `master_cache`'s job.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from scalpbot.domain import DataError, Exchange, Instrument, InstrumentNotFound, InstrumentType

log = logging.getLogger(__name__)

COLUMNS = (
    "instrument_token",
    "exchange_token",
    "tradingsymbol",
    "name",
    "last_price",
    "expiry",
    "strike",
    "tick_size",
    "lot_size",
    "instrument_type",
    "segment",
    "exchange",
)
INDEX_SEGMENT = "INDICES"
# Kite lists indices with a tick size of 0; quotes of an index move in 0.05 steps.
INDEX_TICK = Decimal("0.05")
_TYPES = {
    "EQ": InstrumentType.EQ,
    "FUT": InstrumentType.FUT,
    "CE": InstrumentType.CE,
    "PE": InstrumentType.PE,
}
_INDEX = InstrumentType.INDEX
_OPTIONS = frozenset({InstrumentType.CE, InstrumentType.PE})
_EXCHANGES = {member.value: member for member in Exchange}


@dataclass(frozen=True, slots=True)
class KiteInstrument:
    """One row of Kite's instruments CSV: our `Instrument` and the ids Kite knows it by."""

    instrument: Instrument
    token: int  # instrument_token: quotes, candles and the ticker use it
    exchange_token: int
    tradingsymbol: str  # Kite's own symbol, sent back in order forms


@dataclass(frozen=True, slots=True)
class InstrumentsCsv:
    """A parsed CSV: the rows scalpbot can trade and what was skipped (reason -> count)."""

    rows: list[KiteInstrument]
    records: int  # data lines read, skipped ones included
    skipped: dict[str, int] = field(default_factory=dict)


def unified_symbol(exchange: str, tradingsymbol: str) -> str:
    """scalpbot's symbol for Kite's `tradingsymbol` on `exchange`: the one place they meet.

    Kite's tradingsymbol is the exchange's own trading symbol on every segment ("INFY",
    "NIFTY24DECFUT", "BANKNIFTY18JAN23500CE", "USDINR21JUNFUT", "NIFTY 50"), which is the
    form scalpbot's symbols already take and what users type, so they are the same string.
    Every Kite -> scalpbot symbol conversion goes through here, so changing that decision
    (for one segment, say) is a change to this function alone.
    """
    del exchange  # the same rule on every exchange today
    return tradingsymbol.strip()


def read_instruments_csv(text: str) -> InstrumentsCsv:
    """Parse Kite's instruments CSV, keeping the skipped-row counts (see the module docstring).

    Raises `DataError` naming the line and column of the first malformed row; nothing is
    returned for a file that has one.
    """
    lines = text.removeprefix("\ufeff").splitlines()
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        raise DataError("instruments CSV is empty: no header line (expected Kite's columns)")
    names = [cell.strip().lower() for cell in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        raise DataError(
            f"instruments CSV line 1: the header lacks column(s) {', '.join(missing)}; "
            f"Kite's columns are {', '.join(COLUMNS)}"
        )
    where = {column: names.index(column) for column in COLUMNS}
    rows: list[KiteInstrument] = []
    skipped: Counter[str] = Counter()
    records = 0
    parser = _RowParser(where)
    try:
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue  # a blank line
            records += 1
            line = reader.line_num
            if len(cells) != len(names):
                raise DataError(
                    f"instruments CSV line {line}: expected {len(names)} fields, found "
                    f"{len(cells)} (a truncated or malformed line)"
                )
            row, reason = parser.parse(cells, line)
            if row is None:
                skipped[reason] += 1
            else:
                rows.append(row)
    except csv.Error as exc:
        raise DataError(f"instruments CSV line {reader.line_num}: {exc}") from None
    if skipped:
        log.info("instruments CSV: skipped %s", ", ".join(f"{k} x{v}" for k, v in skipped.items()))
    return InstrumentsCsv(rows, records, dict(skipped))


def parse_instruments_csv(text: str) -> list[KiteInstrument]:
    """The tradable rows of Kite's instruments CSV; `DataError` naming line/column if bad."""
    return read_instruments_csv(text).rows


class _RowParser:
    """Turns one CSV record into a `KiteInstrument`, caching the few distinct ticks and dates
    a master repeats thousands of times (a full master has ~100k rows)."""

    def __init__(self, where: dict[str, int]) -> None:
        self.order = [where[column] for column in COLUMNS]
        self.decimals: dict[str, Decimal] = {}
        self.dates: dict[str, date | None] = {"": None}

    def parse(self, cells: list[str], line: int) -> tuple[KiteInstrument | None, str]:
        """The row, or None and why it was skipped."""
        (
            token_text,
            exchange_token_text,
            tradingsymbol,
            name,
            _last_price,
            expiry,
            strike_text,
            tick_text,
            lot_text,
            kind_code,
            segment,
            exchange_code,
        ) = [cells[index].strip() for index in self.order]
        exchange_code = exchange_code.upper()
        exchange = _EXCHANGES.get(exchange_code)
        if exchange is None:
            return None, f"exchange {exchange_code or '(blank)'}"
        kind_code = kind_code.upper()
        is_index = segment.upper() == INDEX_SEGMENT
        kind = _INDEX if is_index else _TYPES.get(kind_code)
        if kind is None:
            return None, f"instrument type {kind_code or '(blank)'}"
        if not tradingsymbol:
            raise _bad(line, "tradingsymbol", "", "a symbol")
        tick = self.decimal(tick_text, line, "tick_size")
        lot = _integer(lot_text, line, "lot_size")
        if is_index:
            tick = tick if tick > 0 else INDEX_TICK
            lot = lot if lot > 0 else 1
        elif tick <= 0:
            raise _bad(line, "tick_size", tick_text, "a positive tick size")
        elif lot < 1:
            raise _bad(line, "lot_size", lot_text, "a lot size of at least 1")
        strike = self.decimal(strike_text or "0", line, "strike")
        instrument = Instrument(
            exchange=exchange,
            symbol=unified_symbol(exchange_code, tradingsymbol),
            instrument_type=kind,
            tick_size=tick,
            lot_size=lot,
            segment=segment,
            expiry=self.date(expiry, line),
            strike=strike if kind in _OPTIONS else None,
            name=name,
        )
        token = _integer(token_text, line, "instrument_token")
        exchange_token = _integer(exchange_token_text, line, "exchange_token")
        return KiteInstrument(instrument, token, exchange_token, tradingsymbol), ""

    def decimal(self, text: str, line: int, column: str) -> Decimal:
        found = self.decimals.get(text)
        if found is None:
            try:
                found = Decimal(text)
            except InvalidOperation:
                raise _bad(line, column, text, "a number") from None
            if not found.is_finite() or found < 0:
                raise _bad(line, column, text, "a finite, non-negative number")
            self.decimals[text] = found
        return found

    def date(self, text: str, line: int) -> date | None:
        if text in self.dates:
            return self.dates[text]
        try:
            found = date.fromisoformat(text)
        except ValueError:
            raise _bad(line, "expiry", text, "a date YYYY-MM-DD or blank") from None
        self.dates[text] = found
        return found


def _integer(text: str, line: int, column: str) -> int:
    if text.isdigit() and text.isascii():
        return int(text)
    if text[:1] == "-" and text[1:].isdigit() and text.isascii():
        return int(text)
    raise _bad(line, column, text, "a whole number")


def _bad(line: int, column: str, value: str, wanted: str) -> DataError:
    return DataError(f"instruments CSV line {line}, column {column}: {value!r} is not {wanted}")


class InstrumentMaster:
    """Kite's instruments indexed both ways: our key ("NSE:INFY") and Kite's token.

    Where Kite lists one exchange:symbol twice (it should not), the first row wins.
    """

    def __init__(self, rows: Iterable[KiteInstrument]) -> None:
        self._by_key: dict[str, KiteInstrument] = {}
        self._by_token: dict[int, KiteInstrument] = {}
        self._by_kite: dict[tuple[str, str], KiteInstrument] = {}
        for row in rows:
            self._by_key.setdefault(row.instrument.key, row)
            self._by_token.setdefault(row.token, row)
            self._by_kite.setdefault((row.instrument.exchange.value, row.tradingsymbol), row)

    def by_token(self, token: int) -> Instrument | None:
        """The instrument of a Kite `instrument_token` (ticker packets carry only that)."""
        row = self._by_token.get(token)
        return row.instrument if row is not None else None

    def get(self, key: str) -> KiteInstrument:
        """The row of our key "NSE:INFY" (case-insensitive); `InstrumentNotFound` naming it."""
        exchange, sep, symbol = key.partition(":")
        if not sep or not exchange.strip() or not symbol.strip():
            raise InstrumentNotFound(f"{key!r} is not an instrument key like 'NSE:INFY'")
        normal = f"{exchange.strip().upper()}:{symbol.strip()}"
        row = self._by_key.get(normal) or self._by_key.get(normal.upper())
        if row is None:
            raise InstrumentNotFound(
                f"{normal} is not in Kite's instrument master ({len(self)} instruments): "
                "check the symbol and exchange, or refresh the master"
            )
        return row

    def find(self, exchange: str, tradingsymbol: str) -> Instrument:
        """Our instrument for Kite's (exchange, tradingsymbol), e.g. from an order row.

        One the master does not list (a contract listed after the morning's download) comes
        back as a plain EQ instrument with default tick and lot, so an order book or position
        with it can still be shown; `InstrumentNotFound` only for an exchange scalpbot does
        not trade.
        """
        code = exchange.strip().upper()
        row = self._by_kite.get((code, tradingsymbol.strip()))
        if row is not None:
            return row.instrument
        member = _EXCHANGES.get(code)
        if member is None:
            allowed = ", ".join(_EXCHANGES)
            raise InstrumentNotFound(
                f"exchange {exchange!r} (symbol {tradingsymbol!r}) is not one scalpbot trades; "
                f"it trades {allowed}"
            )
        return Instrument(member, unified_symbol(code, tradingsymbol))

    def token_of(self, key: str) -> int:
        """Kite's instrument_token for our key; `InstrumentNotFound` naming it."""
        return self.get(key).token

    def __len__(self) -> int:
        return len(self._by_key)

    def __iter__(self) -> Iterator[KiteInstrument]:
        return iter(self._by_key.values())
