"""Parameter sweeps (`scalpbot optimize --save`) read back from the stored backtest runs.

A sweep has no table of its own: each of its trials is a backtest run whose summary holds an
`optimisation` entry with the sweep's id, the swept parameter names and the trial's objective
value, and the sweep's first stored run also holds `sweep_info` (the space and the refused
combinations); see `scalpbot.cli.optimize_output`. `SweepIndex` finds them.

The store can only list the newest runs or get one by id, and a run may carry thousands of
trades, so the index does not reread every run per request: it reads each run once, in id
order, keeps only what a sweep shows (a few numbers per trial), and on the next request reads
only the runs stored since. Runs are never changed once stored, so what it kept stays true.
Reading (and building the answer) happens in a worker thread: the event loop also runs the
trading session and must not wait on the database.
"""

from __future__ import annotations

import asyncio
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeGuard

from scalpbot.store import BacktestRunRecord, RecordNotFound, Store

__all__ = ["Sweep", "SweepIndex", "sweep_detail", "sweep_summary"]

#: An id a read found empty although a higher one exists (on PostgreSQL a writer's
#: transaction may commit after a later one's, or roll back and leave a gap) is asked for
#: again on this many later reads, then given up.
MISSING_RETRIES: Final = 10
#: Objectives whose neutral value is not 0 (a profit factor of 1 breaks even).
CENTRES: Final[dict[str, float]] = {"profit_factor": 1.0}


@dataclass(slots=True)
class Trial:
    """What a sweep shows of one stored trial."""

    run_id: int
    trial: int | None
    params: dict[str, Any]
    net_pnl: float | None
    value: float | None
    trades: int | None
    max_drawdown_pct: float | None
    win_rate: float | None
    trades_stored: bool

    def view(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "trial": self.trial,
            "params": self.params,
            "net_pnl": self.net_pnl,
            "value": self.value,
            "trades": self.trades,
            "max_drawdown_pct": self.max_drawdown_pct,
            "win_rate": self.win_rate,
            "trades_stored": self.trades_stored,
        }


@dataclass(slots=True)
class Sweep:
    """One `optimize --save`: its trials so far (stored runs) and what it says of itself."""

    id: str
    strategy: str
    data_source: str
    instrument: str | None
    objective: str
    method: str | None
    study: str | None
    parameters: list[str]
    created_at: datetime
    space: dict[str, list[Any]] | None = None
    skipped: list[dict[str, Any]] = field(default_factory=list)
    skipped_count: int = 0
    trials: list[Trial] = field(default_factory=list)

    def ranked(self) -> list[Trial]:
        """Best first: higher objective first, undefined ones last, ties in trial order (the
        ranking of `scalpbot optimize`)."""
        return sorted(
            self.trials,
            key=lambda t: (t.value is None, -(t.value or 0.0), t.trial or 0, t.run_id),
        )


