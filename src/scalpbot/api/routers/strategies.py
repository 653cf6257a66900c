"""Strategies: the configured list (CRUD), the built-in templates, deploying one to a paper
session, and backtesting one in the background.

A strategy's class and parameters are checked by building the strategy, exactly as a session
or a backtest will, so what is stored always runs; a bad parameter is a 422 whose `loc` names
it (`["body", "params", "fast"]`). Deploying in paper mode (re)starts the session with that
strategy on its symbols (or `trading.symbols`) and timeframe. Live deployment needs
`"confirm": true` and a broker adapter, which this version does not have: 409 says so.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from fastapi.exceptions import RequestValidationError

from scalpbot.api.deps import Context
from scalpbot.api.jobs import plan_backtest
from scalpbot.api.schemas import (
    BacktestRequest,
    DeployRequest,
    JobAccepted,
    JobView,
    RecordId,
    StrategyCreate,
    StrategyUpdate,
    StrategyView,
)
from scalpbot.api.views import status_document, strategy_view
from scalpbot.config import load_settings
from scalpbot.domain import ConfigError
from scalpbot.runtime.manager import SessionConflict
from scalpbot.store import RecordNotFound, StrategyRecord
from scalpbot.strategies import BUILTINS, load_strategy_class

router = APIRouter(tags=["strategies"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such strategy"}}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"description": "Not allowed now (reason)"}}
_PARAM = re.compile(r"parameter '([^']+)'|has no parameter ([^;,]+)")


def _invalid(loc: tuple[str, ...], message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("body", *loc), "msg": message, "type": "value_error", "input": None}]
    )


def checked_params(class_spec: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the strategy parses them (defaults filled in); a 422 naming the
    class or the parameter when the strategy refuses them."""
    try:
        strategy_class = load_strategy_class(class_spec)
    except ConfigError as exc:
        raise _invalid(("class_spec",), str(exc)) from None
    try:
        return strategy_class(**params).params
    except ConfigError as exc:
        found = _PARAM.search(str(exc))
        name = (found.group(1) or found.group(2)).strip() if found else None
        raise _invalid(("params", name) if name else ("params",), str(exc)) from None
    except Exception as exc:  # a user's strategy class failing in __init__ or validate
        raise _invalid(("params",), f"{class_spec} refused them: {exc!r}") from None


def _record(context: Context, strategy_id: int) -> StrategyRecord:
    record = context.store.strategies.get(strategy_id)
    if record is None:
        raise RecordNotFound(f"no strategy with id {strategy_id}")
    return record


def _running(context: Context, record: StrategyRecord) -> bool:
    manager = context.manager
    return manager.running and manager.tag.get("strategy_id") == record.id


def _unique_name(context: Context, name: str, own_id: int | None) -> None:
    for other in context.store.strategies.list():
        if other.name == name and other.id != own_id:
            raise SessionConflict(f"a strategy named {name!r} already exists (id {other.id})")


@router.get("/api/strategies/templates", summary="Built-in strategies and their parameters")
async def templates() -> dict[str, Any]:
    return {
        "templates": [
            {"name": name, "description": cls.description, "params": cls.param_schema()}
            for name, cls in sorted(BUILTINS.items())
        ]
    }


@router.get("/api/strategies", response_model=list[StrategyView], summary="Configured strategies")
async def list_strategies(context: Context) -> Any:
    return [strategy_view(r, _running(context, r)) for r in context.store.strategies.list()]


@router.get(
    "/api/strategies/{strategy_id}",
    response_model=StrategyView,
    summary="One strategy",
    responses=NOT_FOUND,
)
async def get_strategy(strategy_id: RecordId, context: Context) -> Any:
    record = _record(context, strategy_id)
    return strategy_view(record, _running(context, record))


@router.post(
    "/api/strategies",
    response_model=StrategyView,
    status_code=201,
    summary="Add a strategy",
    responses=CONFLICT,
)
async def create_strategy(body: StrategyCreate, context: Context) -> Any:
    params = checked_params(body.class_spec, body.params)
    _unique_name(context, body.name, None)
    new_id = context.store.strategies.create(
        body.name, body.class_spec, params, list(body.symbols), body.timeframe
    )
    return strategy_view(_record(context, new_id), False)


@router.put(
    "/api/strategies/{strategy_id}",
    response_model=StrategyView,
    summary="Change a strategy (the fields given)",
    responses={**NOT_FOUND, **CONFLICT},
)
async def update_strategy(strategy_id: RecordId, body: StrategyUpdate, context: Context) -> Any:
    record = _record(context, strategy_id)
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if "class_spec" in fields or "params" in fields:
        fields["params"] = checked_params(
            fields.get("class_spec", record.class_spec), fields.get("params", record.params)
        )
    if "name" in fields:
        _unique_name(context, fields["name"], record.id)
    updated = context.store.strategies.update(strategy_id, **fields) if fields else record
    return strategy_view(updated, _running(context, updated))


