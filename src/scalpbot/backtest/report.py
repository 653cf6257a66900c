"""One self-contained HTML file per backtest: candles with trade marks, equity, drawdown, tables.

Self-contained means it opens offline, years later, from an e-mail attachment: the chart
library (lightweight-charts, vendored under `scalpbot/web/static/vendor/`) is inlined into the
page and nothing is fetched from a CDN. Reading that file is a data dependency on the web
package's static assets, not a Python import, so the layering of DESIGN.md still holds.

A browser chokes on a million candles, so above `MAX_CANDLES` bars the candles are aggregated
into buckets (OHLC of each bucket, never across an IST day when that stays small enough), the
equity curve keeps each bucket's last value and the drawdown each bucket's deepest value, so the
worst drawdown shown is the real one. The header says when that happened.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from scalpbot.backtest.metrics import compute_metrics, drawdown_pct, ist_day_index
from scalpbot.backtest.result import BacktestResult
from scalpbot.domain.errors import DataError
from scalpbot.domain.market_data import ns_to_datetime
from scalpbot.domain.trade import TradeRecord

__all__ = ["MAX_CANDLES", "MAX_MARKED_TRADES", "MAX_TABLE_TRADES", "render_report", "write_report"]

MAX_CANDLES: Final = 5_000
MAX_MARKED_TRADES: Final = 2_000
MAX_TABLE_TRADES: Final = 5_000
MAX_LABELLED_TRADES: Final = 300
"""Above this many marked trades the P&L labels would cover the candles: arrows only."""
IST_SHIFT_S: Final = 19_800
"""lightweight-charts reads times as UTC seconds and labels its axis in UTC. Adding IST's fixed
+05:30 (no daylight saving in India) makes those labels read as IST wall-clock time."""
_DAY_ALIGNED_SLACK: Final = 1.5
"""Day-aligned buckets may exceed MAX_CANDLES by this factor before plain fixed-size ones win."""
_LIBRARY: Final = "static/vendor/lightweight-charts.standalone.production.js"
_LONG_COLOUR: Final = "#2962ff"  # the template's legend names these two colours
_SHORT_COLOUR: Final = "#e65100"

_METRIC_LABELS: Final[dict[str, tuple[str, str]]] = {
    "net_pnl": ("Net P&L (after charges)", "money"),
    "return_pct": ("Return", "pct"),
    "cagr": ("CAGR", "pct"),
    "sharpe": ("Sharpe (daily, annualised)", "ratio"),
    "sortino": ("Sortino (daily, annualised)", "ratio"),
    "max_drawdown_pct": ("Max drawdown", "pct"),
    "win_rate": ("Win rate", "pct"),
    "profit_factor": ("Profit factor", "ratio"),
    "expectancy": ("Expectancy per trade", "money"),
    "trades": ("Closed trades", "int"),
    "exposure_pct": ("Exposure (bars in market)", "pct"),
    "charges": ("Charges", "money"),
}


@dataclass(frozen=True, slots=True)
class _Buckets:
    """Row ranges of the bar series that become one candle each, and their chart times."""

    starts: npt.NDArray[np.intp]
    ends: npt.NDArray[np.intp]
    times: npt.NDArray[np.int64]
    """Strictly increasing chart times: UTC seconds shifted by IST_SHIFT_S."""


def write_report(result: BacktestResult, path: str | Path) -> Path:
    """Write the HTML report of `result` to `path` (parent folders are created); return it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(result), encoding="utf-8")
    return target


def render_report(result: BacktestResult) -> str:
    """The report as one HTML string (what `write_report` writes)."""
    bars = result.bars
    n = len(bars)
    equity = np.asarray(result.equity, dtype=np.float64)
    if equity.shape != (n,):
        raise DataError(f"report: equity has {equity.size} values for {n} bars; need one per bar")
    for name in ("open", "high", "low", "close"):
        column: npt.NDArray[np.float64] = getattr(bars, name)
        if n and not np.isfinite(column).all():
            bad = int(np.flatnonzero(~np.isfinite(column))[0])
            raise DataError(f"report: bar {bad} has a non-finite {name} price in {bars.source!r}")
    metrics = result.metrics or compute_metrics(
        bars.ts, equity, result.in_market, result.trades, result.initial_cash, result.total_charges
    )
    buckets = bucket_bars(np.asarray(bars.ts, dtype=np.int64))
    notes: list[str] = []
    if buckets.times.size < n:
        notes.append(
            f"The chart is aggregated: {n:,} bars are drawn as {buckets.times.size:,} candles "
            "(OHLC of each bucket). The equity line shows each bucket's last value and the "
            "drawdown each bucket's deepest value; the tables use every bar."
        )
    marked = result.trades[:MAX_MARKED_TRADES]
    if len(result.trades) > MAX_MARKED_TRADES:
        notes.append(
            f"Chart marks show the first {MAX_MARKED_TRADES:,} of {len(result.trades):,} trades."
        )
    if len(marked) > MAX_LABELLED_TRADES:
        notes.append("With this many trades the chart marks carry no P&L labels; see the table.")
    if result.open_position is not None:
        pos = result.open_position
        notes.append(
            f"A {pos.side} position of {pos.quantity} opened {_ist(pos.entry_ts)} at "
            f"{_price(pos.entry_price)} was still open at the end (counted in equity, "
            "not in the trade list)."
        )
    data = chart_data(result, equity, buckets, marked)
    template = Template(
        resources.files("scalpbot.backtest")
        .joinpath("templates/report.html.tmpl")
        .read_text(encoding="utf-8")
    )
    return template.substitute(
        title=html.escape(f"Backtest — {result.strategy} — {result.instrument_key}"),
        summary=_summary_html(result),
        notes="".join(f"<p class='note'>{html.escape(note)}</p>" for note in notes),
        metrics=_metrics_html(metrics),
        trades=_trades_html(result.trades),
        data_json=_script_json(data),
        library=_library_js(),
    )


