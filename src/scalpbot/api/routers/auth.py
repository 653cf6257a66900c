"""Logging in and out, API tokens, and the health check.

`POST /api/login` answers with a bearer token and its CSRF token and sets two cookies: the
session (HttpOnly: page scripts cannot read it, SameSite=Strict: other sites cannot make the
browser send it) and `scalpbot_csrf` (readable by the page's script, which echoes it in
`X-CSRF-Token`). Secure is set when the request came over HTTPS.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from scalpbot.api.auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LoginFailed,
    LoginThrottled,
)
from scalpbot.api.deps import Caller, Context
from scalpbot.api.schemas import (
    LoginRequest,
    LoginResponse,
    RecordId,
    TokenCreate,
    TokenCreated,
    TokenInfo,
)
from scalpbot.api.views import token_view
from scalpbot.runtime.manager import SessionConflict

router = APIRouter(tags=["auth"])

UNAUTHORISED: dict[int | str, dict[str, Any]] = {401: {"description": "Not authenticated"}}


@router.get("/api/health", summary="Liveness check (no authentication)")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post(
    "/api/login",
    response_model=LoginResponse,
    summary="Log in with username and password",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Too many failed logins; see Retry-After"},
    },
)
async def login(body: LoginRequest, request: Request, context: Context) -> Any:
    address = request.client.host if request.client else "unknown"
    try:
        result = await context.auth.login(body.username, body.password, address)
    except LoginThrottled as exc:
        return JSONResponse(
            {"detail": str(exc)},
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except LoginFailed as exc:
        return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_401_UNAUTHORIZED)
    response = JSONResponse(
        {
            "token": result.token,
            "csrf_token": result.csrf_token,
            "expires_at": result.expires_at.isoformat(),
            "username": result.username,
        }
    )
    secure = request.url.scheme == "https"
    max_age = int(context.auth.session_lifetime.total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure,
    )
    response.set_cookie(
        CSRF_COOKIE,
        result.csrf_token,
        max_age=max_age,
        path="/",
        httponly=False,
        samesite="strict",
        secure=secure,
    )
    return response


@router.post(
    "/api/logout",
    status_code=204,
    summary="End this login session",
    responses={**UNAUTHORISED, 409: {"description": "Called with an API token"}},
)
async def logout(caller: Caller, context: Context) -> Response:
    if caller.kind != "session":
        raise SessionConflict(
            "this is an API token, not a login session; revoke it with DELETE /api/tokens/{id}"
        )
    context.auth.logout(caller)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
    return response


@router.get("/api/tokens", response_model=list[TokenInfo], summary="API tokens (never their text)")
async def list_tokens(caller: Caller, context: Context) -> Any:
    return [token_view(record) for record in context.store.api_tokens.list()]


@router.post(
    "/api/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="Create an API token; its text is in this answer only",
)
async def create_token(body: TokenCreate, caller: Caller, context: Context) -> Any:
    token, record = context.auth.create_api_token(caller, body.name)
    return {**token_view(record), "token": token}


@router.delete(
    "/api/tokens/{token_id}",
    response_model=TokenInfo,
    summary="Revoke an API token",
    responses={404: {"description": "No such token"}},
)
async def revoke_token(token_id: RecordId, context: Context) -> Any:
    return token_view(context.auth.revoke_api_token(token_id))
