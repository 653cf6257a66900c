"""Plain value types of trading and the broker protocols. Imports nothing else of scalpbot."""

from scalpbot.domain.broker import (
    Broker,
    ExecutionListener,
    Funds,
    LoopOrderEntry,
    OrderGateway,
    OrderUpdate,
    Profile,
    Quote,
    StreamHandler,
)
from scalpbot.domain.control import ControlSurface
from scalpbot.domain.enums import (
    Exchange,
    InstrumentType,
    Mode,
    OrderType,
    Product,
    Side,
    Validity,
    parse_enum,
)
from scalpbot.domain.errors import (
    BrokerError,
    BrokerUnavailable,
    ConfigError,
    ControlError,
    DataError,
    InstrumentNotFound,
    OrderRejected,
    OrderStateError,
    RateLimited,
    ScalpbotError,
    SessionExpired,
)
from scalpbot.domain.fill import Fill
from scalpbot.domain.instrument import Instrument
from scalpbot.domain.market_data import (
    IST,
    Bar,
    QuoteTick,
    Tick,
    datetime_to_ns,
    ns_to_datetime,
)
from scalpbot.domain.order import TRANSITIONS, Order, OrderStatus, StatusChange, can_transition
from scalpbot.domain.position import Position
from scalpbot.domain.trade import TradeRecord

__all__ = [
    "IST",
    "TRANSITIONS",
    "Bar",
    "Broker",
    "BrokerError",
    "BrokerUnavailable",
    "ConfigError",
    "ControlError",
    "ControlSurface",
    "DataError",
    "Exchange",
    "ExecutionListener",
    "Fill",
    "Funds",
    "Instrument",
    "InstrumentNotFound",
    "InstrumentType",
    "LoopOrderEntry",
    "Mode",
    "Order",
    "OrderGateway",
    "OrderRejected",
    "OrderStateError",
    "OrderStatus",
    "OrderType",
    "OrderUpdate",
    "Position",
    "Product",
    "Profile",
    "Quote",
    "QuoteTick",
    "RateLimited",
    "ScalpbotError",
    "SessionExpired",
    "Side",
    "StatusChange",
    "StreamHandler",
    "Tick",
    "TradeRecord",
    "Validity",
    "can_transition",
    "datetime_to_ns",
    "ns_to_datetime",
    "parse_enum",
]
