"""``since``/``until`` moments for logs, read as ``docker compose logs`` reads them.

TrueNAS's ``app.container_log_follow`` takes only ``app_name``, ``container_id`` and
``tail_lines`` (and refuses other keys), so log time windows are applied on this side, to
the Docker timestamp each line carries. This module turns what a user writes into an aware
UTC ``datetime``:

- RFC 3339 / ISO 8601 timestamps: ``2026-12-03T10:00:00Z``, ``2026-12-03T10:00:00.5+01:00``;
- dates and times without a zone, taken as local time as Docker does: ``2026-12-03``,
  ``2026-12-03T10:00``;
- Unix timestamps, as Docker accepts them: ``1764756000``, ``1764756000.25``;
- durations before now, Go style: ``42s``, ``10m``, ``1h30m``, ``1.5h``, ``250ms``;
- a ``datetime`` (naive: local time, like ``datetime.astimezone()``).
"""

from __future__ import annotations

import datetime as dt
import re

from scale_pilot_nb.errors import ArgumentError

__all__ = ["TimeWindow", "moment"]

#: Seconds per unit of a Go duration (Docker's ``time.ParseDuration``).
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"
_DURATION = re.compile(rf"(?:{_PART})+")
_UNIX = re.compile(r"\d+(?:\.\d+)?")
_HINT = (
    "Use an RFC 3339 time (2026-12-03T10:00:00Z), a date (2026-12-03), a Unix timestamp, "
    "or a duration before now (42s, 10m, 1h30m)."
)


def moment(
    value: str | dt.datetime, what: str = "since", *, now: dt.datetime | None = None
) -> dt.datetime:
    """The aware UTC ``datetime`` that ``value`` names.

    Args:
        value: a ``datetime`` or text in one of the forms of the module docstring.
        what: the argument's name, for the error.
        now: the moment durations count back from (default: the current time).

    Raises:
        ArgumentError: ``value`` is none of those forms, or names a moment outside the years
            1 to 9999 (the hint lists the forms).
    """
    if not isinstance(value, str | dt.datetime):
        raise ArgumentError(
            f"{what} must be a datetime or text, not {type(value).__name__}", hint=_HINT
        )
    try:
        when = _read(value, now)
    except (ValueError, OverflowError, OSError):
        # past what datetime (years 1 to 9999) or the platform's time_t can hold
        raise ArgumentError(
            f"{what}: {value!r} is outside the years 1 to 9999", hint=_HINT
        ) from None
    if when is None:
        raise ArgumentError(f"{what}: cannot read {value!r} as a time", hint=_HINT)
    return when


def _read(value: str | dt.datetime, now: dt.datetime | None) -> dt.datetime | None:
    """``value`` in UTC, or None when it is none of the forms.

    Raises:
        ValueError, OverflowError, OSError: what ``datetime`` raises for a moment it cannot
            hold (a huge Unix timestamp or duration, an offset pushing it past year 9999).
    """
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    text = value.strip()
    if _DURATION.fullmatch(text):
        base = now or dt.datetime.now(dt.UTC)
        return base.astimezone(dt.UTC) - _duration(text)
    if _UNIX.fullmatch(text):
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(dt.UTC)


def _duration(text: str) -> dt.timedelta:
    seconds = sum(float(number) * _UNITS[unit] for number, unit in re.findall(_PART, text))
    return dt.timedelta(seconds=seconds)


class TimeWindow:
    """Which log lines fall between ``since`` and ``until`` (both inclusive, both optional).

    Args:
        since: the earliest moment kept (None: no lower bound).
        until: the latest moment kept (None: no upper bound).

    Raises:
        ArgumentError: a bound cannot be read (see :func:`moment`), or ``until`` is before
            ``since``.
    """

    def __init__(
        self,
        since: str | dt.datetime | None = None,
        until: str | dt.datetime | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> None:
        now = now or dt.datetime.now(dt.UTC)
        self.since = None if since is None else moment(since, "since", now=now)
        self.until = None if until is None else moment(until, "until", now=now)
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ArgumentError(
                f"until ({self.until.isoformat()}) is before since ({self.since.isoformat()})",
                hint="Swap them, or widen the window.",
            )

    def __repr__(self) -> str:
        return f"TimeWindow(since={self.since!r}, until={self.until!r})"

    def keeps(self, when: dt.datetime | None) -> bool:
        """Whether a line stamped ``when`` is in the window; a line without a time is kept."""
        if when is None:
            return True
        if self.since is not None and when < self.since:
            return False
        return self.until is None or when <= self.until

    def passed(self, when: dt.datetime | None) -> bool:
        """Whether ``when`` is past ``until``: a container's later lines are all outside."""
        return when is not None and self.until is not None and when > self.until
