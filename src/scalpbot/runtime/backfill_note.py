"""What the event log says about a gap in a live feed and the bars history filled it with."""

from __future__ import annotations

from typing import Any

from scalpbot.data.feeds import Backfill
from scalpbot.domain import Bar

NS_PER_SECOND = 1_000_000_000


def backfill_note(fill: Backfill, handed_out: list[Bar]) -> tuple[str, str, dict[str, Any]]:
    """(event kind, message, data) for `fill`, of which `handed_out` reached the strategies.

    The data keeps, per instrument, the first and last bar time and the count — enough to check
    that no minute is missing without logging every bar of a 500-instrument session."""
    seconds = (fill.gap_to_ns - fill.gap_from_ns) / NS_PER_SECOND
    per_instrument: dict[str, list[int]] = {}
    for bar in handed_out:
        span = per_instrument.setdefault(bar.instrument_key, [bar.ts, bar.ts, 0])
        span[1] = bar.ts
        span[2] += 1
    data: dict[str, Any] = {
        "gap_from": fill.gap_from_ns,
        "gap_to": fill.gap_to_ns,
        "bars": len(handed_out),
        "instruments": per_instrument,
    }
    if fill.error:
        data["error"] = fill.error
        text = f"market data gap of {seconds:.0f} s not backfilled: {fill.error}"
        return "backfill_failed", text, data
    text = (
        f"market data gap of {seconds:.0f} s: {len(handed_out)} bars of "
        f"{len(per_instrument)} instruments backfilled from history"
    )
    return "backfill", text, data
