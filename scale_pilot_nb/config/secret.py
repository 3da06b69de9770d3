"""The :class:`Secret` type: a credential that never shows up in output."""

from __future__ import annotations

import hmac

__all__ = ["Secret"]

_MASK = "********"


class Secret:
    """A credential whose text never shows up in reprs, logs, f-strings or tracebacks.

    ``repr`` gives ``Secret('********')``; ``str`` and ``format`` give ``********``. Call
    :meth:`reveal` at the single point where the value is sent to the NAS.

    Args:
        value: the secret text.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"Secret holds a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """Return the secret text. Use only to hand it to the NAS."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return format(_MASK, format_spec)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))