class SweepIndex:
    """The sweeps among a store's backtest runs, kept up to date by reading new runs only."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._read_up_to = 0
        self._missing: dict[int, int] = {}  # run id → reads left to try it again
        self._sweeps: dict[str, Sweep] = {}

    async def summaries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """`sweep_summary` of every sweep (the newest `limit`), newest first, after reading
        the runs stored since the last call."""
        return await asyncio.to_thread(self._summaries, limit)

    async def detail(self, sweep_id: str) -> dict[str, Any]:
        """`sweep_detail` of one sweep; `RecordNotFound` (404) naming the id otherwise."""
        found = await asyncio.to_thread(self._detail, sweep_id)
        if found is None:
            raise RecordNotFound(
                f"no parameter sweep with id {sweep_id!r}; GET /api/optimizations lists them "
                "(a sweep is stored by `scalpbot optimize --save`)"
            )
        return found

    # The views are built under the lock too: a later read appends to a sweep's trials.
    def _summaries(self, limit: int | None) -> list[dict[str, Any]]:
        with self._lock:
            self._read_new()
            newest = sorted(self._sweeps.values(), key=lambda s: (s.created_at, s.id))[::-1]
            return [sweep_summary(s) for s in newest[:limit]]

    def _detail(self, sweep_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._read_new()
            sweep = self._sweeps.get(sweep_id)
            return None if sweep is None else sweep_detail(sweep)

    def _read_new(self) -> None:
        """Read the runs not read yet (blocking: runs in a worker thread, under the lock)."""
        newest = self._store.backtests.list(1)
        last = newest[0].id if newest else 0
        retry, self._missing = self._missing, {}
        fresh = range(self._read_up_to + 1, last + 1)
        for run_id, tries in [*retry.items(), *((i, MISSING_RETRIES) for i in fresh)]:
            run = self._store.backtests.get(run_id)
            if run is not None:
                self._add(run)
            elif tries > 0:
                self._missing[run_id] = tries - 1
        self._read_up_to = max(self._read_up_to, last)

    def _add(self, run: BacktestRunRecord) -> None:
        entry = run.summary.get("optimisation")
        if not isinstance(entry, dict):
            return  # a plain `scalpbot backtest --save` run
        sweep_id = entry.get("sweep")
        if not isinstance(sweep_id, str) or not sweep_id:
            return  # saved before sweeps had ids: nothing groups it with its siblings
        sweep = self._sweeps.get(sweep_id)
        if sweep is None:
            sweep = self._sweeps[sweep_id] = Sweep(
                id=sweep_id,
                strategy=run.strategy,
                data_source=run.data_source,
                instrument=_text(run.summary.get("instrument")),
                objective=_text(entry.get("objective")) or "net_pnl",
                method=_text(entry.get("method")),
                study=_text(entry.get("study")),
                parameters=[p for p in _list(entry.get("parameters")) if isinstance(p, str)],
                created_at=run.created_at,
            )
        info = entry.get("sweep_info")
        if isinstance(info, dict):
            space = info.get("space")
            if isinstance(space, dict):
                sweep.space = {str(k): _list(v) for k, v in space.items()}
            sweep.skipped = [
                s for s in _list(info.get("skipped")) if isinstance(s, dict) and "params" in s
            ]
            count = info.get("skipped_count")
            sweep.skipped_count = count if _is_int(count) else len(sweep.skipped)
        metrics = run.metrics
        trades = metrics.get("trades")
        sweep.trials.append(
            Trial(
                run_id=run.id,
                trial=entry["trial"] if _is_int(entry.get("trial")) else None,
                params=dict(run.params),
                net_pnl=_number(metrics.get("net_pnl")),
                value=_number(entry.get("value")),
                trades=trades if _is_int(trades) else None,
                max_drawdown_pct=_number(metrics.get("max_drawdown_pct")),
                win_rate=_number(metrics.get("win_rate")),
                trades_stored=entry.get("trades_stored") is True,
            )
        )


# -- views ---------------------------------------------------------------------------------------
def sweep_summary(sweep: Sweep) -> dict[str, Any]:
    """A line of `GET /api/optimizations`."""
    ranked = sweep.ranked()
    best = ranked[0] if ranked else None
    return {
        "id": sweep.id,
        "strategy": sweep.strategy,
        "data_source": sweep.data_source,
        "instrument": sweep.instrument,
        "objective": sweep.objective,
        "method": sweep.method,
        "study": sweep.study,
        "parameters": sweep.parameters,
        "trials": len(sweep.trials),
        "skipped": sweep.skipped_count,
        "best": None
        if best is None
        else {
            "run_id": best.run_id,
            "params": best.params,
            "net_pnl": best.net_pnl,
            "value": best.value,
        },
        "created_at": sweep.created_at,
    }


def sweep_detail(sweep: Sweep) -> dict[str, Any]:
    """`GET /api/optimizations/{id}`: the summary, every trial best first, and the grid of
    the objective when exactly two parameters vary."""
    return {
        **sweep_summary(sweep),
        "space": sweep.space,
        "centre": CENTRES.get(sweep.objective, 0.0),
        "results": [t.view() for t in sweep.ranked()],
        "grid": _grid(sweep),
    }


def _grid(sweep: Sweep) -> dict[str, Any] | None:
    """Rows the first varying parameter (`x`), columns the second (`y`), like the HTML
    report's heat map: `values[i][j]` is the objective at `x_values[i]`, `y_values[j]`."""
    axes = {name: _axis(sweep, name) for name in sweep.parameters}
    varying = [name for name, values in axes.items() if len(values) > 1]
    if len(varying) != 2:
        return None
    x, y = varying
    cells: dict[tuple[Any, Any], Trial] = {}
    for trial in sweep.trials:
        key = (_key(trial.params.get(x)), _key(trial.params.get(y)))
        held = cells.get(key)
        if held is None or _better(trial, held):
            cells[key] = trial
    reasons: dict[tuple[Any, Any], str] = {}
    for refused in sweep.skipped:
        params = refused["params"] if isinstance(refused["params"], dict) else {}
        key = (_key(params.get(x)), _key(params.get(y)))
        reasons.setdefault(key, str(refused.get("reason") or "refused by the strategy"))
    ranked = sweep.ranked()
    best = ranked[0] if ranked and ranked[0].value is not None else None
    values: list[list[float | None]] = []
    run_ids: list[list[int | None]] = []
    skipped: list[list[str | None]] = []
    best_cell: list[int] | None = None
    for i, xv in enumerate(axes[x]):
        values.append([])
        run_ids.append([])
        skipped.append([])
        for j, yv in enumerate(axes[y]):
            key = (_key(xv), _key(yv))
            cell = cells.get(key)
            values[i].append(None if cell is None else cell.value)
            run_ids[i].append(None if cell is None else cell.run_id)
            skipped[i].append(reasons.get(key) if cell is None else None)
            if cell is not None and cell is best:
                best_cell = [i, j]
    defined = [v for row in values for v in row if v is not None]
    return {
        "x": x,
        "y": y,
        "x_values": axes[x],
        "y_values": axes[y],
        "values": values,
        "run_ids": run_ids,
        "skipped": skipped,
        "best": best_cell,
        "min": min(defined) if defined else None,
        "max": max(defined) if defined else None,
    }


