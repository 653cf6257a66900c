"""Session VWAP against a direct pandas computation, and its session key (the IST date)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from scalpbot.indicators import VWAP
from scalpbot.indicators.vwap import ist_day

IST = timezone(timedelta(hours=5, minutes=30))
NS = 1_000_000_000
FIVE_MIN_NS = 300 * NS


def two_days_of_bars() -> pd.DataFrame:
    """5-minute bars from 2024-03-04 14:00 UTC to 2024-03-05 04:00 UTC.

    That crosses 18:30 UTC, which is midnight IST: the session changes there although the UTC
    date does not, and the UTC date changes at 00:00 UTC although the IST session does not.
    """
    start = int(datetime(2024, 3, 4, 14, 0, tzinfo=UTC).timestamp()) * NS
    ts = start + FIVE_MIN_NS * np.arange(14 * 12 + 1, dtype=np.int64)
    rng = np.random.default_rng(42)
    price = 22_000.0 + np.cumsum(rng.normal(0.0, 5.0, len(ts)))
    volume = rng.integers(0, 5_000, len(ts)).astype(float)
    volume[0] = 1_000.0
    return pd.DataFrame({"ts": ts, "price": price, "volume": volume})


def reference_vwap(frame: pd.DataFrame) -> np.ndarray:
    """Cumulative sum(price * volume) / sum(volume) per IST calendar date, computed directly."""
    ist_date = pd.to_datetime(frame["ts"], unit="ns", utc=True).dt.tz_convert(IST).dt.date
    pv = (frame["price"] * frame["volume"]).groupby(ist_date).cumsum()
    vol = frame["volume"].groupby(ist_date).cumsum()
    return (pv / vol).to_numpy()


def test_vwap_equals_direct_computation_and_resets_at_ist_midnight() -> None:
    frame = two_days_of_bars()
    expected = reference_vwap(frame)
    vwap = VWAP()
    ours = [
        vwap.update(float(p), float(v), int(t))
        for t, p, v in zip(frame["ts"], frame["price"], frame["volume"], strict=True)
    ]
    midnight = int(datetime(2024, 3, 4, 18, 30, tzinfo=UTC).timestamp()) * NS
    first_of_day_two = int(np.searchsorted(frame["ts"].to_numpy(), midnight))
    assert frame["ts"][first_of_day_two] == midnight
    for i, (mine, theirs) in enumerate(zip(ours, expected, strict=True)):
        if math.isnan(theirs):  # no volume yet in this session
            assert mine is None, i
        else:
            assert mine == pytest.approx(theirs, rel=1e-12), i
    # the reset really happened: the new day ignores everything before IST midnight
    day_two = frame.iloc[first_of_day_two:]
    first_traded = day_two[day_two["volume"] > 0].iloc[0]
    assert ours[int(first_traded.name)] == pytest.approx(first_traded["price"], rel=1e-15)


def test_every_timestamp_form_gives_the_same_sessions() -> None:
    frame = two_days_of_bars()
    rows = list(zip(frame["ts"], frame["price"], frame["volume"], strict=True))

    def run(convert: object) -> list[float | None]:
        vwap = VWAP()
        return [vwap.update(float(p), float(v), convert(t)) for t, p, v in rows]  # type: ignore[operator]

    as_int = run(int)
    assert run(lambda t: datetime.fromtimestamp(int(t) / NS, tz=UTC)) == as_int
    assert run(lambda t: datetime.fromtimestamp(int(t) / NS, tz=IST)) == as_int
    naive_ist = run(lambda t: datetime.fromtimestamp(int(t) / NS, tz=IST).replace(tzinfo=None))
    assert naive_ist == as_int  # a naive datetime is IST wall time, as in scalpbot.domain
    assert run(np.int64) == as_int


def test_ist_day_boundaries() -> None:
    just_before = datetime(2024, 3, 4, 18, 29, 59, 999_999, tzinfo=UTC)
    at_midnight = datetime(2024, 3, 4, 18, 30, tzinfo=UTC)
    assert ist_day(at_midnight) == ist_day(just_before) + 1
    assert ist_day(at_midnight) == date(2024, 3, 5).toordinal() - date(1970, 1, 1).toordinal()
    ns = int(at_midnight.timestamp()) * NS
    assert ist_day(ns - 1) == ist_day(just_before)
    assert ist_day(ns) == ist_day(at_midnight)
    assert ist_day(-1) == ist_day(0)  # 1970-01-01 05:29:59.999 IST: floor division, not trunc


def test_sessions_of_two_trading_days() -> None:
    """Two NSE sessions (09:15-15:30 IST): day two starts from its own first bar."""
    vwap = VWAP()
    day1 = datetime(2024, 3, 4, 9, 15, tzinfo=IST)
    assert vwap.update(100.0, 10, day1) == 100.0
    assert vwap.update(110.0, 30, day1 + timedelta(minutes=1)) == 107.5
    assert vwap.update(90.0, 0, day1 + timedelta(hours=6)) == 107.5  # no volume: unchanged
    assert vwap.session_volume == 40.0
    day2 = datetime(2024, 3, 5, 9, 15, tzinfo=IST)
    assert vwap.update(200.0, 0, day2) is None  # new session, nothing traded yet
    assert not vwap.ready and vwap.value is None and vwap.session_volume == 0.0
    assert vwap.update(202.0, 5, day2 + timedelta(minutes=1)) == 202.0
    assert vwap.update(196.0, 15, day2 + timedelta(minutes=2)) == 197.5


DAY_AFTER = 86_400 * NS


@pytest.mark.parametrize("volume", [-1.0, math.nan])
def test_bad_volume_is_rejected_and_changes_nothing(volume: float) -> None:
    vwap = VWAP()
    vwap.update(100.0, 10, 0)
    with pytest.raises(ValueError, match="volume must be >= 0"):
        vwap.update(50.0, volume, DAY_AFTER)
    assert vwap.value == 100.0 and vwap.session_volume == 10.0
    assert vwap.update(110.0, 10, 1) == 105.0  # still the same session


@pytest.mark.parametrize("timestamp", ["2024-03-04", 1.7e18, True, date(2024, 3, 4), None])
def test_bad_timestamp_is_rejected_and_changes_nothing(timestamp: object) -> None:
    vwap = VWAP()
    vwap.update(100.0, 10, 0)
    with pytest.raises(TypeError, match="timestamp must be a datetime or an int"):
        vwap.update(50.0, 10, timestamp)  # type: ignore[arg-type]
    assert vwap.value == 100.0 and vwap.session_volume == 10.0
