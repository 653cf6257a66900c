"""The gate in front of every route: authenticate, then check CSRF for cookie requests.

One ASGI middleware rather than a dependency on each route, so nothing can be added later that
forgets it: every HTTP path except `PUBLIC_PATHS` (the OpenAPI document and /docs included) and
every WebSocket needs a valid credential, else 401 (a WebSocket handshake is refused, 403).

Where the credential comes from: `Authorization: Bearer <token>` (a login session's token or an
API token), else the `scalpbot_session` cookie, else, for WebSockets only (a browser cannot set
headers on one), a `?token=` query parameter. A cookie is sent by the browser on its own, so a
request it authenticates that changes something (POST, PUT, PATCH, DELETE) must also carry the
session's CSRF token in `X-CSRF-Token` (else 403), and a WebSocket it authenticates must come
from a page of the same origin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from scalpbot.api.auth import CSRF_HEADER, SESSION_COOKIE

if TYPE_CHECKING:
    from scalpbot.api.deps import ApiContext

PUBLIC_PATHS = frozenset({"/api/login", "/api/health"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: WebSocket close code for a refused handshake ("policy violation").
POLICY_VIOLATION = 1008

NOT_AUTHENTICATED = (
    "not authenticated: log in with POST /api/login (then send the session cookie or "
    "'Authorization: Bearer <token>') or send an API token as a bearer token"
)


def credential(scope: Scope, headers: Headers) -> tuple[str | None, str]:
    """(token, where it came from: "bearer", "cookie", "query" or "none")."""
    authorization = headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), "bearer"
    cookies = cookie_parser(headers.get("cookie", ""))
    if cookies.get(SESSION_COOKIE):
        return cookies[SESSION_COOKIE], "cookie"
    if scope["type"] == "websocket":
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        tokens = query.get("token")
        if tokens and tokens[0]:
            return tokens[0], "query"
    return None, "none"


def same_origin(headers: Headers) -> bool:
    """True if the request has no Origin (not a browser page) or one naming this host."""
    origin = headers.get("origin")
    if not origin:
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


class AuthMiddleware:
    def __init__(self, app: ASGIApp, public_paths: frozenset[str] = PUBLIC_PATHS) -> None:
        self.app = app
        self.public_paths = public_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket") or (
            kind == "http" and scope["path"] in self.public_paths
        ):
            await self.app(scope, receive, send)
            return
        context: ApiContext | None = getattr(scope["app"].state, "api", None)
        if context is None:  # the lifespan has not run (or failed): nothing to check against
            await _refuse(scope, receive, send, 503, "the server is starting or stopping")
            return
        headers = Headers(scope=scope)
        token, source = credential(scope, headers)
        principal = context.auth.resolve(token)
        if principal is None:
            await _refuse(scope, receive, send, 401, NOT_AUTHENTICATED)
            return
        if source == "cookie":
            if kind == "websocket" and not same_origin(headers):
                await _refuse(scope, receive, send, 403, "cross-origin WebSocket refused")
                return
            if (
                kind == "http"
                and scope["method"] not in SAFE_METHODS
                and not context.auth.csrf_ok(principal, headers.get(CSRF_HEADER))
            ):
                await _refuse(
                    scope,
                    receive,
                    send,
                    403,
                    "missing or wrong X-CSRF-Token header: a request authenticated by the "
                    "session cookie that changes something must repeat the csrf_token "
                    "from POST /api/login (also in the scalpbot_csrf cookie)",
                )
                return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str) -> None:
    if scope["type"] == "websocket":
        await WebSocketClose(POLICY_VIOLATION, detail[:120])(scope, receive, send)
        return
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    await JSONResponse({"detail": detail}, status_code=status, headers=headers)(
        scope, receive, send
    )
