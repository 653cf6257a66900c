"""Backtests started from the API: run in a worker thread, polled as jobs, results stored.

A backtest of a year of minute bars takes seconds; an HTTP request should not wait that long,
and the event loop (which also runs the trading session and the push) must not be blocked, so
`POST /api/strategies/{id}/backtest` answers 202 with a job id at once and the run happens in a
thread (`asyncio.to_thread`). One runs at a time (the machine has few cores and a live session
to serve); the others queue. Jobs are kept in memory (the newest `MAX_JOBS`); their results are
also stored as backtest runs, which survive restarts.

A result holds the metrics, the trades (money as text) and what a chart needs: candles
aggregated to at most a few thousand, the equity and drawdown per candle, and entry/exit marks.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from scalpbot.api.views import money, trade_view
from scalpbot.backtest.report import MAX_MARKED_TRADES, bucket_bars, chart_data
from scalpbot.backtest.result import BacktestResult
from scalpbot.backtest.runner import BacktestConfig, run_backtest
from scalpbot.brokers.paper import PaperConfig
from scalpbot.data import load_bars
from scalpbot.data.sample_files import SAMPLES, sample_path
from scalpbot.domain import (
    ConfigError,
    DataError,
    Exchange,
    Instrument,
    InstrumentType,
    Product,
    ScalpbotError,
    parse_enum,
)
from scalpbot.store import Store
from scalpbot.store.types import utc_now
from scalpbot.strategies import create_strategy

MAX_JOBS = 50


@dataclass(slots=True)
class Job:
    id: str
    kind: str
    strategy_id: int | None
    status: str = "queued"
    progress: float = 0.0
    created_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    error: str | None = None
    result: dict[str, Any] | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress, 4),
            "strategy_id": self.strategy_id,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
            "error": self.error,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class BacktestPlan:
    """Everything a backtest needs, checked before the job is accepted."""

    class_spec: str
    params: dict[str, Any]
    data: Path
    config: BacktestConfig


def resolve_data(home: Path, data: str) -> Path:
    """A bundled sample by name, a path under the home's data/ folder, or an absolute path."""
    if data in SAMPLES:
        return sample_path(data)
    try:
        path = Path(data).expanduser()
    except RuntimeError:  # "~someone" for a user this machine does not have
        raise DataError(f"data file {data!r}: cannot expand the ~ in it") from None
    if not path.is_absolute():
        path = home / "data" / path
    if not path.is_file():
        raise DataError(
            f"data file {data!r} not found (looked for {path}); give a bundled sample "
            f"({', '.join(SAMPLES)}), a file in {home / 'data'} or an absolute path"
        )
    return path


def plan_backtest(
    home: Path, class_spec: str, params: dict[str, Any], request: dict[str, Any]
) -> BacktestPlan:
    """Check a backtest request (strategy, data file, instrument); ConfigError/DataError."""
    create_strategy(class_spec, params)  # refuses bad parameters now, not in the job
    data = resolve_data(home, str(request["data"]))
    try:
        instrument = Instrument(
            parse_enum(Exchange, request["exchange"]),
            (request.get("symbol") or data.stem).upper(),
            InstrumentType.EQ,
            tick_size=request["tick_size"],
            lot_size=request["lot_size"],
        )
    except ValueError as exc:
        raise ConfigError(f"instrument: {exc}") from None
    config = BacktestConfig(
        instrument=instrument,
        cash=request["cash"],
        quantity=request["quantity"],
        charges=request["charges"],
        product=parse_enum(Product, request["product"]),
        paper=PaperConfig(slippage_ticks=request["slippage_ticks"]),
    )
    lots, remainder = divmod(config.quantity, instrument.lot_size)
    if remainder or lots < 1:
        raise ConfigError(
            f"quantity {config.quantity} is not a positive multiple of the lot size "
            f"{instrument.lot_size}"
        )
    return BacktestPlan(class_spec, dict(params), data, config)


def result_document(result: BacktestResult, run_id: int) -> dict[str, Any]:
    """The job's result: metrics, trades as text money, and the chart's columns."""
    equity = np.asarray(result.equity, dtype=np.float64)
    buckets = bucket_bars(np.asarray(result.bars.ts, dtype=np.int64))
    chart = chart_data(result, equity, buckets, result.trades[:MAX_MARKED_TRADES])
    open_position = result.open_position
    return {
        "backtest_id": run_id,
        "strategy": result.strategy,
        "params": result.params,
        "instrument": result.instrument_key,
        "bars": len(result.bars),
        "initial_cash": money(result.initial_cash),
        "final_equity": money(result.final_equity),
        "charges": money(result.total_charges),
        "metrics": result.metrics,
        "trades": [trade_view(t) for t in result.trades],
        "open_position": None if open_position is None else open_position.to_json_dict(),
        "chart": chart,
    }


class BacktestJobs:
    def __init__(self, store: Store, *, max_jobs: int = MAX_JOBS) -> None:
        self.store = store
        self.max_jobs = max_jobs
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()
        self._one_at_a_time = asyncio.Semaphore(1)

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def submit(self, plan: BacktestPlan, strategy_id: int | None) -> Job:
        job = Job(uuid.uuid4().hex, "backtest", strategy_id)
        self._jobs[job.id] = job
        while len(self._jobs) > self.max_jobs:
            oldest = next(iter(self._jobs.values()))
            if oldest.status in ("queued", "running"):
                break  # never forget a job that is still to report
            self._jobs.popitem(last=False)
        task = asyncio.create_task(self._run(job, plan), name=f"backtest-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    async def _run(self, job: Job, plan: BacktestPlan) -> None:
        async with self._one_at_a_time:
            job.status = "running"
            try:
                job.result = await asyncio.to_thread(self._backtest, job, plan)
                job.status = "done"
                job.progress = 1.0
            except ScalpbotError as exc:
                job.status, job.error = "failed", str(exc)
            except Exception as exc:  # a strategy's own bug: report it, keep serving
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                job.finished_at = utc_now()

    def _backtest(self, job: Job, plan: BacktestPlan) -> dict[str, Any]:
        """The worker thread's part: load, run, store."""
        series = load_bars(plan.data)
        total = max(len(series), 1)
        done = 0

        def progress(bars: int) -> None:
            nonlocal done
            done += bars
            job.progress = min(done / total, 0.99)

        strategy = create_strategy(plan.class_spec, plan.params)
        result = run_backtest(series, strategy, plan.config, progress=progress)
        document = result.to_json_dict()
        run_id = self.store.backtests.add(
            plan.class_spec,
            result.params,
            f"{plan.data}",
            document["metrics"],
            document["trades"],
            document,
        )
        return result_document(result, run_id)

    async def close(self) -> None:
        """Forget queued work at shutdown (a running thread finishes on its own)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
