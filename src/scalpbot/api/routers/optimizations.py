"""Parameter sweeps stored by `scalpbot optimize --save`: the list, and one sweep's trials
with the grid of its objective when two parameters vary (the Strategies page's heat map).

Read-only: a sweep is run by the command line (it may take hours, on many machines), not by
the server. Each trial stays an ordinary backtest run too (`GET /api/backtests/{run_id}`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from scalpbot.api.deps import Context
from scalpbot.api.schemas import SweepDetail, SweepList

router = APIRouter(tags=["optimizations"])

SweepId = Annotated[str, Path(min_length=1, max_length=64, examples=["3f9c2a7b1d0e"])]


@router.get(
    "/api/optimizations",
    response_model=SweepList,
    summary="Stored parameter sweeps, newest first",
)
async def list_optimizations(context: Context) -> Any:
    return {"optimizations": await context.sweeps.summaries()}


@router.get(
    "/api/optimizations/{sweep_id}",
    response_model=SweepDetail,
    summary="One sweep: its trials best first, and the objective's grid over two parameters",
    responses={404: {"description": "No such sweep"}},
)
async def get_optimization(sweep_id: SweepId, context: Context) -> Any:
    return await context.sweeps.detail(sweep_id)
