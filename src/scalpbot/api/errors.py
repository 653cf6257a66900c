"""scalpbot's errors as HTTP answers, so handlers raise what the layers below raise.

- `ControlError` (a transition the session's state does not allow, start while running): 409
- `SettingsError`: 422 with every problem (key, what is allowed; secret values never shown)
- `ConfigError`, `DataError` (a bad strategy parameter, a missing data file): 422
- `RecordNotFound`: 404
- `BrokerError`: 502 (the broker's answer, not ours)
Bodies are `{"detail": "..."}` like FastAPI's own errors; a request body pydantic refuses keeps
FastAPI's 422 list, whose `loc` names the field, but without the `input` FastAPI would echo:
a refused body may hold a password or a broker secret, and no answer ever repeats one.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from scalpbot.config import SettingsError
from scalpbot.domain import BrokerError, ConfigError, ControlError, DataError
from scalpbot.store import RecordNotFound


def _json(status: int, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error.get("loc", ())), "msg": error.get("msg", ""), "type": error.get("type")}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)


async def _control(request: Request, exc: Exception) -> JSONResponse:
    return _json(409, str(exc))


async def _settings(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SettingsError)
    problems = [
        {"key": p.key, "problem": p.problem, "value": p.value, "source": p.source}
        for p in exc.problems
    ]
    return _json(422, str(exc), problems=problems)


async def _config(request: Request, exc: Exception) -> JSONResponse:
    return _json(422, str(exc))


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return _json(404, str(exc))


async def _broker(request: Request, exc: Exception) -> JSONResponse:
    return _json(502, f"the broker answered with an error: {exc}")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(ControlError, _control)
    app.add_exception_handler(SettingsError, _settings)
    app.add_exception_handler(ConfigError, _config)
    app.add_exception_handler(DataError, _config)
    app.add_exception_handler(RecordNotFound, _not_found)
    app.add_exception_handler(BrokerError, _broker)
