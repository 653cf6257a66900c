"""Parameter sweeps on the Strategies page, in Chromium against a real `scalpbot serve`: a
sweep stored by the real `scalpbot optimize --save` while the server runs is listed; choosing
it shows its results best first (sortable) and a 3×3 heat map whose cells hold the command's
own figures, coloured around 0, with the best cell marked; a #sweep=ID link opens it too."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from optimize_support import SWEEP_3X3, optimize_saved
from scalpbot.data import sample_path
from web_support import Served, expect, log_in, needs_chromium

pytest_plugins = ["web_fixtures"]
pytestmark = needs_chromium

DATA = str(sample_path("2006-min-005.txt"))


def store_sweep(home: Path, out: Path) -> tuple[str, dict[str, Any]]:
    return optimize_saved(home, out, *SWEEP_3X3)


def test_a_sweep_is_listed_and_shown_as_a_table_and_a_heat_map(
    page: Any, served: Served, tmp_path: Path
) -> None:
    sweep_id, document = store_sweep(served.home, tmp_path / "sweep.json")
    by_cell = {
        (r["params"]["fast"], r["params"]["slow"]): r["net_pnl"] for r in document["results"]
    }
    best = document["best"]["params"]

    log_in(page, served.url)
    page.click("nav >> text=Strategies")
    expect(page.locator("#sweeps-table")).to_have_attribute("data-count", "1")
    row = page.locator(f"#sweeps-table tr[data-sweep-id='{sweep_id}']")
    expect(row).to_contain_text("ma_cross")
    expect(row).to_contain_text("fast, slow")
    expect(row).to_contain_text(f"fast={best['fast']}, slow={best['slow']}")
    row.locator("button[data-action=show-sweep]").click()

    detail = page.locator("#sweep-detail")
    expect(detail).to_be_visible()
    expect(detail).to_have_attribute("data-sweep-id", sweep_id)
    expect(page).to_have_url(f"{served.url}/strategies#sweep={sweep_id}")
    expect(row).to_have_attribute("aria-current", "true")

    heat = page.locator("#sweep-heatmap")
    cells = heat.locator("tbody td")
    expect(cells).to_have_count(9)
    expect(heat.locator("thead th")).to_have_text(["fast ↓ · slow →", "20", "30", "40"])
    expect(heat.locator("tbody th")).to_have_text(["5", "10", "15"])
    seen = {}
    for index in range(9):
        cell = cells.nth(index)
        key = (int(cell.get_attribute("data-x") or ""), int(cell.get_attribute("data-y") or ""))
        value = float(cell.get_attribute("data-value") or "nan")
        seen[key] = value
        title = cell.get_attribute("title") or ""
        assert title.startswith(f"fast={key[0]}, slow={key[1]}: net_pnl "), title
        assert cell.inner_text().replace(",", "").replace("−", "-") in title
        # Diverging around 0: every figure here is a loss, so every cell is a shade of red.
        red, green, blue = map(
            int, re.findall(r"\d+", cell.evaluate("c => getComputedStyle(c).backgroundColor"))
        )
        assert red > green and red > blue, (key, red, green, blue)
    assert seen == by_cell
    marked = heat.locator("td.best")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-best", "true")
    expect(marked).to_have_attribute("data-x", str(best["fast"]))
    expect(marked).to_have_attribute("data-y", str(best["slow"]))
    assert float(marked.get_attribute("data-value") or "nan") == max(by_cell.values())
    assert "the best" in (marked.get_attribute("title") or "")
    low, high = min(by_cell.values()), max(by_cell.values())
    expect(page.locator("#sweep-legend-min")).to_have_attribute("data-value", str(low))
    expect(page.locator("#sweep-legend-max")).to_have_attribute("data-value", str(high))
    lowest = heat.locator(f"td[data-value='{low}']").inner_text()
    expect(page.locator("#sweep-legend-min")).to_have_text(lowest)

    results = page.locator("#sweep-results tbody tr")
    expect(results).to_have_count(9)
    expect(results.first).to_have_attribute("data-value", str(max(by_cell.values())))
    ranked = [r["net_pnl"] for r in document["results"]]
    values = [float(v) for v in results.evaluate_all("rows => rows.map(r => r.dataset.value)")]
    assert values == ranked  # best first, as the command ranked them
    page.click("#sweep-results button[data-sort=net_pnl]")  # ascending: the worst first
    expect(results.first).to_have_attribute("data-value", str(min(by_cell.values())))
    page.click("#sweep-results button[data-sort=net_pnl]")
    expect(results.first).to_have_attribute("data-value", str(max(by_cell.values())))

    # A link to the sweep opens it straight away (the command prints one).
    page.click("#sweep-close")
    expect(detail).to_be_hidden()
    page.goto(f"{served.url}/strategies#sweep={sweep_id}")
    expect(page.locator("#sweep-heatmap tbody td")).to_have_count(9)
    expect(page.locator("#sweep-heatmap td.best")).to_have_count(1)
