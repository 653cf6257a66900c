"""Fixtures of the browser tests: `browser` (one Chromium per test module), `served` (a real
`scalpbot serve` with a tmp home of its own) and `page` (a fresh browser context; a screenshot
in test-artifacts/<test-name>.png when the test fails). Loaded by
`pytest_plugins = ["web_fixtures"]`; the helpers are in web_support.py."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, WAIT_MS, Served, make_home, serve


# -- fixtures ------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so a fixture can see that the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Not per session: Playwright's sync API keeps an event
    loop running in this thread while it is started, and the API tests (anyio) that may run
    next in the same process need the thread free of one."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def home_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with its password set (one `scalpbot admin set-password` per module: it costs a
    process start and a deliberately slow hash); each test gets a copy."""
    return make_home(tmp_path_factory.mktemp("web") / "home")


@pytest.fixture
def served(home_template: Path, tmp_path: Path) -> Iterator[Served]:
    home = tmp_path / "home"
    shutil.copytree(home_template, home)
    server = serve(home)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page in a fresh browser context; screenshot saved if the test fails."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        report = getattr(request.node, "report_call", None)
        if report is None or report.failed or errors:
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            try:
                opened.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            except Exception as exc:  # a crashed page cannot be photographed; say so
                print(f"no failure screenshot for {name}: {exc}")
        context.close()