def bucket_bars(ts_ns: npt.NDArray[np.int64]) -> _Buckets:
    """Group bars into at most about MAX_CANDLES candles with strictly increasing times.

    Buckets restart at each IST day so no candle spans an overnight gap, unless the data has so
    many days that this would leave too many candles (then buckets are plain runs of k bars).
    Bars whose chart second equals or precedes an earlier bucket's join that bucket, because
    lightweight-charts throws on repeated or decreasing times.
    """
    n = ts_ns.size
    seconds = ts_ns // 1_000_000_000 + IST_SHIFT_S
    index = np.arange(n)
    if n > MAX_CANDLES:
        k = math.ceil(n / MAX_CANDLES)
        day = ist_day_index(ts_ns)
        new_day = np.ones(n, dtype=np.bool_)
        new_day[1:] = day[1:] != day[:-1]
        position_in_day = index - np.maximum.accumulate(np.where(new_day, index, 0))
        candidate = position_in_day % k == 0
        if candidate.sum() > MAX_CANDLES * _DAY_ALIGNED_SLACK:
            candidate = index % k == 0
    else:
        candidate = np.ones(n, dtype=np.bool_)
    starts = np.flatnonzero(candidate)
    times = seconds[starts]
    if times.size > 1:
        earlier_max = np.maximum.accumulate(times)[:-1]
        keep = np.concatenate(([True], times[1:] > earlier_max))
        starts, times = starts[keep], times[keep]
    ends = np.append(starts[1:], n)[: starts.size].astype(np.intp)
    return _Buckets(starts.astype(np.intp), ends, times.astype(np.int64))


def chart_data(
    result: BacktestResult,
    equity: npt.NDArray[np.float64],
    buckets: _Buckets,
    marked: list[TradeRecord],
) -> dict[str, Any]:
    """Columns for the page's script: candles, equity, drawdown (negative %), trade marks."""
    bars, starts, last = result.bars, buckets.starts, buckets.ends - 1
    empty = starts.size == 0
    drawdown = drawdown_pct(equity, float(result.initial_cash))
    return {
        "t": buckets.times.tolist(),
        "o": bars.open[starts].tolist(),
        "h": [] if empty else np.maximum.reduceat(bars.high, starts).tolist(),
        "l": [] if empty else np.minimum.reduceat(bars.low, starts).tolist(),
        "c": bars.close[last].tolist(),
        "equity": equity[last].tolist(),
        "drawdown": [] if empty else (-np.maximum.reduceat(drawdown, starts)).tolist(),
        "initial": float(result.initial_cash),
        "markers": [] if empty else _markers(bars.ts, buckets, marked),
    }


def _markers(
    bars_ts: npt.NDArray[np.int64], buckets: _Buckets, trades: list[TradeRecord]
) -> list[dict[str, Any]]:
    """Entry and exit arrows at the trade's price, on the candle that holds its time.

    Arrows point the way the order went (up for a buy, down for a sell); the colour is the
    trade's side (long or short); the exit mark carries the net P&L.
    """
    if not trades:
        return []
    moments = np.array([[t.entry_ts, t.exit_ts] for t in trades], dtype=np.int64).ravel()
    bar_of = np.clip(np.searchsorted(bars_ts, moments, side="right") - 1, 0, None)
    bucket_of = np.searchsorted(buckets.starts, bar_of, side="right") - 1
    times = buckets.times[bucket_of].tolist()
    labelled = len(trades) <= MAX_LABELLED_TRADES
    marks: list[dict[str, Any]] = []
    for i, trade in enumerate(trades):
        long = trade.side == "BUY"
        colour = _LONG_COLOUR if long else _SHORT_COLOUR
        for is_exit, price in ((False, trade.entry_price), (True, trade.exit_price)):
            buy = long != is_exit
            marks.append(
                {
                    "time": times[2 * i + int(is_exit)],
                    "position": "atPriceBottom" if buy else "atPriceTop",
                    "price": float(price),
                    "shape": "arrowUp" if buy else "arrowDown",
                    "color": colour,
                }
            )
            if labelled:
                marks[-1]["text"] = (
                    f"{float(trade.net_pnl):+,.2f}" if is_exit else ("L" if long else "S")
                )
    marks.sort(key=lambda mark: int(mark["time"]))
    return marks


def _summary_html(result: BacktestResult) -> str:
    """The header's key facts as a definition list; every user-given text is escaped."""
    bars = result.bars
    n = len(bars)
    period = f"{_ist(int(bars.ts[0]))} → {_ist(int(bars.ts[-1]))} IST" if n else "no bars"
    params = ", ".join(f"{key}={value!r}" for key, value in result.params.items()) or "(none)"
    rows = [
        ("Strategy", result.strategy),
        ("Parameters", params),
        ("Instrument", result.instrument_key),
        ("Period", period),
        ("Bars", f"{n:,}" + (f" from {bars.source}" if bars.source else "")),
        ("Initial cash", f"{float(result.initial_cash):,.2f}"),
        ("Final equity", f"{float(result.final_equity):,.2f}"),
    ]
    return "".join(
        f"<div><dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd></div>"
        for label, value in rows
    )


def _metrics_html(metrics: dict[str, float | int | None]) -> str:
    """Rows of the metrics table in METRIC_LABELS order, then any extra keys the runner added."""
    keys = [k for k in _METRIC_LABELS if k in metrics] + [
        k for k in metrics if k not in _METRIC_LABELS
    ]
    rows = []
    for key in keys:
        label, kind = _METRIC_LABELS.get(key, (key, "ratio"))
        rows.append(
            f"<tr><th scope='row'>{html.escape(label)}</th>"
            f"<td data-metric='{html.escape(key)}'>{_format(metrics[key], kind)}</td></tr>"
        )
    return "".join(rows)


def _format(value: float | int | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{value:,.2f}%"
    if kind == "int":
        return f"{value:,}"
    return html.escape(f"{value:,.3f}" if isinstance(value, float) else str(value))


def _trades_html(trades: list[TradeRecord]) -> str:
    """Table rows: every trade up to MAX_TABLE_TRADES, else the first and last halves of that."""
    if not trades:
        return "<tr><td colspan='10' class='empty'>No closed trades.</td></tr>"
    half = MAX_TABLE_TRADES // 2
    if len(trades) <= MAX_TABLE_TRADES:
        shown = [(i, trades[i]) for i in range(len(trades))]
        gap_after = -1
    else:
        tail_start = len(trades) - half
        shown = [(i, trades[i]) for i in range(half)]
        shown += [(i, trades[i]) for i in range(tail_start, len(trades))]
        gap_after = half - 1
    rows = []
    for number, trade in shown:
        net = trade.net_pnl
        tone = "win" if net > 0 else "loss" if net < 0 else ""
        rows.append(
            f"<tr class='trade {tone}'><td>{number + 1}</td>"
            f"<td>{'Long' if trade.side == 'BUY' else 'Short'}</td><td>{trade.quantity:,}</td>"
            f"<td>{_ist(trade.entry_ts)}</td><td>{_price(trade.entry_price)}</td>"
            f"<td>{_ist(trade.exit_ts)}</td><td>{_price(trade.exit_price)}</td>"
            f"<td>{trade.pnl:,.2f}</td><td>{trade.charges:,.2f}</td><td>{net:,.2f}</td></tr>"
        )
        if number == gap_after:
            skipped = len(trades) - MAX_TABLE_TRADES
            rows.append(
                f"<tr class='gap'><td colspan='10'>… {skipped:,} trades not listed: the table "
                f"shows the first and last {half:,} of {len(trades):,} …</td></tr>"
            )
    return "".join(rows)


def _price(price: Decimal) -> str:
    """At least two decimals, more only when the tick size needs them (0.0025 in currency)."""
    exponent = price.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{price:,.{places}f}"


def _ist(ts_ns: int) -> str:
    return ns_to_datetime(ts_ns).strftime("%Y-%m-%d %H:%M:%S")


def _script_json(data: dict[str, Any]) -> str:
    """JSON that is safe inside a <script> element: no '<' can open `</script>` or `<!--`."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")


def _library_js() -> str:
    """The vendored lightweight-charts standalone build, to be inlined in a <script> element."""
    source = resources.files("scalpbot.web").joinpath(_LIBRARY).read_text(encoding="utf-8")
    if "</script" in source.lower():
        raise DataError(
            f"the vendored chart library {_LIBRARY} contains '</script' and cannot be inlined"
        )
    return source
