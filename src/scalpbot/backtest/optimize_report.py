"""One self-contained HTML page per optimisation: summary, heat map, walk-forward, results.

Like the backtest report it opens offline (no script, nothing fetched). When exactly two
parameters are swept, a heat map shows the objective over both: a lone bright cell amid dull
neighbours is a fluke of the data, a broad bright plateau is a setting worth trusting. It is an
HTML table coloured by value, so it needs no chart library and prints as it looks.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Final

from scalpbot.backtest.optimize import Optimisation
from scalpbot.backtest.optimize_run import TrialResult
from scalpbot.backtest.walk_forward import walk_forward_json

__all__ = ["MAX_RESULT_ROWS", "heat_map_html", "render_optimize_report", "write_optimize_report"]

MAX_RESULT_ROWS: Final = 1_000
_STOPS: Final = ((0xE5, 0x73, 0x73), (0xFF, 0xF5, 0x9D), (0x66, 0xBB, 0x6A))
"""Worst → middle → best: red, yellow, green (the template's legend shows the same scale)."""


def write_optimize_report(optimisation: Optimisation, path: str | Path) -> Path:
    """Write the report to `path` (parent folders are created); return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_optimize_report(optimisation), encoding="utf-8")
    return target


def render_optimize_report(optimisation: Optimisation) -> str:
    job, outcome = optimisation.job, optimisation.outcome
    objective = job.objective
    names = optimisation.space.names
    ranked = outcome.ranked
    notes = list(outcome.notes)
    if len(ranked) > MAX_RESULT_ROWS:
        notes.append(f"The table lists the best {MAX_RESULT_ROWS:,} of {len(ranked):,} trials.")
    best = outcome.best
    summary = [
        ("Strategy", job.strategy),
        ("Instrument", job.config.instrument.key),
        (
            "Bars",
            f"{len(job.series):,}" + (f" from {job.series.source}" if job.series.source else ""),
        ),
        (
            "Method",
            optimisation.settings.method + (f" (study {outcome.study})" if outcome.study else ""),
        ),
        ("Objective", f"{objective} (higher is better)"),
        ("Trials", f"{len(outcome.results):,} ({len(outcome.skipped):,} skipped)"),
        ("Space", optimisation.space.describe()),
        ("Best", _params(best.params, names) if best is not None else "none ran"),
        ("Ran", optimisation.where),
    ]
    heat = heat_map_html(optimisation) if len(names) == 2 else ""
    template = Template(
        resources.files("scalpbot.backtest")
        .joinpath("templates/optimize.html.tmpl")
        .read_text(encoding="utf-8")
    )
    head = [*names, objective, "net_pnl", "trades", "max_drawdown_pct", "win_rate"]
    return template.substitute(
        title=html.escape(f"Optimisation — {job.strategy} — {job.config.instrument.key}"),
        summary="".join(
            f"<div><dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd></div>" for k, v in summary
        ),
        notes="".join(f"<p class='note'>{html.escape(n)}</p>" for n in notes),
        heatmap=heat,
        walk_forward=_walk_forward_html(optimisation),
        results_head="<th>#</th>" + "".join(f"<th>{html.escape(h)}</th>" for h in head),
        results=_results_html(ranked[:MAX_RESULT_ROWS], names, objective),
    )


def heat_map_html(optimisation: Optimisation) -> str:
    """The objective over the two swept parameters: rows the first, columns the second."""
    first, second = optimisation.space.dimensions
    objective = optimisation.job.objective
    cells: dict[tuple[Any, Any], TrialResult] = {}
    for result in optimisation.outcome.results:
        key = (result.params.get(first.name), result.params.get(second.name))
        held = cells.get(key)
        if held is None or _better(result, held):
            cells[key] = result
    values = [r.objective for r in cells.values() if r.objective is not None]
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    best = optimisation.outcome.best
    rows = [
        f"<tr><th class='axis' colspan='{len(second.values) + 1}'>"
        f"{html.escape(first.name)} ↓ · {html.escape(second.name)} →</th></tr>",
        "<tr><th></th>"
        + "".join(f"<th>{html.escape(str(v))}</th>" for v in second.values)
        + "</tr>",
    ]
    for x in first.values:
        row = [f"<th>{html.escape(str(x))}</th>"]
        for y in second.values:
            held = cells.get((x, y))
            row.append(_cell(held, objective, low, high, held is not None and held is best))
        rows.append("<tr>" + "".join(row) + "</tr>")
    return (
        f"<h2>Heat map of {html.escape(objective)}</h2><section class='scroll'>"
        f"<table class='heatmap' data-objective='{html.escape(objective)}'>{''.join(rows)}</table>"
        f"<p class='legend'><span class='scale'></span> worst {_number(low)} … best "
        f"{_number(high)}; outlined: the best trial; hatched: combinations the strategy "
        "refused; grey: not tried.</p></section>"
    )


def _cell(result: TrialResult | None, objective: str, low: float, high: float, best: bool) -> str:
    if result is None:
        return "<td class='none'>·</td>"
    if result.skipped is not None:
        return f"<td class='skipped' title='{html.escape(result.skipped, quote=True)}'>skip</td>"
    tip = html.escape(f"{objective} {_number(result.objective)}, net P&L {_number(result.net_pnl)}")
    style = (
        ""
        if result.objective is None
        else f" style='background:{_colour(result.objective, low, high)}'"
    )
    css = " class='best'" if best else ""
    return f"<td{css}{style} title='{tip}'>{_number(result.objective)}</td>"


def _colour(value: float, low: float, high: float) -> str:
    share = 0.5 if high <= low else (value - low) / (high - low)
    scaled = share * (len(_STOPS) - 1)
    index = min(int(scaled), len(_STOPS) - 2)
    t = scaled - index
    a, b = _STOPS[index], _STOPS[index + 1]
    return "#" + "".join(f"{round(a[i] + (b[i] - a[i]) * t):02x}" for i in range(3))


def _better(a: TrialResult, b: TrialResult) -> bool:
    """For a cell tried twice (Optuna may propose a point again): ran beats skipped, a defined
    objective beats an undefined one, then the higher objective wins."""

    def score(r: TrialResult) -> tuple[bool, bool, float]:
        return (r.skipped is None, r.objective is not None, r.objective or 0.0)

    return score(a) > score(b)


def _results_html(ranked: list[TrialResult], names: tuple[str, ...], objective: str) -> str:
    if not ranked:
        return f"<tr><td colspan='{len(names) + 6}' class='empty'>No trial ran.</td></tr>"
    rows = []
    for place, result in enumerate(ranked, start=1):
        metrics = result.metrics
        cells = [str(place)]
        cells += [html.escape(str(result.params.get(name))) for name in names]
        row = "".join(f"<td>{c}</td>" for c in cells)
        row += _signed(result.objective) + _signed(result.net_pnl, money=True)
        for key in ("trades", "max_drawdown_pct", "win_rate"):
            row += f"<td>{_number(metrics.get(key))}</td>"
        rows.append(f"<tr>{row}</tr>")
    return "".join(rows)


def _walk_forward_html(optimisation: Optimisation) -> str:
    if optimisation.folds is None:
        return ""
    objective = optimisation.job.objective
    document = walk_forward_json(optimisation.folds, optimisation.job.series, objective)
    names = optimisation.space.names
    rows = []
    for fold in document["folds"]:
        ins, out = fold["in_sample"], fold["out_of_sample"]
        params = _params(ins["params"], names) if ins["params"] is not None else "none ran"
        cells = [
            f"<td>{fold['fold']}</td><td>{html.escape(_span(ins))}</td>",
            f"<td>{html.escape(params)}</td>",
            _signed(ins[objective]) + _signed(ins["net_pnl"], money=True),
            f"<td>{html.escape(_span(out))}</td>",
            _signed(out[objective]) + _signed(out["net_pnl"], money=True),
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    totals = document["totals"]
    rows.append(
        "<tr><th>Total</th><td></td><td></td><td></td>"
        f"{_signed(totals['in_sample_net_pnl'], money=True)}<td></td><td></td>"
        f"{_signed(totals['out_of_sample_net_pnl'], money=True)}</tr>"
    )
    head = [
        "Fold",
        "In-sample",
        "Best params",
        objective,
        "net_pnl",
        "Out-of-sample",
        objective,
        "net_pnl",
    ]
    efficiency = totals["efficiency"]
    return (
        "<h2>Walk-forward</h2><section><table class='walk-forward'><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table><p class='legend'>Each fold "
        "optimises on its in-sample window and trades the winner on the next window, unseen. "
        f"Efficiency (out-of-sample ÷ in-sample net P&amp;L): {_number(efficiency)}.</p></section>"
    )


def _span(window: dict[str, Any]) -> str:
    return f"{window['start'][:16].replace('T', ' ')} → {window['end'][:16].replace('T', ' ')}"


def _params(params: dict[str, Any], names: tuple[str, ...]) -> str:
    return ", ".join(f"{name}={params.get(name)}" for name in names)


def _signed(value: float | None, money: bool = False) -> str:
    """A cell coloured by sign; money always with two decimals."""
    tone = "" if value is None or value == 0 else (" class='pos'" if value > 0 else " class='neg'")
    shown = _number(value) if not money or value is None else f"{value:,.2f}"
    return f"<td{tone}>{shown}</td>"


def _number(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:,.3f}"
