"""The Strategies page in Chromium against a real `scalpbot serve`: a strategy created from
the form generated out of its parameter schema (a bad value refused under its field, a name
with markup shown as text), edited, backtested, and its chart, metrics and trades shown."""

from __future__ import annotations

from typing import Any

from web_support import Served, expect, log_in, needs_chromium

pytest_plugins = ["web_fixtures"]
pytestmark = needs_chromium

NAME = "Trend <script>window.__pwned = 1</script>"


def test_a_strategy_is_created_edited_backtested_and_charted(page: Any, served: Served) -> None:
    log_in(page, served.url)
    page.click("nav >> text=Strategies")
    expect(page).to_have_url(served.url + "/strategies")
    expect(page.locator("#strategies-table")).to_have_attribute("data-count", "0")

    form = page.locator("#strategy-form")
    page.select_option("#strategy-template", "ma_cross")
    fast = form.locator("input[name='params.fast']")
    expect(fast).to_have_attribute("type", "number")
    expect(fast).to_have_attribute("min", "1")
    expect(fast).to_have_attribute("max", "500")
    expect(form.locator("select[name='params.kind'] option")).to_have_text(["sma", "ema"])
    expect(form.locator("input[name='params.long_only']")).to_have_attribute("type", "checkbox")

    form.locator("input[name=name]").fill(NAME)
    fast.fill("0")
    page.click("#strategy-submit")
    expect(form.locator("[data-error-for='params.fast']")).to_have_text("at least 1")
    fast.fill("5")
    form.locator("input[name='params.slow']").fill("20")
    form.locator("select[name='params.kind']").select_option("ema")
    form.locator("input[name='params.long_only']").uncheck()
    form.locator("input[name=symbols]").fill("nse:infy")
    page.click("#strategy-submit")

    row = page.locator("#strategies-table tr[data-strategy-id]")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(NAME)  # shown as text, never run as markup
    expect(row).to_contain_text('fast=5, slow=20, kind="ema", long_only=false')
    expect(row).to_contain_text("NSE:INFY")
    assert page.evaluate("window.__pwned") is None

    row.locator("button[data-action=edit]").click()
    expect(page.locator("#strategy-form-title")).to_contain_text("Edit strategy")
    expect(fast).to_have_value("5")
    form.locator("input[name='params.slow']").fill("30")
    page.click("#strategy-submit")
    expect(row).to_contain_text("slow=30")
    expect(page.locator("#strategy-form-title")).to_have_text("New strategy")

    row.locator("button[data-action=backtest]").click()
    panel = page.locator("#backtest-panel")
    expect(panel).to_be_visible()
    panel.locator("select[name=data]").select_option("2006-min-005.txt")
    page.click("#backtest-run")
    chart = page.locator("#backtest-chart")
    expect(chart).to_have_attribute("data-state", "drawn")
    expect(chart.locator("canvas").first).to_be_visible()
    assert int(chart.get_attribute("data-markers") or "0") > 0
    expect(page.locator("#backtest-metrics [data-metric=trades] dd")).not_to_have_text("–")
    expect(page.locator("#backtest-trades tr").first).not_to_contain_text("No trades")
    expect(page.locator("#backtests-table")).to_have_attribute("data-count", "1")