def _axis(sweep: Sweep, name: str) -> list[Any]:
    """The values of a swept parameter: the stored space's (refused and untried ones
    included, in the order swept), else those its trials and refusals used, sorted."""
    if sweep.space is not None and isinstance(sweep.space.get(name), list):
        return _distinct(sweep.space[name])
    seen = [t.params.get(name) for t in sweep.trials]
    seen += [s["params"].get(name) for s in sweep.skipped if isinstance(s["params"], dict)]
    values = _distinct(v for v in seen if v is not None)
    numbers = [v for v in values if _is_number(v)]
    others = [v for v in values if not _is_number(v)]
    return sorted(numbers) + sorted(others, key=str)


def _distinct(values: Any) -> list[Any]:
    kept: dict[Any, Any] = {}
    for value in values:
        kept.setdefault(_key(value), value)
    return list(kept.values())


def _key(value: Any) -> Any:
    """A dict key that tells True from 1 (and survives an unhashable value)."""
    try:
        hash(value)
    except TypeError:
        return ("text", repr(value))
    return (type(value) is bool, value)


def _better(a: Trial, b: Trial) -> bool:
    """For a cell tried twice: a defined objective beats an undefined one, then the higher."""
    return (a.value is not None, a.value or 0.0) > (b.value is not None, b.value or 0.0)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: object) -> float | None:
    """A finite stored number as a float; None for anything else."""
    if not _is_number(value):
        return None
    number = float(value)  # type: ignore[arg-type]  # _is_number checked it
    return number if math.isfinite(number) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []
