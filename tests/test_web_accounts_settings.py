"""The Accounts and Settings pages in Chromium against a real `scalpbot serve`: the paper
broker configured and tested (funds shown), a planned broker's secret saved but never shown
back, an alert test refused with the reason, API tokens created once-shown and revoked, and a
risk setting changed, refused when wrong, then kept across a restart of the server."""

from __future__ import annotations

import re
import stat
from typing import Any

from web_support import Served, expect, log_in, needs_chromium, serve

pytest_plugins = ["web_fixtures"]
pytestmark = needs_chromium

SECRET = "kite-secret-value-9f8e7d"


def test_the_paper_broker_is_configured_and_tested(page: Any, served: Served) -> None:
    log_in(page, served.url)
    page.goto(served.url + "/accounts")
    broker = page.locator("#broker-name")
    expect(broker).to_have_value("paper")
    expect(page.locator("#auth-status")).to_have_text("paper: logged in")

    # A broker without an adapter yet: its credentials are kept, the secret never shown again.
    broker.select_option("upstox")
    expect(page.locator("#broker-planned")).to_be_visible()
    page.fill("#broker-fields input[name=api_key]", "kite-key-123")
    page.fill("#broker-fields input[name=api_secret]", SECRET)
    page.fill("#broker-fields input[name=redirect_url]", "http://127.0.0.1:8050/callback")
    page.click("#broker-save")
    expect(page.locator("#toasts")).to_contain_text("Saved: broker Upstox API v2")
    secret_input = page.locator("#broker-fields input[name=api_secret]")
    expect(secret_input).to_have_value("")
    expect(secret_input).to_have_attribute("placeholder", "set (kite…); leave empty to keep")
    page.reload()
    expect(broker).to_have_value("upstox")
    expect(page.locator("#broker-fields input[name=api_key]")).to_have_value("kite-key-123")
    assert SECRET not in page.content()
    secrets = served.home / "secrets.env"
    assert SECRET in secrets.read_text() and stat.S_IMODE(secrets.stat().st_mode) == 0o600
    page.click("#broker-test")
    expect(page.locator("#connection-message")).to_contain_text("has no adapter")

    broker.select_option("paper")
    page.click("#broker-save")
    expect(page.locator("#toasts")).to_contain_text("Saved: broker Paper trading")
    page.click("#broker-test")
    expect(page.locator("#connection-message")).to_contain_text("Connection OK")
    expect(page.locator("#broker-funds [data-field=available_cash]")).to_have_text("₹1,00,000.00")
    expect(page.locator("#broker-profile")).to_contain_text("NSE")
    page.click("#broker-login")
    expect(page.locator("#connection-message")).to_contain_text("Logged in to paper")


def test_settings_are_checked_saved_and_kept_across_a_restart(page: Any, served: Served) -> None:
    log_in(page, served.url)
    page.goto(served.url + "/settings#risk")
    risk = page.locator("form[data-settings-form=risk]")
    expect(risk).to_be_visible()
    positions = risk.locator("input[name='risk.max_open_positions']")
    expect(positions).to_have_value("")
    expect(risk.locator("input[name='risk.max_orders_per_second']")).to_have_value("10")

    risk.locator("input[name='risk.max_orders_per_second']").fill("")
    risk.locator("button[type=submit]").click()
    expect(risk.locator("[data-error-for='risk.max_orders_per_second']")).to_have_text("required")
    risk.locator("input[name='risk.max_orders_per_second']").fill("8")
    positions.fill("3")
    risk.locator("input[name='risk.daily_loss_limit']").fill("2500")
    risk.locator("input[name='risk.max_consecutive_losses']").fill("4")
    risk.locator("button[type=submit]").click()
    expect(page.locator("#toasts")).to_contain_text("risk: saved; applies when the next")

    page.click("#tab-trading")
    trading = page.locator("form[data-settings-form=trading]")
    trading.locator("textarea[name='trading.symbols']").fill("INFY")
    trading.locator("button[type=submit]").click()
    expect(trading.locator("[data-error-for='trading.symbols']")).to_contain_text("EXCHANGE:SYMBOL")

    page.click("#tab-alerts")
    page.click("#alerts-test")
    expect(page.locator("#alerts-test-result")).to_contain_text("no alert channel is enabled")

    page.click("#tab-tokens")
    page.fill("#token-form input[name=name]", "backup <script>")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#token-text")).to_have_text(re.compile(r"^sbt_\S+$"))
    token_row = page.locator("#tokens-table tr[data-token-id]")
    expect(token_row).to_have_count(1)
    expect(token_row.locator("td").first).to_have_text("backup <script>")
    token_row.locator("button[data-revoke]").click()
    page.click("#confirm-ok")
    expect(token_row.locator(".badge")).to_have_text("revoked")

    served.stop()
    restarted = serve(served.home)
    try:
        page.context.clear_cookies()
        log_in(page, restarted.url)
        page.goto(restarted.url + "/settings#risk")
        risk = page.locator("form[data-settings-form=risk]")
        expect(risk.locator("input[name='risk.max_open_positions']")).to_have_value("3")
        expect(risk.locator("input[name='risk.daily_loss_limit']")).to_have_value("2500")
        expect(risk.locator("input[name='risk.max_consecutive_losses']")).to_have_value("4")
        expect(risk.locator("input[name='risk.max_orders_per_second']")).to_have_value("8")
        page.click("#tab-tokens")
        expect(page.locator("#tokens-table tr[data-token-id] .badge")).to_have_text("revoked")
    finally:
        restarted.stop()
