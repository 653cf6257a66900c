"""Optuna's TPE sampler as a search method, with the study kept in a database so it resumes.

Each trial's outcome is stored on the Optuna trial itself (user attributes: the parameters
given to the strategy, the metrics, the objective, why it was skipped), so a resumed run can
report every trial of the study without re-running one. `--trials N` is the study's total:
re-running the same command runs only the trials still missing.

Trials are asked in batches as wide as the executor (TPE's "constant liar" keeps a batch from
piling onto one point). A combination the strategy rejects is told as PRUNED, which TPE counts
as bad, so it learns to avoid the region; an undefined objective is told as -inf (the worst).
A combination TPE proposes again is answered from the earlier trial, not backtested twice.

Optuna's tables carry their own Alembic version table, which would clash with scalpbot's in
the same schema; `home_storage_url` therefore puts the study in a sibling SQLite file, or in
the `optuna` schema of the same PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import create_engine, make_url, text

from scalpbot.backtest.optimize_exec import Executor
from scalpbot.backtest.optimize_run import Progress, SweepJob, Trial, TrialResult
from scalpbot.backtest.optimize_space import Space
from scalpbot.domain import ConfigError
from scalpbot.strategies import SearchValue

if TYPE_CHECKING:
    import optuna

__all__ = ["OptunaSettings", "StudyStorage", "home_storage", "optuna_search", "sweep_key"]

POSTGRES_SCHEMA: Final = "optuna"
_FINGERPRINT: Final = "scalpbot_sweep"


@dataclass(frozen=True, slots=True)
class StudyStorage:
    """A SQLAlchemy URL for Optuna's RDBStorage and the engine options it needs."""

    url: str
    engine_kwargs: dict[str, Any]
    schema: str | None = None


@dataclass(frozen=True, slots=True)
class OptunaSettings:
    trials: int
    seed: int
    study: str
    storage: StudyStorage | None


