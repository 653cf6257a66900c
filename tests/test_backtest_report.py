"""The HTML backtest report: self-contained, escaped, aggregated when large, drawn by a browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scalpbot.backtest.metrics import compute_metrics
from scalpbot.backtest.report import (
    MAX_CANDLES,
    MAX_MARKED_TRADES,
    MAX_TABLE_TRADES,
    render_report,
    write_report,
)
from scalpbot.backtest.result import BacktestResult, OpenPosition
from scalpbot.data.series import BarSeries
from scalpbot.domain import DataError, TradeRecord, datetime_to_ns

MINUTE = 60_000_000_000
EVIL = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def trading_minutes(count: int, per_day: int = 375) -> np.ndarray[Any, np.dtype[np.int64]]:
    """One-minute bar open times from 09:15 IST, `per_day` bars a day, weekdays only."""
    day0 = datetime_to_ns(datetime(2024, 1, 1, 9, 15))  # a Monday, IST
    k = np.arange(count, dtype=np.int64)
    day, minute = k // per_day, k % per_day
    week, weekday = day // 5, day % 5
    return day0 + (week * 7 + weekday) * 86_400_000_000_000 + minute * MINUTE


def make_result(
    n_bars: int = 30,
    trades: list[TradeRecord] | None = None,
    *,
    strategy: str = "ma_cross",
    params: dict[str, Any] | None = None,
    instrument: str = "NSE:ACME",
    per_day: int = 10,
    ts: np.ndarray[Any, np.dtype[np.int64]] | None = None,
) -> BacktestResult:
    ts = trading_minutes(n_bars, per_day) if ts is None else ts
    close = 100.0 + np.sin(np.arange(n_bars) / 7.0) * 5.0
    open_ = np.concatenate(([100.0], close[:-1]))
    bars = BarSeries(
        ts, open_, np.maximum(open_, close) + 0.5, np.minimum(open_, close) - 0.5, close,
        np.full(n_bars, 1000.0), source="unit-test",
    )  # fmt: skip
    equity = 100_000.0 + (close - 100.0) * 50.0
    in_market = np.arange(n_bars) % 3 == 0
    trades = trades if trades is not None else sample_trades(ts)
    charges = sum((t.charges for t in trades), Decimal(0))
    return BacktestResult(
        strategy=strategy,
        params=params if params is not None else {"fast": 9, "slow": 21},
        instrument_key=instrument,
        bars=bars,
        trades=trades,
        open_position=None,
        equity=equity,
        in_market=in_market,
        initial_cash=Decimal(100_000),
        final_equity=Decimal(str(round(float(equity[-1]), 2))) if n_bars else Decimal(100_000),
        total_charges=charges,
        metrics=compute_metrics(ts, equity, in_market, trades, Decimal(100_000), charges),
    )


def sample_trades(ts: np.ndarray[Any, np.dtype[np.int64]]) -> list[TradeRecord]:
    return [
        TradeRecord("NSE:ACME", int(ts[2]), Decimal("100.50"), int(ts[5]), Decimal("103.25"),
                    10, "BUY", Decimal("27.50"), Decimal("1.20")),
        TradeRecord("NSE:ACME", int(ts[12]), Decimal("104.00"), int(ts[15]), Decimal("105.00"),
                    10, "SELL", Decimal("-10.00"), Decimal("1.10")),
        TradeRecord("NSE:ACME", int(ts[21]), Decimal("97.0025"), int(ts[24]), Decimal("98.10"),
                    5, "BUY", Decimal("5.49"), Decimal("0.80")),
    ]  # fmt: skip


def many_trades(ts: np.ndarray[Any, np.dtype[np.int64]], count: int) -> list[TradeRecord]:
    return [
        TradeRecord("NSE:ACME", int(ts[i]), Decimal(100), int(ts[i + 1]), Decimal(101), 1,
                    "BUY" if i % 2 else "SELL", Decimal(1), Decimal("0.10"))
        for i in range(count)
    ]  # fmt: skip


def chart_data(page: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_writes_one_self_contained_file(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "report.html"
    written = write_report(make_result(), target)
    assert written == target
    page = target.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]*\ssrc\s*=", page, re.IGNORECASE)
    assert not re.search(r"<(link|img|iframe)[^>]*\s(src|href)\s*=\s*[\"']?https?:", page, re.I)
    library = (
        resources.files("scalpbot.web")
        .joinpath("static/vendor/lightweight-charts.standalone.production.js")
        .read_text(encoding="utf-8")
    )
    assert library in page
    assert "TradingView Lightweight Charts" in page


def test_header_tables_and_metric_values() -> None:
    result = make_result()
    page = render_report(result)
    assert page.count("<tr class='trade") == 3
    assert "<td>2024-01-01 09:17:00</td><td>100.50</td>" in page  # entry time in IST
    assert "<td>97.0025</td>" in page  # a price finer than paise keeps its digits
    assert "<td>26.30</td></tr>" in page  # net P&L of the first trade
    assert "<td data-metric='net_pnl'>19.89</td>" in page
    assert "<td data-metric='trades'>3</td>" in page
    assert "<td data-metric='win_rate'>66.67%</td>" in page
    assert "<td data-metric='profit_factor'>2.792</td>" in page  # (26.30 + 4.69) / 11.10
    assert "fast=9, slow=21" in page
    assert "2024-01-01 09:15:00 → 2024-01-03 09:24:00 IST" in page
    assert "100,000.00" in page
    assert "aggregated" not in page


def test_user_text_is_escaped_in_html_and_json() -> None:
    result = make_result(strategy=EVIL, params={"note": EVIL}, instrument=f"NSE:{EVIL}")
    page = render_report(result)
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Only the page's own three script elements close: data, library, chart code.
    assert page.lower().count("</script") == 3


def test_open_position_is_noted() -> None:
    result = make_result()
    result.open_position = OpenPosition(int(result.bars.ts[-1]), Decimal("99.5"), 10, "SELL")
    assert "A SELL position of 10 opened 2024-01-03 09:24:00 at 99.50" in render_report(result)


def test_small_series_is_charted_bar_for_bar_with_marks_on_candles() -> None:
    result = make_result()
    data = chart_data(render_report(result))
    expected_times = (result.bars.ts // 1_000_000_000 + 19_800).tolist()
    assert data["t"] == expected_times  # IST wall time written as UTC seconds
    assert data["equity"] == result.equity.tolist()
    assert len(data["markers"]) == 6
    assert {m["time"] for m in data["markers"]} <= set(data["t"])
    first = data["markers"][0]
    assert first["shape"] == "arrowUp" and first["price"] == 100.5 and first["text"] == "L"
    exit_of_short = [m for m in data["markers"] if m.get("text") == "-11.10"]
    assert exit_of_short and exit_of_short[0]["shape"] == "arrowUp"  # buying back a short


def test_twenty_thousand_bars_are_aggregated_with_increasing_times() -> None:
    result = make_result(20_000, per_day=375)
    page = render_report(result)
    data = chart_data(page)
    times = np.array(data["t"])
    assert 1_000 < times.size <= MAX_CANDLES * 1.5
    assert bool((np.diff(times) > 0).all())
    assert "The chart is aggregated: 20,000 bars are drawn as" in page
    assert max(data["h"]) == result.bars.high.max()
    assert min(data["l"]) == result.bars.low.min()
    assert data["c"][-1] == result.bars.close[-1]
    assert -min(data["drawdown"]) == pytest.approx(result.metrics["max_drawdown_pct"])
    assert {m["time"] for m in data["markers"]} <= set(data["t"])
    # Buckets restart each IST day (375 bars, not a multiple of the 4-bar bucket), so no candle
    # holds bars of two days: every day's 09:15 bar opens a candle.
    day_opens = result.bars.ts[::375] // 1_000_000_000 + 19_800
    assert set(day_opens.tolist()) <= set(data["t"])


def test_sub_second_and_repeated_timestamps_merge_into_increasing_candles() -> None:
    start = datetime_to_ns(datetime(2024, 1, 1, 9, 15))
    ts = start + np.arange(40, dtype=np.int64) * 250_000_000  # four bars a second
    ts[20] = ts[19]  # a repeated timestamp
    data = chart_data(render_report(make_result(40, trades=[], ts=ts)))
    assert len(data["t"]) == 10
    assert bool((np.diff(data["t"]) > 0).all())


def test_many_trades_are_capped_on_the_chart_and_in_the_table() -> None:
    ts = trading_minutes(8_000)
    result = make_result(8_000, trades=many_trades(ts, 6_000), per_day=375)
    page = render_report(result)
    data = chart_data(page)
    assert len(data["markers"]) == 2 * MAX_MARKED_TRADES
    assert "Chart marks show the first 2,000 of 6,000 trades." in page
    assert all("text" not in m for m in data["markers"])  # too many for P&L labels
    assert page.count("<tr class='trade") == MAX_TABLE_TRADES
    assert "1,000 trades not listed" in page
    assert "<td>2500</td>" in page and "<td>3501</td>" in page and "<td>3500</td>" not in page
    assert "<td>6000</td>" in page


def test_no_bars_still_renders() -> None:
    result = make_result(0, trades=[])
    page = render_report(result)
    assert chart_data(page)["t"] == []
    assert "No closed trades." in page
    assert "no bars" in page


def test_equity_that_does_not_match_the_bars_is_an_error() -> None:
    result = make_result()
    result.equity = result.equity[:-1]
    with pytest.raises(DataError, match="29 values for 30 bars"):
        render_report(result)


def test_metrics_are_computed_when_the_result_has_none() -> None:
    result = make_result()
    result.metrics = {}
    assert "<td data-metric='trades'>3</td>" in render_report(result)


@pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="headless Chromium is not installed (apt-get install chromium); CI installs it",
)
@pytest.mark.parametrize("n_bars", [30, 20_000])
def test_a_real_browser_draws_the_charts(tmp_path: Path, n_bars: int) -> None:
    target = write_report(make_result(n_bars, per_day=375), tmp_path / "report.html")
    dom = subprocess.run(
        [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1400,2000", "--dump-dom", target.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    status = re.search(r'id="chart-status" data-state="(\w+)">([^<]*)<', dom)
    assert status is not None, "the report's chart status element is missing from the DOM"
    assert status.group(1) == "ok", f"chart failed in Chromium: {status.group(2)}"
    assert dom.count("<canvas") >= 6  # three panes, each with a plot and a price-axis canvas
