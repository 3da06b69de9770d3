"""Checks of what a caller passes, made before anything is sent to the NAS.

A wrong argument must fail here, with an :class:`~scale_pilot_nb.errors.ArgumentError` naming
it, never halfway through an operation (after ``app.create`` ran) nor deep inside a library as
a raw ``TypeError``. The app-name rule is TrueNAS's own (``rules_truenas.app_name_problem``,
matched in full: ``"web\\n"`` is not ``"web"``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from scale_pilot_nb.compose.rules_truenas import app_name_problem
from scale_pilot_nb.errors import ArgumentError

__all__ = [
    "app_name",
    "app_names",
    "integer",
    "job_id",
    "non_negative_int",
    "optional_text",
    "path",
    "positive_int",
    "text",
]

#: Longest text argument echoed back in an error.
_SHOWN = 60


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def text(value: Any, what: str) -> str:
    """``value`` if it is a string.

    Raises:
        ArgumentError: it is not.
    """
    if not isinstance(value, str):
        raise ArgumentError(f"{what} must be a string, not {type(value).__name__}")
    return value


def optional_text(value: Any, what: str) -> str | None:
    """``value`` if it is a string or None.

    Raises:
        ArgumentError: anything else.
    """
    return None if value is None else text(value, what)


def integer(value: Any, what: str) -> int:
    """``value`` if it is an int (a bool is not one here).

    Raises:
        ArgumentError: anything else.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{what} must be a whole number, not {_shown(value)}")
    return value


def path(value: Any, what: str) -> str | os.PathLike[str]:
    """``value`` if it is a path (a string or ``os.PathLike``) without NUL characters.

    Raises:
        ArgumentError: anything else.
    """
    if not isinstance(value, str | os.PathLike) or "\0" in os.fspath(value):
        raise ArgumentError(f"{what} must be a path, not {_shown(value)}")
    return value


def app_name(value: Any, what: str = "app name") -> str:
    """``value`` if it is a valid TrueNAS app name.

    Raises:
        ArgumentError: not a string, or one TrueNAS would refuse (the message says why).
    """
    problem = app_name_problem(text(value, what))
    if problem is not None:
        raise ArgumentError(
            f"{what}: {problem}",
            hint="List the apps with pilot.apps() or `scale-compose list`.",
        )
    return value


def app_names(values: Any) -> list[str]:
    """App names from an iterable of names, each checked; a lone string is refused.

    A string is an iterable of one-letter "names": ``bulk("stop", "db")`` must not stop the
    apps ``d`` and ``b``.

    Raises:
        ArgumentError: a string, a non-iterable, or a bad name in it.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ArgumentError(
            f"app names must be a list of names, not {_shown(values)}",
            hint='Pass a list: bulk("stop", ["db"]).',
        )
    return [app_name(value) for value in values]


def positive_int(value: Any, what: str) -> int:
    """``value`` if it is an int greater than 0 (a bool is not an int here).

    Raises:
        ArgumentError: anything else.
    """
    if integer(value, what) < 1:
        raise ArgumentError(f"{what} must be at least 1, not {value}")
    return value


def non_negative_int(value: Any, what: str, *, hint: str | None = None) -> int:
    """``value`` if it is an int of 0 or more (a bool is not an int here), for counts where
    none is a real request (``tail=0``: no history, only new lines).

    Raises:
        ArgumentError: anything else; ``hint`` says what to pass instead.
    """
    if integer(value, what) < 0:
        raise ArgumentError(f"{what} must be 0 or more, not {value}", hint=hint)
    return value


def job_id(value: Any) -> int:
    """A TrueNAS job id (a positive int).

    Raises:
        ArgumentError: anything else.
    """
    return positive_int(value, "job id")
