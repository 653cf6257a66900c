"""Where trials run: in this process, in a local process pool, or on a Dask cluster.

The bar series is the bulk of what a trial needs, so every executor ships the `SweepJob` to a
worker ONCE and then sends only `Trial`s (a few numbers each):

* the pool hands the job to each worker process through its initializer;
* Dask scatters it to every worker (`broadcast=True`) and passes the resulting future to each
  task, which the worker resolves from its own memory.

Executors yield results in completion order; the sweep sorts them, so the outcome is the same
whichever worker finished first.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Protocol

from scalpbot.backtest.optimize_run import SweepJob, Trial, TrialResult, run_trial
from scalpbot.domain import ConfigError

__all__ = ["DaskExecutor", "Executor", "InProcess", "LocalPool", "default_workers", "open_executor"]

SCHEDULER_TIMEOUT_S = 10


class Executor(Protocol):
    """Runs trials of one job; `describe` says where, for the user; `parallelism` is how many
    trials run at once (how many a model-based search should propose per batch)."""

    @property
    def parallelism(self) -> int: ...

    def run(self, trials: Sequence[Trial]) -> Iterator[TrialResult]: ...

    def describe(self) -> str: ...


def default_workers() -> int:
    """The cores this process may use (an affinity mask or container limit may give fewer)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class InProcess:
    """Trials one after another in this process: for `--workers 1`, debugging and tiny sweeps."""

    def __init__(self, job: SweepJob) -> None:
        self._job = job

    @property
    def parallelism(self) -> int:
        return 1

    def run(self, trials: Sequence[Trial]) -> Iterator[TrialResult]:
        for trial in trials:
            yield run_trial(self._job, trial)

    def describe(self) -> str:
        return "in this process"


_WORKER_JOB: SweepJob | None = None
"""The job of this pool worker, set once by `_install_job` when the worker starts."""


def _install_job(job: SweepJob) -> None:
    global _WORKER_JOB
    _WORKER_JOB = job


def _run_installed(trial: Trial) -> TrialResult:
    if _WORKER_JOB is None:
        raise RuntimeError("pool worker started without its job (initializer not run)")
    return run_trial(_WORKER_JOB, trial)


class LocalPool:
    """A pool of worker processes on this machine, one per core by default.

    Workers come from a fork server that has imported the backtest code once (fast to start,
    and safe in a parent with threads, unlike a plain fork); spawn where there is none.
    """

    def __init__(self, job: SweepJob, workers: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            context.set_forkserver_preload(["scalpbot.backtest.optimize_exec"])
        self._workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_install_job, initargs=(job,)
        )

    @property
    def parallelism(self) -> int:
        return self._workers

    def run(self, trials: Sequence[Trial]) -> Iterator[TrialResult]:
        futures: list[Future[TrialResult]] = [
            self._pool.submit(_run_installed, trial) for trial in trials
        ]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def describe(self) -> str:
        return f"on {self._workers} local worker processes"

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Trials as tasks on a Dask distributed cluster (`dask scheduler` + `dask worker`s).

    Workers must have scalpbot (and a strategy file given by path, at the same path)
    installed; the data travels with the job, so it need not exist on the workers.
    """

    def __init__(self, job: SweepJob, address: str) -> None:
        from distributed import Client

        try:
            self._client = Client(address, timeout=SCHEDULER_TIMEOUT_S, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise ConfigError(
                f"--scheduler {address}: cannot reach a Dask scheduler there ({exc}); start one "
                "with `dask scheduler` and workers with `dask worker ADDRESS`"
            ) from None
        self._address = address
        self._job: Any = self._client.scatter(job, broadcast=True, hash=False)

    @property
    def parallelism(self) -> int:
        """Worker threads across the cluster (at least 1 while workers are still joining)."""
        workers = self._client.scheduler_info().get("workers", {})
        return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def run(self, trials: Sequence[Trial]) -> Iterator[TrialResult]:
        from distributed import as_completed as dask_completed

        futures = [self._client.submit(run_trial, self._job, t, pure=False) for t in trials]
        try:
            for future in dask_completed(futures, loop=self._client.loop):
                result = future.result()
                assert isinstance(result, TrialResult)
                yield result
        finally:
            self._client.cancel(futures)

    def describe(self) -> str:
        workers = len(self._client.scheduler_info().get("workers", {}))
        return f"on the Dask cluster at {self._address} ({workers} workers)"

    def close(self) -> None:
        self._client.close()


@contextmanager
def open_executor(
    job: SweepJob, workers: int | None = None, scheduler: str | None = None
) -> Iterator[Executor]:
    """The executor for these settings, closed (workers stopped) when the block ends.

    `scheduler` (a Dask address such as tcp://10.0.0.5:8786) wins over `workers`; `workers`
    None means one per core, 1 means in this process.
    """
    if scheduler:
        dask = DaskExecutor(job, scheduler)
        try:
            yield dask
        finally:
            dask.close()
        return
    count = default_workers() if workers is None else workers
    if count < 1:
        raise ConfigError(f"--workers must be at least 1, got {count}")
    if count == 1:
        yield InProcess(job)
        return
    pool = LocalPool(job, count)
    try:
        yield pool
    finally:
        pool.close()
