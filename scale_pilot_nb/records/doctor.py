"""What ``doctor`` found: one row per check, and the facts a bug report needs.

Built by :mod:`scale_pilot_nb.manager.doctor`; shown as a table by the CLI, as a card in a notebook
(:mod:`scale_pilot_nb.notebook.html`), and as plain data by :meth:`DoctorReport.to_dict`.
Nothing in it is secret: the endpoint carries no credentials and the auth row names the
method, never the key or the password.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from scale_pilot_nb.records._base import Record, WireEnum
from scale_pilot_nb.records._types import JSONDict

__all__ = ["FEATURE_NAMES", "CheckStatus", "DoctorCheck", "DoctorReport"]

#: Keys of :attr:`DoctorReport.features` -> how they are shown.
FEATURE_NAMES = {
    "json_rpc": "JSON-RPC 2.0 (/api/current)",
    "new_style_jobs": "new-style jobs",
    "backups": "backups/restore",
    "compose_check_at_create": "compose check at create",
    "ip_choices": "app.ip_choices",
}


class CheckStatus(WireEnum):
    """How one check went: ``ok``, ``warn`` (works, but look at it), ``fail`` or ``unknown``
    (the check could not tell, or was skipped)."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    UNKNOWN = "unknown"


@dataclass(frozen=True, repr=False)
class DoctorCheck(Record):
    """One row of a doctor report.

    Attributes:
        name: the check (``release``, ``tls``, ``create`` …).
        status: ok / warn / fail / unknown.
        detail: what was found, in one line.
        seconds: how long the check took (None when it made no call).
    """

    name: str
    status: CheckStatus
    detail: str = ""
    seconds: float | None = None

    @property
    def failed(self) -> bool:
        """True when the check failed."""
        return self.status is CheckStatus.FAIL

    def line(self) -> str:
        """``name  status  seconds  detail`` as one plain line."""
        took = "" if self.seconds is None else f"{self.seconds:.2f} s"
        return f"{self.name:<11} {self.status.value:<7} {took:>8}  {self.detail}".rstrip()

    def __repr__(self) -> str:
        return f"DoctorCheck({self.name!r}, {self.status.value}, {self.detail!r})"


@dataclass(frozen=True, repr=False)
class DoctorReport(Record):
    """Everything ``doctor`` checked on one NAS.

    Attributes:
        checks: the rows, in the order they ran.
        release: the TrueNAS version as the NAS reports it (None if it could not be read).
        endpoint: the WebSocket URL used, without credentials.
        features: SDK feature -> supported on this NAS (None: could not tell).
        write: whether the write checks (the ``scale-pilot-selftest`` app) ran.
        seconds: how long the whole run took.
    """

    checks: tuple[DoctorCheck, ...] = ()
    release: str | None = None
    endpoint: str | None = None
    features: Mapping[str, bool | None] = field(default_factory=dict, hash=False)
    write: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings and unknowns do not count)."""
        return not self.failed

    @property
    def failed(self) -> list[DoctorCheck]:
        """The checks that failed."""
        return [check for check in self.checks if check.failed]

    def counts(self) -> dict[str, int]:
        """How many checks ended in each status (every status present, in order)."""
        return {s.value: sum(c.status is s for c in self.checks) for s in CheckStatus}

    def __getitem__(self, name: str) -> DoctorCheck:
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(name)

    def __iter__(self) -> Iterator[DoctorCheck]:
        return iter(self.checks)

    def __len__(self) -> int:
        return len(self.checks)

    def to_dict(self) -> JSONDict:
        """Plain data: the fields, plus ``ok`` and ``counts``."""
        return {**super().to_dict(), "ok": self.ok, "counts": self.counts()}

    def summary(self) -> str:
        """``ok: 8 ok, 1 warn`` / ``FAILED: …``: the verdict in one line."""
        counts = ", ".join(f"{n} {s}" for s, n in self.counts().items() if n)
        return f"{'ok' if self.ok else 'FAILED'}: {counts or 'no checks'}"

    def __str__(self) -> str:
        head = f"TrueNAS {self.release or '?'} at {self.endpoint or '?'}: {self.summary()}"
        return "\n".join([head, *(check.line() for check in self.checks)])

    def __repr__(self) -> str:
        return (
            f"DoctorReport(release={self.release!r}, endpoint={self.endpoint!r}, "
            f"write={self.write}, {self.summary()})"
        )