@router.delete(
    "/api/strategies/{strategy_id}",
    status_code=204,
    summary="Delete a strategy",
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_strategy(strategy_id: RecordId, context: Context) -> Response:
    record = _record(context, strategy_id)
    if _running(context, record):
        raise SessionConflict(f"strategy {record.name!r} is running; stop the session first")
    context.store.strategies.delete(strategy_id)
    return Response(status_code=204)


@router.post(
    "/api/strategies/{strategy_id}/deploy",
    summary="Run this strategy: paper (re)starts the session with it; live needs confirm",
    responses={**NOT_FOUND, **CONFLICT},
)
async def deploy(strategy_id: RecordId, body: DeployRequest, context: Context) -> dict[str, Any]:
    record = _record(context, strategy_id)
    if body.mode == "live":
        if not body.confirm:
            raise _invalid(("confirm",), "live deployment must be confirmed with confirm: true")
        broker = load_settings(context.home).broker.name
        raise SessionConflict(
            f"no live broker session: broker {broker!r} has no adapter in this version, so "
            "live trading cannot start; deploy in paper mode"
        )
    checked_params(record.class_spec, record.params)
    manager = context.manager
    defaults = manager.defaults
    options = dataclasses.replace(
        defaults,
        strategy=record.class_spec,
        params=dict(record.params),
        feed="simulated",
        data=None,
        mode="paper",
        speed=body.speed if body.speed is not None else defaults.speed,
        seed=body.seed if body.seed is not None else defaults.seed,
    )
    overrides: dict[str, Any] = {"trading.timeframe": record.timeframe, "trading.strategies": []}
    if record.symbols:
        overrides["trading.symbols"] = list(record.symbols)
    if manager.control is not None and not await manager.stop(
        f"redeploying strategy {record.name!r}", timeout=15.0
    ):
        raise SessionConflict("the running session did not stop in time; try again")
    await manager.start(
        options,
        overrides=overrides,
        resume=body.resume,
        tag={"source": "deploy", "strategy_id": record.id, "strategy": record.name},
    )
    for other in context.store.strategies.list():
        if other.id != record.id and other.status == "deployed":
            context.store.strategies.update(other.id, status="stopped")
    context.store.strategies.update(record.id, status="deployed")
    return status_document(manager)


@router.post(
    "/api/strategies/{strategy_id}/backtest",
    response_model=JobAccepted,
    status_code=202,
    summary="Backtest this strategy in the background; poll the job",
    responses=NOT_FOUND,
)
async def backtest(strategy_id: RecordId, body: BacktestRequest, context: Context) -> Any:
    record = _record(context, strategy_id)
    plan = plan_backtest(context.home, record.class_spec, record.params, body.model_dump())
    job = context.jobs.submit(plan, record.id)
    return {"job_id": job.id, "status": job.status, "poll": f"/api/jobs/{job.id}"}


@router.get(
    "/api/jobs/{job_id}",
    response_model=JobView,
    summary="A background job's status, progress and result",
    responses={404: {"description": "No such job (jobs are kept in memory)"}},
)
async def get_job(
    job_id: Annotated[str, Path(min_length=1, max_length=64)], context: Context
) -> Any:
    job = context.jobs.get(job_id)
    if job is None:
        raise RecordNotFound(f"no job {job_id!r} (jobs are forgotten at restart)")
    return job.view()


@router.get("/api/backtests", summary="Stored backtest runs, newest first (without trades)")
async def list_backtests(context: Context) -> dict[str, Any]:
    return {
        "backtests": [
            {
                "id": run.id,
                "strategy": run.strategy,
                "params": run.params,
                "data_source": run.data_source,
                "metrics": run.metrics,
                "created_at": run.created_at,
            }
            for run in context.store.backtests.list(50)
        ]
    }


@router.get(
    "/api/backtests/{run_id}",
    summary="One stored backtest run with its trades",
    responses={404: {"description": "No such run"}},
)
async def get_backtest(run_id: RecordId, context: Context) -> dict[str, Any]:
    run = context.store.backtests.get(run_id)
    if run is None:
        raise RecordNotFound(f"no backtest run with id {run_id}")
    return {
        "id": run.id,
        "strategy": run.strategy,
        "params": run.params,
        "data_source": run.data_source,
        "metrics": run.metrics,
        "trades": run.trades,
        "created_at": run.created_at,
    }
