"""The read-only surface every indicator shares: `value`, `ready`, `period` and `repr`.

It exists so those accessors are written once; each subclass still owns its `__init__`,
`reset` and the hot `update`, and lists only its own extra fields in `__slots__` (the base's
slots `_period` and `_value` must not be repeated there, or every instance would carry both).
A subclass must set `_period` in `__init__` and `_value` (None until the first reading) in
`reset`.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

T = TypeVar("T")


class Indicator(Generic[T]):
    """Base of the incremental indicators; `T` is the type of one reading."""

    __slots__ = ("_period", "_value")

    #: Public attributes shown by `repr` before `value`, in order (e.g. a band width).
    _repr_fields: ClassVar[tuple[str, ...]] = ("period",)

    _period: int
    _value: T | None

    @property
    def value(self) -> T | None:
        """The last reading returned by `update` (None while warming up)."""
        return self._value

    @property
    def ready(self) -> bool:
        """True while `value` holds a reading, i.e. once the warm-up `update` describes is over."""
        return self._value is not None

    @property
    def period(self) -> int:
        """The look-back length, in updates, that the indicator was built with."""
        return self._period

    def __repr__(self) -> str:
        fields = [f"{name}={getattr(self, name)}" for name in self._repr_fields]
        fields.append(f"value={self._value}")
        return f"{type(self).__name__}({', '.join(fields)})"
