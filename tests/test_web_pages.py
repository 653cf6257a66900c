"""The dashboard's pages served in-process (no browser): who may see them, what they link to,
and what they must never contain (unescaped user text, secrets, anything from another site)."""

from __future__ import annotations

import re

import pytest

from api_support import Api
from scalpbot.api.pages import PAGES, STATIC_DIR, public_paths

pytest_plugins = ["api_fixtures"]
pytestmark = pytest.mark.anyio

PAGE_PATHS = [page[0] for page in PAGES]
ASSET = re.compile(r'(?:src|href)="(/static/[^"?]+)(?:\?v=[0-9a-f]+)?"')


async def test_pages_send_a_visitor_without_a_login_to_the_login_page(api: Api) -> None:
    home = await api.client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/login"
    for path in PAGE_PATHS[1:]:
        answer = await api.client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == f"/login?next={path}"
    login = await api.client.get("/login")
    assert login.status_code == 200 and 'id="login-form"' in login.text
    assert "Logout" not in login.text
    # A script's bearer token is for the API, not for pages: still the login page.
    headers = await api.bearer()
    assert (await api.client.get("/", headers=headers)).status_code == 303
    # The partials are API routes: 401 without a credential, like any other.
    assert (await api.client.get("/partials/strategies")).status_code == 401


async def test_a_logged_in_browser_gets_every_page_and_every_file_it_links(api: Api) -> None:
    await api.login()
    assert (await api.client.get("/login")).headers["location"] == "/"
    linked: set[str] = set()
    for path, _, title in PAGES:
        answer = await api.client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store"
        assert f"<title>{title} · scalpbot</title>" in answer.text
        assert re.search(rf'<a href="{path}" class="active"', answer.text), path
        linked.update(ASSET.findall(answer.text))
        assert not re.search(r'(?:src|href)="(?:https?:)?//', answer.text), "no outside files"
    assert "/static/vendor/htmx.min.js" in linked
    assert "/static/vendor/lightweight-charts.standalone.production.js" in linked
    api.client.cookies.clear()  # static files need no login (the login page uses them)
    for asset in sorted(linked):
        answer = await api.client.get(asset)
        assert answer.status_code == 200, asset


async def test_public_paths_are_the_pages_and_static_files_only() -> None:
    paths = public_paths()
    files = {p for p in paths if p.startswith("/static/")}
    assert len(files) == sum(1 for f in STATIC_DIR.rglob("*") if f.is_file())
    assert paths - files == {"/login", *PAGE_PATHS}
    assert not any(p.startswith(("/api", "/partials", "/ws")) for p in paths)


async def test_user_text_is_escaped_and_secrets_never_reach_a_page(api: Api) -> None:
    await api.login()
    csrf = api.client.cookies["scalpbot_csrf"]
    headers = {"X-CSRF-Token": csrf}
    name = '<img src=x onerror="alert(1)">'
    created = await api.client.post(
        "/api/strategies",
        json={"name": name, "class_spec": "ma_cross", "params": {"fast": 3, "slow": 9}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    token = await api.client.post("/api/tokens", json={"name": "<b>cron</b>"}, headers=headers)
    assert token.status_code == 201
    secret = "zerodha-secret-0123456789"
    configured = await api.client.post(
        "/api/broker/configure",
        json={"name": "zerodha", "api_key": "key-1", "api_secret": secret},
        headers=headers,
    )
    assert configured.status_code == 200, configured.text

    strategies = (await api.client.get("/partials/strategies")).text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in strategies
    assert "<img" not in strategies
    tokens = (await api.client.get("/partials/tokens")).text
    assert "&lt;b&gt;cron&lt;/b&gt;" in tokens and "<b>" not in tokens
    for path in [*PAGE_PATHS, "/partials/strategies", "/partials/tokens", "/partials/trades"]:
        answer = await api.client.get(path)
        assert answer.status_code == 200, path
        assert secret not in answer.text and secret[:12] not in answer.text, path
    dashboard = (await api.client.get("/")).text
    assert 'id="state-broker" class="value">zerodha<' in dashboard


async def test_a_broken_config_file_still_lets_the_pages_open(api: Api) -> None:
    await api.login()
    config = api.home / "config.yaml"
    config.write_text(config.read_text() + "\nrisk:\n  max_open_positions: 0\n")
    for path in PAGE_PATHS:
        answer = await api.client.get(path)
        assert answer.status_code == 200, path
    dashboard = (await api.client.get("/")).text
    assert 'id="state-mode" class="value">–<' in dashboard