def home_storage(database_url: str) -> StudyStorage:
    """Where the studies of the home whose store is at `database_url` live (see module doc)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError("the home's database is in memory: give --storage URL for the study")
        path = Path(url.database)
        sibling = path.with_name(f"{path.stem}-optuna{path.suffix or '.db'}")
        return StudyStorage(f"sqlite:///{sibling}", {})
    if url.get_backend_name() == "postgresql":
        options = {"connect_args": {"options": f"-c search_path={POSTGRES_SCHEMA}"}}
        return StudyStorage(url.render_as_string(hide_password=False), options, POSTGRES_SCHEMA)
    raise ConfigError(
        f"cannot keep Optuna studies in a {url.get_backend_name()} database: give --storage URL"
    )


def sweep_key(job: SweepJob, space: Space, window: tuple[int, int]) -> str:
    """A digest of everything that makes trials comparable: data, strategy, fixed parameters,
    run settings, space, objective and bar window. It names the default study, and a named
    study remembers it so a different sweep cannot be mixed into it."""
    series = job.series.slice(*window)
    first = int(series.ts[0]) if len(series) else 0
    last = int(series.ts[-1]) if len(series) else 0
    parts = [
        job.strategy,
        repr(sorted(job.fixed.items())),
        repr(job.config),
        space.describe(),
        job.objective,
        f"{job.series.source}|{len(series)}|{first}|{last}",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def optuna_search(
    job: SweepJob,
    space: Space,
    settings: OptunaSettings,
    window: tuple[int, int],
    executor: Executor,
    progress: Progress,
) -> tuple[list[TrialResult], list[TrialResult]]:
    """Run the study up to `settings.trials` trials; return (all its trials, this run's)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    storage = _storage(settings.storage)
    try:
        study = _open_study(storage, settings.study, sweep_key(job, space, window))
        return _run_study(study, job, space, settings, window, executor, progress)
    finally:
        if isinstance(storage, optuna.storages.RDBStorage):
            storage.engine.dispose()  # no idle connection outlives the search


def _run_study(
    study: optuna.Study,
    job: SweepJob,
    space: Space,
    settings: OptunaSettings,
    window: tuple[int, int],
    executor: Executor,
    progress: Progress,
) -> tuple[list[TrialResult], list[TrialResult]]:
    import optuna

    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    earlier = [_from_frozen(t) for t in study.get_trials(deepcopy=False, states=finished)]
    # A seed that moves on with the study: a resumed run must not replay the first run's draws.
    study.sampler = optuna.samplers.TPESampler(
        seed=settings.seed + len(earlier), constant_liar=True
    )
    known = {_key(r.params): r for r in earlier}
    remaining = settings.trials - len(earlier)
    progress.expect(max(0, remaining))
    new: list[TrialResult] = []
    while remaining > 0:
        batch = [study.ask() for _ in range(min(remaining, executor.parallelism))]
        points = [_suggest(trial, space) for trial in batch]
        to_run: dict[tuple[Any, ...], Trial] = {}
        for trial, point in zip(batch, points, strict=True):
            key = _key({**job.fixed, **point})
            if key not in known and key not in to_run:
                to_run[key] = Trial(trial.number, point, window)
        for result in executor.run(list(to_run.values())):
            known[_key(result.params)] = result
        for trial, point in zip(batch, points, strict=True):
            source = known[_key({**job.fixed, **point})]
            repeat = source.number != trial.number  # answered from an earlier trial
            result = TrialResult(
                trial.number,
                source.params,
                source.objective,
                source.metrics,
                source.skipped,
                {} if repeat else source.summary,
            )
            _tell(study, trial, result)
            new.append(result)
            progress.done(result)
        remaining -= len(batch)
    everything = [_from_frozen(t) for t in study.get_trials(deepcopy=False, states=finished)]
    return everything, new


def _storage(settings: StudyStorage | None) -> optuna.storages.BaseStorage:
    import optuna

    if settings is None:
        return optuna.storages.InMemoryStorage()
    if settings.schema:
        _create_schema(settings)
    return optuna.storages.RDBStorage(settings.url, engine_kwargs=settings.engine_kwargs)


def _open_study(storage: optuna.storages.BaseStorage, name: str, fingerprint: str) -> optuna.Study:
    """Create or load the study; one that holds another sweep is an error (the trials would
    not be comparable, and Optuna would refuse a changed space only half the time)."""
    import optuna

    study = optuna.create_study(
        study_name=name, storage=storage, direction="maximize", load_if_exists=True
    )
    recorded = study.user_attrs.get(_FINGERPRINT)
    if recorded is None:
        study.set_user_attr(_FINGERPRINT, fingerprint)
    elif recorded != fingerprint:
        raise ConfigError(
            f"study {name!r} holds a different sweep (other data, strategy, space, "
            "objective or settings); give another --study name, or leave --study out"
        )
    return study


def _create_schema(storage: StudyStorage) -> None:
    engine = create_engine(storage.url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{storage.schema}"'))
    finally:
        engine.dispose()


def _suggest(trial: optuna.trial.Trial, space: Space) -> dict[str, SearchValue]:
    """Ask TPE for one point. Int ranges are sampled as ints; float ranges by the index of
    their value (so 0.1..0.3:0.1 yields exactly our 0.1, 0.2, 0.3, never 0.30000000000000004);
    lists as categories."""
    point: dict[str, SearchValue] = {}
    for dimension in space.dimensions:
        values = dimension.values
        if dimension.kind == "int" and len(values) > 1:
            step = int(values[1]) - int(values[0])
            point[dimension.name] = trial.suggest_int(
                dimension.name, int(values[0]), int(values[-1]), step=step
            )
        elif dimension.kind == "float":
            index = trial.suggest_int(f"{dimension.name}.index", 0, len(values) - 1)
            point[dimension.name] = values[index]
        else:
            chosen = trial.suggest_categorical(dimension.name, list(values))
            assert chosen is not None  # the choices hold no None
            point[dimension.name] = chosen
    return point


def _tell(study: optuna.Study, trial: optuna.trial.Trial, result: TrialResult) -> None:
    import optuna

    for name, value in (
        ("params", result.params),
        ("metrics", result.metrics),
        ("objective", result.objective),
        ("skipped", result.skipped),
    ):
        trial.set_user_attr(name, value)
    if result.skipped is not None:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    else:
        value = result.objective if result.objective is not None else -math.inf
        study.tell(trial, value)


def _from_frozen(trial: optuna.trial.FrozenTrial) -> TrialResult:
    attrs = trial.user_attrs
    return TrialResult(
        number=trial.number,
        params=dict(attrs.get("params", {})),
        objective=attrs.get("objective"),
        metrics=dict(attrs.get("metrics") or {}),
        skipped=attrs.get("skipped"),
    )


def _key(params: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(sorted(params.items()))
