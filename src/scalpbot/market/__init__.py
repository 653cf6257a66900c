"""Facts of the market that do not depend on a broker: the trading calendar, session times
(IST), charges, and tick-size rounding. See DESIGN.md for what this layer may import."""

from scalpbot.market.calendar import (
    CalendarRangeError,
    TradingCalendar,
    get_calendar,
)
from scalpbot.market.charge_rates import RATE_TABLE, ChargeRates, Segment, rates_for
from scalpbot.market.charges import (
    ChargeBreakdown,
    ChargesModel,
    NoCharges,
    ZerodhaCharges,
    apply_rates,
    charges_model,
    compute_charges,
    round_trip_charges,
    segment_for,
)
from scalpbot.market.sessions import (
    SESSIONS,
    Phase,
    SessionTimes,
    day_hours,
    is_after_square_off,
    is_market_open,
    phase,
    session_exchange,
    session_times,
    square_off_time,
    to_ist,
)
from scalpbot.market.ticks import is_on_tick, round_to_tick, to_decimal

__all__ = [
    "RATE_TABLE",
    "SESSIONS",
    "CalendarRangeError",
    "ChargeBreakdown",
    "ChargeRates",
    "ChargesModel",
    "NoCharges",
    "Phase",
    "Segment",
    "SessionTimes",
    "TradingCalendar",
    "ZerodhaCharges",
    "apply_rates",
    "charges_model",
    "compute_charges",
    "day_hours",
    "get_calendar",
    "is_after_square_off",
    "is_market_open",
    "is_on_tick",
    "phase",
    "rates_for",
    "round_to_tick",
    "round_trip_charges",
    "segment_for",
    "session_exchange",
    "session_times",
    "square_off_time",
    "to_decimal",
    "to_ist",
]
