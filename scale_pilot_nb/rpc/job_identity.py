"""Which call started a job: a job id alone does not say, because ids start again at 1.

The middleware numbers jobs from 1 each time it starts (``JobsDeque._get_next_id`` in
``middlewared/job.py``, a counter kept in memory, the same in TS-24.10.2.4, TS-25.04.2.6 and
TS-25.10.5). After a
restart the id a client was waiting on names whatever job took it next: a boot job, or another
client's. A wait therefore keeps the call it belongs to and refuses a job started by another.

``core.get_jobs`` lists a job's ``arguments`` as the middleware dumps them (``dump_args``):
validated, with unset fields left out and secrets replaced by ``********``. Nested values may
come back normalised, so only what validation leaves as sent is compared: the method, the app
the job acts on, and the plain top-level arguments (names, ids, flags).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["REDACTED", "JobCall", "app_name_of"]

#: What the middleware lists in place of a secret argument (``schema/utils.py``).
REDACTED = "********"

_PLAIN = (str, int, float, bool)


def app_name_of(method: str, arguments: Sequence[Any]) -> str | None:
    """The app an ``app.*`` job acts on, read from its arguments as its job lock reads them.

    ``app.create`` names it in its argument's ``app_name``; the other app jobs take it as their
    first argument. ``None`` for other methods (``app.image.pull``, ``docker.backup`` …).
    """
    if not method.startswith("app.") or not arguments:
        return None
    first = arguments[0]
    if method == "app.create":
        first = first.get("app_name") if isinstance(first, Mapping) else None
    return first if isinstance(first, str) else None


@dataclass(frozen=True, slots=True)
class JobCall:
    """The method and arguments a job was started with."""

    method: str
    arguments: tuple[Any, ...]

    @classmethod
    def listed(cls, fields: Mapping[str, Any]) -> JobCall | None:
        """The call a job object names (``None`` when it names no method)."""
        method = fields.get("method")
        if not isinstance(method, str):
            return None
        arguments = fields.get("arguments")
        return cls(method, tuple(arguments) if isinstance(arguments, list) else ())

    def started(self, fields: Mapping[str, Any]) -> bool:
        """Whether the job object ``fields`` may be this call's job (see the module docstring).

        A job object without a method cannot be judged and is taken as this call's.
        """
        other = JobCall.listed(fields)
        if other is None:
            return True
        return (
            other.method == self.method
            and app_name_of(other.method, other.arguments)
            == app_name_of(self.method, self.arguments)
            and all(map(_agrees, self.arguments, other.arguments))
        )

    def __str__(self) -> str:
        app = app_name_of(self.method, self.arguments)
        return f"{self.method} ({app})" if app else self.method


def _agrees(sent: Any, listed: Any) -> bool:
    """Whether a listed top-level argument may be the one sent (containers are not compared)."""
    if listed == REDACTED or not isinstance(sent, _PLAIN) or not isinstance(listed, _PLAIN):
        return True
    return bool(sent == listed)
