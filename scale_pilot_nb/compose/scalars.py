"""Scalar coercions compose applies after interpolation (``"true"`` → ``True``, ``"1g"`` → bytes).

Interpolation yields text, so ``privileged: ${PRIV:-false}`` arrives as a string; compose-go
casts such fields to their declared type. These helpers do the same, raising
:class:`ComposeError` naming the field when the text does not fit.
"""

from __future__ import annotations

import math
import re
from typing import Any

from scale_pilot_nb.errors import ComposeError

__all__ = ["scalar_text", "to_bool", "to_bytes", "to_float", "to_int"]

_TRUE = frozenset({"true", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "no", "n", "off", "0"})
_BYTES = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?$", re.IGNORECASE)
_UNIT = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def scalar_text(value: Any) -> str:
    """A scalar as compose writes it into a string field: ``True`` → ``"true"``, ``8`` → ``"8"``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_bool(value: Any, key: str) -> bool:
    """A boolean field that may arrive as text (``"true"``, ``"no"``)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ComposeError(f"'{key}' must be true or false, not {value!r}")


def to_int(value: Any, key: str) -> int:
    """An integer field that may arrive as text (``"3"``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    raise ComposeError(f"'{key}' must be a whole number, not {value!r}")


def to_float(value: Any, key: str) -> float:
    """A number field such as ``cpus`` that may arrive as text (``"0.5"``); never negative,
    infinite or NaN (no compose number field means anything by those)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            number = math.nan
    if not math.isfinite(number) or number < 0:
        raise ComposeError(f"'{key}' must be a number of 0 or more, not {value!r}")
    return number


def to_bytes(value: Any, key: str) -> int:
    """A size in bytes from ``1073741824``, ``"512m"``, ``"1.5g"``, ``"2GiB"`` (units of 1024)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _BYTES.match(str(value).strip())
    if match is None:
        raise ComposeError(
            f"'{key}' must be a size such as 512m or 2g, not {value!r}",
            hint="Units: b, k, m, g, t (powers of 1024).",
        )
    return int(float(match.group(1)) * _UNIT[match.group(2).lower()])


def to_byte_string(value: Any, key: str) -> str:
    """A memory size as Compose writes it back: the bytes as a string (``"536870912"``).

    The compose-spec schema takes ``deploy.resources.*.memory`` as a string only (TrueNAS
    25.10.1+ checks the stored file with it), so the canonical form keeps it one.
    """
    return str(to_bytes(value, key))
