"""Request and response bodies of the REST API, as pydantic models.

Request models forbid unknown keys (a misspelt field is a 422 naming it, not silently
ignored), bound every number and string (a request cannot ask for a billion-bar job or a
megabyte name), and refuse NaN and infinity. Money in responses is text (exact), as in the
runtime's views.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from scalpbot.config.fields import SymbolKey

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
ClassSpec = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]
Secretish = Annotated[str, StringConstraints(max_length=1024)]
Timeframe = Literal["1m", "3m", "5m", "15m"]
Category = Literal["broker", "trading", "risk", "alerts"]
#: A database id in a path: bounded so a huge number is a 422, not an overflow in the driver.
RecordId = Annotated[int, Path(ge=1, le=2**62, examples=[1])]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def with_example(example: dict[str, Any]) -> ConfigDict:
    """A request model's config with an example body (shown in the OpenAPI document, and the
    first body the schemathesis fuzzer tries)."""
    return ConfigDict(
        extra="forbid", allow_inf_nan=False, json_schema_extra={"examples": [example]}
    )


# -- login and tokens --------------------------------------------------------------------------
class LoginRequest(Request):
    username: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class LoginResponse(BaseModel):
    token: str = Field(description="Bearer token of this login (also set as the cookie)")
    csrf_token: str = Field(description="Send as X-CSRF-Token with cookie-authenticated changes")
    expires_at: datetime
    username: str


class TokenCreate(Request):
    name: Name = Field(description="What the token is for, e.g. 'backup script'")


class TokenInfo(BaseModel):
    id: int
    name: str
    username: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool
    revoked_at: datetime | None


class TokenCreated(TokenInfo):
    token: str = Field(description="The token itself: shown this once, never again")


# -- session control ---------------------------------------------------------------------------
class StartRequest(Request):
    """What to run; everything left out comes from the settings and the server's defaults."""

    model_config = with_example(
        {"strategy": "ma_cross", "params": {"fast": 9, "slow": 21}, "speed": 60}
    )

    strategy: ClassSpec | None = Field(
        default=None,
        description="Built-in name or path/to/file.py:Class (default: trading.strategies)",
    )
    params: dict[str, Any] = Field(default_factory=dict)
    feed: Literal["simulated", "replay"] = "simulated"
    data: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = Field(
        default=None, description="Bars to replay (feed 'replay')"
    )
    speed: float | None = Field(default=None, gt=0, le=100_000, description="Times real time")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="Simulated market seed")
    resume: bool = False


class ReasonRequest(Request):
    reason: Annotated[str, StringConstraints(max_length=500)] = ""


# -- brokers -----------------------------------------------------------------------------------
class BrokerConfigure(Request):
    """The broker to use and its credentials. A field left out stays as it is; null removes
    it. Secrets are written to secrets.env (mode 0600) and never returned."""

    name: Literal["paper", "zerodha", "kotak", "angel", "upstox", "icici", "fyers", "dhan"]
    api_key: Secretish | None = None
    api_secret: Secretish | None = None
    access_token: Secretish | None = None
    totp_secret: Secretish | None = None
    password: Secretish | None = None
    user_id: Annotated[str, StringConstraints(max_length=128)] | None = None
    algo_id: Annotated[str, StringConstraints(max_length=128)] | None = None
    base_url: Annotated[str, StringConstraints(max_length=1024)] | None = None
    ws_url: Annotated[str, StringConstraints(max_length=1024)] | None = None
    login_url: Annotated[str, StringConstraints(max_length=1024)] | None = None
    redirect_url: Annotated[str, StringConstraints(max_length=1024)] | None = None


# -- strategies and backtests ------------------------------------------------------------------
class StrategyCreate(Request):
    model_config = with_example(
        {
            "name": "trend",
            "class_spec": "ma_cross",
            "params": {"fast": 9, "slow": 21},
            "symbols": ["NSE:INFY"],
            "timeframe": "1m",
        }
    )

    name: Name
    class_spec: ClassSpec = Field(description="Built-in name (ma_cross, ...) or file.py:Class")
    params: dict[str, Any] = Field(default_factory=dict)
    symbols: list[SymbolKey] = Field(default_factory=list, max_length=200)
    timeframe: Timeframe = "1m"


class StrategyUpdate(Request):
    name: Name | None = None
    class_spec: ClassSpec | None = None
    params: dict[str, Any] | None = None
    symbols: list[SymbolKey] | None = Field(default=None, max_length=200)
    timeframe: Timeframe | None = None


