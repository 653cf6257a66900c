"""The dashboard in Chromium against a real `scalpbot serve`: logging in and out, and a paper
session started, paused, resumed and stopped from the page while its P&L moves by push; then
one position closed, and the emergency stop (asked for, refused, asked again, confirmed)."""

from __future__ import annotations

import re
from typing import Any

from web_support import PASSWORD, Served, expect, log_in, needs_chromium

pytest_plugins = ["web_fixtures"]
pytestmark = needs_chromium

MONEY = re.compile(r"^-?\d+\.\d\d$")


def test_pages_need_a_login_which_returns_to_the_page_asked_for(page: Any, served: Served) -> None:
    url = served.url
    page.goto(url + "/")
    expect(page).to_have_url(url + "/login")
    page.goto(url + "/strategies")
    expect(page).to_have_url(url + "/login?next=/strategies")
    page.fill("input[name=password]", "not the password")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("Wrong username or password.")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(url + "/strategies")
    expect(page.locator("nav a.active")).to_have_text("Strategies")
    page.click("#logout")
    expect(page).to_have_url(url + "/login")
    page.goto(url + "/settings")
    expect(page).to_have_url(url + "/login?next=/settings")


def test_logout_is_disabled_until_the_page_script_can_act_on_it(page: Any, served: Served) -> None:
    """A click on Logout before common.js has run would be lost (the session would go on), so
    the button arrives disabled and only the script enables it."""
    log_in(page, served.url)
    expect(page.locator("#logout")).to_be_enabled()
    served_html = page.request.get(served.url + "/settings").text()
    button = re.search(r'<button[^>]*id="logout"[^>]*>', served_html)
    assert button is not None and " disabled" in button.group(0)


def test_a_paper_session_is_controlled_from_the_page_and_its_pnl_moves(
    page: Any, served: Served
) -> None:
    log_in(page, served.url)
    page.evaluate("window.__samePage = true")  # gone if anything reloads the page
    badge = page.locator("#state-session")
    expect(page.locator("#push-state")).to_have_text("live")
    expect(badge).to_have_attribute("data-state", "stopped")
    expect(page.locator("[data-control=pause]")).to_be_disabled()

    page.click("[data-control=start]")
    expect(badge).to_have_attribute("data-state", "running")
    expect(page.locator("#state-mode")).to_have_text("paper")
    expect(page.locator("#state-feed")).to_have_text("simulated")
    expect(page.locator("[data-control=start]")).to_be_disabled()
    today = page.locator("#pnl-today")
    expect(today).to_have_attribute("data-value", MONEY)
    first = today.get_attribute("data-value")
    page.wait_for_function(
        "first => document.getElementById('pnl-today').dataset.value !== first", arg=first
    )
    expect(today).to_have_text(re.compile(r"^[+−]?₹[\d,]+\.\d\d$"))
    expect(page.locator("#log")).to_contain_text("session_started")
    expect(page.locator("#pnl-chart canvas").first).to_be_visible()

    page.click("[data-control=pause]")
    expect(badge).to_have_attribute("data-state", "paused")
    expect(page.locator("#state-reason")).to_have_text("paused from the dashboard")
    page.click("[data-control=resume]")
    expect(badge).to_have_attribute("data-state", "running")
    expect(page.locator("#state-reason")).to_be_hidden()
    page.click("[data-control=stop]")
    expect(badge).to_have_attribute("data-state", "stopped")
    expect(page.locator("[data-control=start]")).to_be_enabled()
    expect(page.locator("#log")).to_contain_text("session_stopped")
    assert page.evaluate("window.__samePage") is True


def test_a_position_is_closed_and_the_emergency_stop_asks_first(page: Any, served: Served) -> None:
    log_in(page, served.url)
    badge = page.locator("#state-session")
    page.click("[data-control=start]")
    expect(badge).to_have_attribute("data-state", "running")
    rows = page.locator("#positions tr[data-instrument]")
    expect(rows.first).to_be_visible()
    page.click("[data-control=pause]")  # no new entries, so a closed position stays closed
    expect(badge).to_have_attribute("data-state", "paused")
    instrument = rows.first.get_attribute("data-instrument")
    row = page.locator(f'#positions tr[data-instrument="{instrument}"]')
    row.locator("button[data-close]").click()
    expect(page.locator("#toasts")).to_contain_text(f"Closing {instrument}")
    expect(row).to_have_count(0)
    expect(page.locator("#log")).to_contain_text(f"close of {instrument}")

    dialog = page.locator("#confirm-dialog")
    page.click("[data-control=emergency-stop]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Emergency stop?")
    page.click("#confirm-cancel")
    expect(dialog).to_be_hidden()
    expect(badge).to_have_attribute("data-state", "paused")

    page.click("[data-control=emergency-stop]")
    page.click("#confirm-ok")
    expect(badge).to_have_attribute("data-state", "halted")
    expect(page.locator("#state-reason")).to_contain_text("emergency stop from the dashboard")
    expect(rows).to_have_count(0)
    expect(page.locator("#orders tr[data-order]")).to_have_count(0)
    page.click("[data-control=stop]")
    expect(badge).to_have_attribute("data-state", "stopped")
