"""Authentication of the API: 401 everywhere but login and health, login and logout, cookies
and CSRF, failed-login rate limiting, API tokens, and the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from api_support import PASSWORD, USERNAME, Api, open_store, running_api
from scalpbot.api.auth import CSRF_COOKIE, SESSION_COOKIE
from scalpbot.api.ratelimit import LoginRateLimiter
from scalpbot.api.security import token_hash

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio

# Kite's servers post order updates (checksum-signed, no login possible).
PUBLIC = {"/api/login", "/api/health", "/api/broker/zerodha/postback"}


def _routes(api: Api) -> list[tuple[str, str]]:
    """Every (method, concrete path) of the OpenAPI document, path parameters filled in."""
    fill = {"{strategy_id}": "1", "{token_id}": "1", "{job_id}": "abc", "{run_id}": "1"}
    fill["{category}"] = "risk"
    found: list[tuple[str, str]] = []
    for path, operations in api.app.openapi()["paths"].items():
        for name, value in fill.items():
            path = path.replace(name, value)
        found += [(method.upper(), path) for method in operations]
    return found


async def test_every_endpoint_but_login_and_health_needs_authentication(api: Api) -> None:
    routes = _routes(api)
    assert len(routes) >= 39
    for method, path in [*routes, ("GET", "/openapi.json"), ("GET", "/nowhere")]:
        response = await api.client.request(method, path, json={})
        if path in PUBLIC:
            assert response.status_code != 401, (method, path)
        else:
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["www-authenticate"] == "Bearer"
            assert "POST /api/login" in response.json()["detail"]
    bad = {"Authorization": "Bearer not-a-token"}
    assert (await api.client.get("/api/status", headers=bad)).status_code == 401
    health = await api.client.get("/api/health")
    assert health.json() == {"status": "ok"}


async def test_login_sets_an_httponly_strict_cookie_and_returns_tokens(api: Api) -> None:
    response = await api.client.post(
        "/api/login", json={"username": "Admin ", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "csrf_token", "expires_at", "username"}
    assert body["username"] == USERNAME
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    assert body["token"] in session
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
    assert "Secure" not in session  # plain http
    csrf = next(c for c in cookies if c.startswith(f"{CSRF_COOKIE}="))
    assert body["csrf_token"] in csrf and "HttpOnly" not in csrf
    # The cookie alone authenticates reads; the bearer token works without any cookie.
    assert (await api.client.get("/api/status")).status_code == 200
    api.client.cookies.clear()
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert (await api.client.get("/api/status", headers=bearer)).status_code == 200
    # Only hashes are stored.
    with open_store(api.home) as store:
        found = store.login_sessions.find_valid(token_hash(body["token"]), datetime.now(UTC))
        assert found is not None and found.username == USERNAME


async def test_wrong_password_unknown_user_and_bad_bodies(api: Api) -> None:
    wrong = await api.client.post("/api/login", json={"username": USERNAME, "password": "nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "wrong username or password"
    nobody = await api.client.post("/api/login", json={"username": "ghost", "password": "x"})
    assert nobody.status_code == 401 and nobody.json() == wrong.json()
    missing = await api.client.post("/api/login", json={"username": USERNAME})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "password"]
    extra = await api.client.post(
        "/api/login", json={"username": USERNAME, "password": PASSWORD, "remember": True}
    )
    assert extra.status_code == 422 and extra.json()["detail"][0]["loc"] == ["body", "remember"]


async def test_failed_logins_are_rate_limited_per_username(api: Api) -> None:
    for _ in range(5):
        response = await api.client.post(
            "/api/login", json={"username": USERNAME, "password": "guess"}
        )
        assert response.status_code == 401
    # The right password no longer helps: the refusal must not reveal a correct guess.
    blocked = await api.client.post("/api/login", json={"username": USERNAME, "password": PASSWORD})
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 300
    assert "too many failed logins" in blocked.json()["detail"]


def test_the_limiter_counts_per_username_and_address_and_forgets_after_the_window() -> None:
    now = [1000.0]
    limiter = LoginRateLimiter(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("alice", "10.0.0.1") == 0
        limiter.failed("alice", "10.0.0.1")
    assert limiter.retry_after("alice", "10.0.0.2") == 60  # the username is blocked anywhere
    assert limiter.retry_after("bob", "10.0.0.1") == 60  # and so is the address, for anyone
    assert limiter.retry_after("bob", "10.0.0.3") == 0
    now[0] += 30
    assert limiter.retry_after("alice", "10.0.0.2") == 30
    now[0] += 30
    assert limiter.retry_after("alice", "10.0.0.1") == 0
    limiter.failed("carol", "10.0.0.9")
    limiter.succeeded("carol")
    limiter.failed("carol", "10.0.0.8")
    limiter.failed("carol", "10.0.0.7")
    assert limiter.retry_after("carol", "10.0.0.6") == 0  # the count restarted at the success


async def test_cookie_requests_that_change_something_need_the_csrf_token(api: Api) -> None:
    body = await api.login()  # the client now holds the session cookie
    refused = await api.client.post("/api/pause")
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    wrong = await api.client.post("/api/pause", headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    # With the token the request goes through (409: no session runs, so nothing to pause).
    passed = await api.client.post("/api/pause", headers={"X-CSRF-Token": body["csrf_token"]})
    assert passed.status_code == 409
    assert (await api.client.get("/api/positions")).status_code == 200  # reads need none
    # A bearer request needs no CSRF token, even with the cookie present.
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert (await api.client.post("/api/pause", headers=bearer)).status_code == 409


async def test_logout_ends_the_session_and_clears_the_cookies(api: Api) -> None:
    body = await api.login()
    csrf = {"X-CSRF-Token": body["csrf_token"]}
    response = await api.client.post("/api/logout", headers=csrf)
    assert response.status_code == 204
    assert any(
        c.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in c
        for c in response.headers.get_list("set-cookie")
    )
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert (await api.client.get("/api/status", headers=bearer)).status_code == 401


async def test_api_tokens_are_shown_once_work_as_bearer_and_can_be_revoked(api: Api) -> None:
    login = await api.bearer()
    created = await api.client.post("/api/tokens", json={"name": "backup"}, headers=login)
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("sbt_") and created.json()["revoked"] is False
    script = {"Authorization": f"Bearer {token}"}
    assert (await api.client.get("/api/positions", headers=script)).status_code == 200
    listed = await api.client.get("/api/tokens", headers=script)
    assert token not in listed.text
    (info,) = listed.json()
    assert info["name"] == "backup" and info["last_used_at"] is not None
    # An API token is not a login: logout refuses it.
    assert (await api.client.post("/api/logout", headers=script)).status_code == 409
    revoked = await api.client.delete(f"/api/tokens/{info['id']}", headers=login)
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert (await api.client.get("/api/positions", headers=script)).status_code == 401
    assert (await api.client.delete("/api/tokens/999", headers=login)).status_code == 404
    blank = await api.client.post("/api/tokens", json={"name": "  "}, headers=login)
    assert blank.status_code == 422 and blank.json()["detail"][0]["loc"] == ["body", "name"]


async def test_tokens_survive_a_restart_and_logins_too(home: Path) -> None:
    async with running_api(home) as first:
        login = await first.login()
        token = (
            await first.client.post(
                "/api/tokens",
                json={"name": "cron"},
                headers={"Authorization": f"Bearer {login['token']}"},
            )
        ).json()["token"]
    async with running_api(home) as second:
        for credential in (token, login["token"]):
            response = await second.client.get(
                "/api/status", headers={"Authorization": f"Bearer {credential}"}
            )
            assert response.status_code == 200


async def test_the_openapi_document_needs_auth_and_lists_every_endpoint(authed: Api) -> None:
    document = (await authed.client.get("/openapi.json")).json()
    paths = document["paths"]
    expected = {
        "/api/status": {"get"},
        "/api/config": {"get"},
        "/api/config/update": {"post"},
        "/api/start": {"post"},
        "/api/stop": {"post"},
        "/api/pause": {"post"},
        "/api/resume": {"post"},
        "/api/emergency-stop": {"post"},
        "/api/positions": {"get"},
        "/api/trades": {"get"},
        "/api/pnl": {"get"},
        "/api/stats": {"get"},
        "/api/logs": {"get"},
        "/api/authenticate": {"post"},
        "/api/auth/status": {"get"},
        "/api/brokers/supported": {"get"},
        "/api/broker/current": {"get"},
        "/api/broker/configure": {"post"},
        "/api/broker/test": {"post"},
        "/api/strategies": {"get", "post"},
        "/api/strategies/{strategy_id}": {"get", "put", "delete"},
        "/api/strategies/{strategy_id}/deploy": {"post"},
        "/api/strategies/{strategy_id}/backtest": {"post"},
        "/api/strategies/templates": {"get"},
        "/api/settings": {"get"},
        "/api/settings/{category}": {"put"},
        "/api/login": {"post"},
        "/api/logout": {"post"},
        "/api/tokens": {"get", "post"},
        "/api/tokens/{token_id}": {"delete"},
        "/api/jobs/{job_id}": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path
    assert paths["/api/login"]["post"]["security"] == []
    assert "bearer" in document["components"]["securitySchemes"]
    assert (await authed.client.get("/docs")).status_code == 404


async def test_a_websocket_without_credentials_is_refused(api: Api) -> None:
    """In-process (the real-server test does it over a socket): closed before accepting."""
    messages: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        messages.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "app": api.app,
        "scheme": "ws",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "subprotocols": [],
        "asgi": {"version": "3.0"},
    }
    await api.app(scope, receive, send)
    assert messages and messages[0]["type"] == "websocket.close"
    assert messages[0]["code"] == 1008
