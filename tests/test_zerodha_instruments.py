"""Kite's instruments CSV -> scalpbot instruments, the master's lookups and its daily cache.

The published CSVs (tests/data/zerodha, from github.com/zerodha/kiteconnect-mocks) hold NSE
and BSE equities and NFO options only; `OWN_ROWS` adds, in Kite's CSV layout, the kinds they
lack (our own test data, with real contracts' tokens where the published orders name them).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from scalpbot.brokers.zerodha.instruments import (
    COLUMNS,
    InstrumentMaster,
    KiteInstrument,
    parse_instruments_csv,
    read_instruments_csv,
    unified_symbol,
)
from scalpbot.brokers.zerodha.master_cache import load_master, refresh_master
from scalpbot.domain import DataError, Exchange, Instrument, InstrumentNotFound, InstrumentType

DATA = Path(__file__).parent / "data" / "zerodha"
HEADER = ",".join(COLUMNS)
OWN_ROWS = (
    "256265,1001,NIFTY 50,NIFTY 50,0.0,,0.0,0.0,0,EQ,INDICES,NSE\n"
    "265,1,SENSEX,SENSEX,0.0,,0.0,0.05,0,EQ,INDICES,BSE\n"
    "13238786,51714,NIFTY21JUNFUT,NIFTY,15751.0,2021-06-24,0.0,0.05,75,FUT,NFO-FUT,NFO\n"
    "412675,1612,USDINR21JUNFUT,USDINR,73.0,2021-06-28,0.0,0.0025,1,FUT,CDS-FUT,CDS\n"
    "58424839,228226,GOLDPETAL21JUNFUT,GOLDPETAL,4852.0,2021-06-30,0.0,1.0,1,FUT,MCX-FUT,MCX\n"
    "206585605,806975,SENSEX21JUN52000CE,SENSEX,0.0,2021-06-25,52000.0,0.05,10,CE,BFO-OPT,BFO\n"
    "2222,2222,EURINR21JUNFUT,EURINR,0.0,2021-06-28,0.0,0.0001,1,FUT,BCD-FUT,BCD\n"
    "3333,3333,GIFTNIFTY,GIFT NIFTY,0.0,,0.0,0.5,1,FUT,NSEIX-FUT,NSEIX\n"
    "4444,4444,SOMEBOND,SOME BOND,0.0,,0.0,0.01,1,BOND,NSE,NSE\n"
)


def published(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def csv_text(*rows: str, header: str = HEADER) -> str:
    return header + "\n" + "".join(row if row.endswith("\n") else row + "\n" for row in rows)


def test_every_published_nse_row_becomes_an_instrument() -> None:
    rows = parse_instruments_csv(published("instruments_nse.csv"))
    assert len(rows) == 99
    assert {(r.instrument.exchange, r.instrument.instrument_type) for r in rows} == {
        (Exchange.NSE, InstrumentType.EQ)
    }
    first = rows[0]
    assert first == KiteInstrument(
        Instrument(
            Exchange.NSE,
            "CENTRALBK-BE",
            InstrumentType.EQ,
            Decimal("0.05"),
            1,
            "NSE",
            None,
            None,
            "CENTRAL BANK OF INDIA",
        ),
        token=3813889,
        exchange_token=14898,
        tradingsymbol="CENTRALBK-BE",
    )
    etf = next(r for r in rows if r.tradingsymbol == "MIDCAPIWIN-BL")
    assert (etf.token, etf.exchange_token, etf.instrument.tick_size) == (
        4531969,
        17703,
        Decimal("0.01"),
    )
    assert etf.instrument.key == "NSE:MIDCAPIWIN-BL"


def test_the_published_all_exchanges_sample() -> None:
    parsed = read_instruments_csv(published("instruments_all.csv"))  # CRLF line endings
    assert parsed.records == 99 and parsed.skipped == {}
    kinds = Counter(
        (r.instrument.exchange.value, r.instrument.instrument_type.value) for r in parsed.rows
    )
    assert kinds == {("NSE", "EQ"): 55, ("BSE", "EQ"): 19, ("NFO", "PE"): 15, ("NFO", "CE"): 10}
    by_symbol = {r.tradingsymbol: r for r in parsed.rows}
    call = by_symbol["BANKNIFTY18JAN23500CE"]
    assert (call.token, call.exchange_token) == (12073986, 47164)
    assert call.instrument == Instrument(
        Exchange.NFO,
        "BANKNIFTY18JAN23500CE",
        InstrumentType.CE,
        Decimal("0.05"),
        40,
        "NFO-OPT",
        date(2018, 1, 25),
        Decimal("23500.0"),
        "",
    )
    put = by_symbol["ADANIPORTS17DEC490PE"].instrument
    assert (put.instrument_type, put.lot_size, put.expiry, put.strike) == (
        InstrumentType.PE,
        2500,
        date(2017, 12, 28),
        Decimal(490),
    )
    bond = by_symbol["828GOI27-ML"].instrument
    assert (bond.exchange, bond.tick_size, bond.lot_size, bond.strike, bond.name) == (
        Exchange.BSE,
        Decimal("0.25"),
        500000,
        None,
        "828GOI2027",
    )
    assert by_symbol["COX&KINGS"].instrument.key == "BSE:COX&KINGS"


def test_indices_futures_currency_commodity_and_skipped_rows() -> None:
    parsed = read_instruments_csv(csv_text(OWN_ROWS))
    assert parsed.records == 9
    assert parsed.skipped == {"exchange BCD": 1, "exchange NSEIX": 1, "instrument type BOND": 1}
    got = {r.instrument.key: r for r in parsed.rows}
    assert list(got) == [
        "NSE:NIFTY 50",
        "BSE:SENSEX",
        "NFO:NIFTY21JUNFUT",
        "CDS:USDINR21JUNFUT",
        "MCX:GOLDPETAL21JUNFUT",
        "BFO:SENSEX21JUN52000CE",
    ]
    nifty = got["NSE:NIFTY 50"].instrument
    # Kite lists indices as EQ with tick and lot 0: they become INDEX with 0.05 and 1.
    assert (nifty.instrument_type, nifty.tick_size, nifty.lot_size, nifty.segment) == (
        InstrumentType.INDEX,
        Decimal("0.05"),
        1,
        "INDICES",
    )
    assert got["NSE:NIFTY 50"].token == 256265
    assert got["BSE:SENSEX"].instrument.instrument_type is InstrumentType.INDEX
    future = got["NFO:NIFTY21JUNFUT"].instrument
    assert (future.instrument_type, future.expiry, future.strike, future.lot_size) == (
        InstrumentType.FUT,
        date(2021, 6, 24),
        None,
        75,
    )
    usdinr = got["CDS:USDINR21JUNFUT"]
    assert (usdinr.token, usdinr.instrument.tick_size) == (412675, Decimal("0.0025"))
    assert got["MCX:GOLDPETAL21JUNFUT"].instrument.tick_size == Decimal("1.0")
    option = got["BFO:SENSEX21JUN52000CE"].instrument
    assert (option.instrument_type, option.strike, option.lot_size) == (
        InstrumentType.CE,
        Decimal(52000),
        10,
    )


def test_columns_may_come_in_any_order_and_blank_lines_are_ignored() -> None:
    header = ",".join(reversed(COLUMNS))
    text = f"\ufeff{header}\n\nNSE,NSE,EQ,1,0.05,0,,0,INFOSYS,INFY,1594,408065\n\n"
    (row,) = parse_instruments_csv(text)
    assert (row.instrument.key, row.token, row.exchange_token) == ("NSE:INFY", 408065, 1594)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "instruments CSV is empty: no header line"),
        (
            HEADER.replace(",tick_size", "") + "\n",
            r"line 1: the header lacks column\(s\) tick_size",
        ),
        (
            csv_text("408065,1594,INFY,INFOSYS,0,,0,abc,1,EQ,NSE,NSE"),
            "line 2, column tick_size: 'abc' is not a number",
        ),
        (
            csv_text(OWN_ROWS, "408065,1594,INFY,INFOSYS,0,"),
            "line 11: expected 12 fields, found 6 \\(a truncated or malformed line\\)",
        ),
        (
            csv_text("408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE,extra"),
            "line 2: expected 12 fields, found 13",
        ),
        (
            csv_text("40806x,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE"),
            "line 2, column instrument_token: '40806x' is not a whole number",
        ),
        (
            csv_text("408065,1594,INFY,INFOSYS,0,,0,0.05,1.5,EQ,NSE,NSE"),
            "line 2, column lot_size: '1.5' is not a whole number",
        ),
        (
            csv_text("1,2,X21JUNFUT,X,0,2021-13-01,0,0.05,1,FUT,NFO-FUT,NFO"),
            "line 2, column expiry: '2021-13-01' is not a date YYYY-MM-DD or blank",
        ),
        (
            csv_text("1,2,X21JUN1CE,X,0,2021-06-24,-5,0.05,1,CE,NFO-OPT,NFO"),
            "line 2, column strike: '-5' is not a finite, non-negative number",
        ),
        (
            csv_text("408065,1594,INFY,INFOSYS,0,,0,0,1,EQ,NSE,NSE"),
            "line 2, column tick_size: '0' is not a positive tick size",
        ),
        (
            csv_text("408065,1594,INFY,INFOSYS,0,,0,0.05,0,EQ,NSE,NSE"),
            "line 2, column lot_size: '0' is not a lot size of at least 1",
        ),
        (
            csv_text("408065,1594,,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE"),
            "line 2, column tradingsymbol: '' is not a symbol",
        ),
    ],
)
def test_a_bad_csv_is_refused_naming_line_and_column(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_instruments_csv(text)


def test_unified_symbol_is_kites_tradingsymbol() -> None:
    assert unified_symbol("NSE", "INFY") == "INFY"
    assert unified_symbol("NFO", "NIFTY21JUNFUT") == "NIFTY21JUNFUT"
    assert unified_symbol("NSE", " NIFTY 50 ") == "NIFTY 50"


@pytest.fixture
def master() -> InstrumentMaster:
    return InstrumentMaster(parse_instruments_csv(csv_text(OWN_ROWS)))


def test_master_looks_up_both_ways(master: InstrumentMaster) -> None:
    assert len(master) == 6
    row = master.get("CDS:USDINR21JUNFUT")
    assert (row.token, row.tradingsymbol) == (412675, "USDINR21JUNFUT")
    assert master.get(" cds : usdinr21junfut ") is row
    assert master.token_of("NSE:NIFTY 50") == 256265
    assert master.by_token(58424839) == master.get("MCX:GOLDPETAL21JUNFUT").instrument
    assert master.by_token(1) is None
    assert [r.instrument.key for r in master][:2] == ["NSE:NIFTY 50", "BSE:SENSEX"]


def test_master_refuses_unknown_keys_by_name(master: InstrumentMaster) -> None:
    with pytest.raises(InstrumentNotFound, match="NSE:NOPE is not in Kite's instrument master"):
        master.get("NSE:NOPE")
    with pytest.raises(InstrumentNotFound, match="'INFY' is not an instrument key like"):
        master.token_of("INFY")


def test_find_resolves_kite_symbols_and_falls_back_to_plain_equity(
    master: InstrumentMaster,
) -> None:
    assert master.find("NFO", "NIFTY21JUNFUT") is master.get("NFO:NIFTY21JUNFUT").instrument
    unknown = master.find("nse", "NEWLISTING")
    assert unknown == Instrument(Exchange.NSE, "NEWLISTING")
    assert (unknown.instrument_type, unknown.tick_size, unknown.lot_size) == (
        InstrumentType.EQ,
        Decimal("0.05"),
        1,
    )
    with pytest.raises(InstrumentNotFound, match=r"exchange 'BCD' .* is not one scalpbot trades"):
        master.find("BCD", "EURINR21JUNFUT")


def test_a_duplicate_row_keeps_the_first() -> None:
    rows = parse_instruments_csv(
        csv_text(
            "408065,1594,INFY,INFOSYS,0,,0,0.05,1,EQ,NSE,NSE",
            "999999,9999,INFY,INFOSYS AGAIN,0,,0,0.05,1,EQ,NSE,NSE",
        )
    )
    master = InstrumentMaster(rows)
    assert len(master) == 1 and master.token_of("NSE:INFY") == 408065


# -- the cached master ---------------------------------------------------------------------


def test_refresh_writes_the_cache_and_load_reads_it(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "instruments.csv"
    text = published("instruments_all.csv")
    master = refresh_master(cache, lambda: text)
    assert len(master) == 99 and master.token_of("NFO:BANKNIFTY18JAN23500CE") == 12073986
    assert cache.read_bytes() == text.encode()  # byte for byte, CRLF kept
    assert [p.name for p in cache.parent.iterdir()] == ["instruments.csv"]  # no temp file left
    again = load_master(cache)
    assert [r for r in again] == [r for r in master]


@pytest.mark.parametrize(
    ("download", "message"),
    [
        ("", "download is empty; kept the cached master"),
        (" \n", "download is empty; kept the cached master"),
        (HEADER + "\n", "has no tradable instruments; kept the cached master"),
        (csv_text("1,2,X,X,0,,0,zz,1,EQ,NSE,NSE"), "unreadable .*column tick_size.*; kept the"),
        (
            HEADER.replace(",tick_size", "") + "\n1,2,INFY,INFOSYS,0,,0,1,EQ,NSE,NSE\n",
            "header lacks column\\(s\\) tick_size.*; kept the",
        ),
        (
            csv_text(*published("instruments_all.csv").splitlines()[1:40]),
            "has 39 rows, fewer than 50% of the 99 in the cached master; refused",
        ),
    ],
)
def test_refresh_refuses_a_bad_or_small_download_and_keeps_the_cache(
    tmp_path: Path, download: str, message: str
) -> None:
    cache = tmp_path / "instruments.csv"
    refresh_master(cache, lambda: published("instruments_all.csv"))
    before = cache.read_bytes()
    with pytest.raises(DataError, match=message):
        refresh_master(cache, lambda: download)
    assert cache.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["instruments.csv"]
    assert len(load_master(cache)) == 99


def test_refresh_accepts_a_somewhat_smaller_download_and_honours_min_ratio(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "instruments.csv"
    refresh_master(cache, lambda: published("instruments_all.csv"))
    smaller = csv_text(*published("instruments_all.csv").splitlines()[1:60])  # 59 of 99
    assert len(refresh_master(cache, lambda: smaller)) == 59
    assert cache.read_text() == smaller
    with pytest.raises(DataError, match="fewer than 90% of the 59"):
        refresh_master(cache, lambda: csv_text(*smaller.splitlines()[1:50]), min_ratio=0.9)
    with pytest.raises(ValueError, match="min_ratio must be between 0 and 1"):
        refresh_master(cache, lambda: smaller, min_ratio=1.5)


def test_a_failing_download_leaves_the_cache_alone(tmp_path: Path) -> None:
    cache = tmp_path / "instruments.csv"
    cache.write_text(published("instruments_nse.csv"))

    def broken() -> str:
        raise ConnectionError("network down")

    with pytest.raises(ConnectionError, match="network down"):
        refresh_master(cache, broken)
    assert cache.read_text() == published("instruments_nse.csv")


def test_refresh_without_a_cache_and_an_empty_first_download(tmp_path: Path) -> None:
    cache = tmp_path / "instruments.csv"
    with pytest.raises(DataError, match="download is empty; nothing cached"):
        refresh_master(cache, lambda: "")
    assert not cache.exists()
    assert len(refresh_master(cache, lambda: csv_text(OWN_ROWS))) == 6


def test_load_master_names_a_missing_or_bad_cache(tmp_path: Path) -> None:
    missing = tmp_path / "none.csv"
    with pytest.raises(DataError, match=r"no cached instrument master at .*none\.csv"):
        load_master(missing)
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text("408065,1594,INFY"))
    with pytest.raises(DataError, match=r"bad\.csv: instruments CSV line 2: expected 12 fields"):
        load_master(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text(HEADER + "\n")
    with pytest.raises(DataError, match=r"empty\.csv: the cached instrument master has no"):
        load_master(empty)
