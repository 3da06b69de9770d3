"""What every record shares: plain-data conversion and tolerant readers for wire values.

The readers exist because the same entry differs between TrueNAS 24.10, 25.04 and 25.10
(keys added, a loose 24.10 schema that allows strings where ints are meant), so every field
is read defensively: a missing or odd value becomes ``None`` or an empty tuple instead of
an exception, and only an entry that is not an object at all is an error.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any, overload

from scale_pilot_nb.errors import FieldError, TrueNASError
from scale_pilot_nb.records._types import Entry, JSONDict

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "Record",
    "WireEnum",
    "entry_of",
    "flag",
    "format_bytes",
    "integer",
    "iso_timestamp",
    "number",
    "objects",
    "plain",
    "strings",
    "text",
    "wire_datetime",
]


class WireEnum(enum.StrEnum):
    """A string enum for states sent by the NAS; unknown values map to the ``UNKNOWN`` member.

    Subclasses must define ``UNKNOWN``. Comparing with plain strings works
    (``AppState.RUNNING == "RUNNING"``).
    """

    @classmethod
    def _missing_(cls, value: object) -> WireEnum:
        return cls.__members__["UNKNOWN"]


class Record:
    """Base of the frozen dataclass records: adds :meth:`to_dict`."""

    def to_dict(self) -> JSONDict:
        """Return the record as JSON-serialisable plain data.

        Enums become their string value, datetimes ISO 8601 text in UTC with its offset
        (:func:`iso_timestamp`), nested records dicts and tuples lists, so
        ``json.dumps(record.to_dict())`` always works.
        """
        instance: DataclassInstance = self  # type: ignore[assignment]
        return {f.name: plain(getattr(self, f.name)) for f in fields(instance)}

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view (None for records without one: the repr is shown)."""
        from scale_pilot_nb.notebook.html import repr_html

        return repr_html(self)


def plain(value: Any) -> Any:
    """Convert a record field value to JSON-serialisable plain data."""
    if isinstance(value, Record | FieldError):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return iso_timestamp(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return value


def entry_of(entry: object, kind: str) -> Entry:
    """Return ``entry`` if it is an object, else raise a clear error naming ``kind``."""
    if not isinstance(entry, Mapping):
        raise TrueNASError(
            f"Expected a {kind} object from the NAS, got {type(entry).__name__}.",
            hint="The NAS answered with an unexpected shape; check its version is supported.",
        )
    return entry


def entries_of(value: object, kind: str) -> list[Entry]:
    """Return ``value`` if it is a list of objects, else raise a clear error naming ``kind``.

    A query answers a list; ``null``, a bare object or a list holding numbers would otherwise
    surface far away as a raw ``TypeError`` or ``AttributeError``.
    """
    if not isinstance(value, list):
        raise TrueNASError(
            f"Expected a list of {kind} objects from the NAS, got {type(value).__name__}.",
            hint="The NAS answered with an unexpected shape; check its version is supported.",
        )
    return [entry_of(entry, kind) for entry in value]


def text(value: object) -> str | None:
    """A string field, or ``None`` when absent or not a string."""
    return value if isinstance(value, str) else None


def integer(value: object) -> int | None:
    """An integer field; numeric strings are accepted (24.10's loose schema)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def number(value: object) -> float | None:
    """A numeric field as float, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def flag(value: object) -> bool:
    """A boolean field; anything but ``True`` is false."""
    return value is True


def strings(value: object) -> tuple[str, ...]:
    """A list-of-strings field as a tuple, skipping non-strings."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def objects(value: object) -> tuple[Entry, ...]:
    """A list-of-objects field as a tuple, skipping items that are not objects."""
    if not isinstance(value, list | tuple):
        return ()
    return tuple(item for item in value if isinstance(item, Mapping))


def wire_datetime(value: object) -> dt.datetime | None:
    """A timestamp as an aware UTC datetime.

    Accepts what the rpc layer already decoded (``datetime``), a raw ejson
    ``{"$date": <ms>}`` object, or ISO 8601 text (Docker's ``created``); anything else is
    ``None``. Naive datetimes are taken to be UTC.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, Mapping) and len(value) == 1:
        millis = number(value.get("$date"))
        if millis is not None:
            try:
                return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=millis)
            except (OverflowError, ValueError):  # NaN, infinity or beyond year 1..9999
                return None
    if isinstance(value, str):
        try:
            return wire_datetime(dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            return None
    return None


@overload
def iso_timestamp(value: dt.datetime, *, timespec: str = ...) -> str: ...
@overload
def iso_timestamp(value: object, *, timespec: str = ...) -> str | None: ...
def iso_timestamp(value: object, *, timespec: str = "auto") -> str | None:
    """A timestamp as ISO 8601 text in UTC with its offset (``2026-12-03T15:26:23+00:00``).

    The one text form of every timestamp the SDK hands out (``to_dict()``, ``--json``, tables),
    so a reader never guesses the zone and the texts sort in time order. It takes anything
    :func:`wire_datetime` reads (a ``datetime``, naive meaning UTC; ejson ``$date``; ISO 8601
    or ``str(datetime)`` text); anything else is ``None``. ``timespec`` is
    :meth:`datetime.isoformat`'s (``"seconds"`` for tables).
    """
    moment = wire_datetime(value)
    return None if moment is None else moment.astimezone(dt.UTC).isoformat(timespec=timespec)


def format_bytes(size: int | None) -> str:
    """Human-readable binary size for reprs (``1.5 GiB``); ``?`` when unknown."""
    if size is None:
        return "?"
    units = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
    value, index = float(size), 0
    while abs(value) >= 1024 and index < len(units) - 1:
        value, index = value / 1024, index + 1
    return f"{size} B" if index == 0 else f"{value:.1f} {units[index]}"