class StrategyView(BaseModel):
    id: int
    name: str
    class_spec: str
    params: dict[str, Any]
    symbols: list[str]
    timeframe: str
    status: str
    running: bool
    created_at: datetime
    updated_at: datetime


class DeployRequest(Request):
    model_config = with_example({"mode": "paper", "speed": 60})

    mode: Literal["paper", "live"] = "paper"
    confirm: bool = Field(default=False, description="Must be true to deploy live")
    speed: float | None = Field(
        default=None, gt=0, le=100_000, description="Simulated market speed"
    )
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    resume: bool = False


class BacktestRequest(Request):
    model_config = with_example({"data": "GOOG.csv", "quantity": 10, "cash": "100000"})

    data: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(
        default="GOOG.csv",
        description="A bundled sample (GOOG.csv, 2006-min-005.txt), a path relative to the "
        "home's data/ folder, or an absolute path to a CSV or Parquet file",
    )
    quantity: int = Field(default=1, ge=1, le=10_000_000)
    cash: Decimal = Field(default=Decimal(100_000), gt=0, le=Decimal(10) ** 12)
    charges: Literal["zerodha", "none"] = "zerodha"
    product: Literal["MIS", "CNC", "NRML"] = "MIS"
    symbol: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9&_.-]{1,40}$")] | None = None
    exchange: Literal["NSE", "BSE", "NFO", "BFO", "MCX", "CDS"] = "NSE"
    tick_size: Decimal = Field(default=Decimal("0.01"), gt=0, le=1000)
    lot_size: int = Field(default=1, ge=1, le=100_000)
    slippage_ticks: int = Field(default=0, ge=0, le=1000)


class JobAccepted(BaseModel):
    job_id: str
    status: str
    poll: str = Field(description="Where to poll for the result")


class JobView(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    strategy_id: int | None
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    result: dict[str, Any] | None


# -- parameter sweeps (scalpbot optimize --save) -----------------------------------------------
class SweepBest(BaseModel):
    run_id: int = Field(description="The backtest run of the best trial (GET /api/backtests/{id})")
    params: dict[str, Any]
    net_pnl: float | None
    value: float | None = Field(description="The objective's value")


class SweepSummary(BaseModel):
    id: str = Field(description="The sweep's id, printed by `scalpbot optimize --save`")
    strategy: str
    data_source: str
    instrument: str | None
    objective: str = Field(description="What the sweep maximised (net_pnl, sharpe, ...)")
    method: str | None = Field(description="grid, random or optuna")
    study: str | None = Field(description="The Optuna study (method optuna)")
    parameters: list[str] = Field(description="The swept parameters, in --space order")
    trials: int = Field(description="Trials that ran (each a stored backtest run)")
    skipped: int = Field(description="Combinations the strategy refused")
    best: SweepBest | None
    created_at: datetime


class SweepList(BaseModel):
    optimizations: list[SweepSummary]


class SweepTrial(BaseModel):
    run_id: int
    trial: int | None = Field(description="The trial's number in the sweep")
    params: dict[str, Any] = Field(description="Every parameter it ran with, defaults included")
    net_pnl: float | None
    value: float | None = Field(description="The objective's value (null: undefined)")
    trades: int | None
    max_drawdown_pct: float | None
    win_rate: float | None
    trades_stored: bool = Field(description="Whether the run keeps its trade list (the best)")


class SweepGrid(BaseModel):
    """The objective over the two parameters that vary: `values[i][j]` is its value at
    `x_values[i]`, `y_values[j]` (null: refused, not tried, or undefined)."""

    x: str
    y: str
    x_values: list[Any]
    y_values: list[Any]
    values: list[list[float | None]]
    run_ids: list[list[int | None]] = Field(description="The trial's run at each cell, or null")
    skipped: list[list[str | None]] = Field(description="Why the strategy refused a cell")
    best: list[int] | None = Field(description="[i, j] of the best trial's cell")
    min: float | None
    max: float | None


class SweepDetail(SweepSummary):
    space: dict[str, list[Any]] | None = Field(description="The values swept per parameter")
    centre: float = Field(description="The objective's neutral value (1 for profit_factor)")
    results: list[SweepTrial] = Field(description="Every trial that ran, best first")
    grid: SweepGrid | None = Field(description="When exactly two parameters vary")
