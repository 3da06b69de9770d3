"""Records for what an operation did: deploys and bulk lifecycle runs.

They report exactly what was and was not done, so a failed multi-app operation never leaves
the caller guessing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records._base import iso_timestamp
from scale_pilot_nb.records.app import App


@dataclass(frozen=True)
class AppOutcome:
    """What one operation did to one app.

    Attributes:
        app_name: the app.
        action: ``created``, ``updated``, ``unchanged`` (already so: nothing was done),
            ``started``, ``stopped``, ``restarted``, ``redeployed``, ``deleted``, ``images
            updated``, ``upgraded``, ``rolled back``, ``restored``, ``planned`` (dry run) or
            ``failed``.
        app: the app as the NAS reported it afterwards (None when deleted, failed or dry run).
        error: the error's plain-data form when ``action == "failed"``.
        job_ids: the TrueNAS jobs the operation ran for this app, in order (none when it was
            already in the wanted state).
        seconds: how long this app's part took (job and wait for its state).
    """

    app_name: str
    action: str
    app: App | None = None
    error: Mapping[str, Any] | None = None
    job_ids: tuple[int, ...] = ()
    seconds: float | None = None

    @classmethod
    def failure(cls, app_name: str, error: TrueNASError) -> AppOutcome:
        """The outcome of an app whose part failed with ``error`` (its job named, if any)."""
        job_ids = () if error.job_id is None else (error.job_id,)
        return cls(app_name, "failed", error=error.to_dict(), job_ids=job_ids)

    @property
    def ok(self) -> bool:
        """True unless the operation failed for this app."""
        return self.action != "failed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "app_name": self.app_name,
            "action": self.action,
            "ok": self.ok,
            "state": self.app.state.value if self.app else None,
            "error": dict(self.error) if self.error else None,
            "job_ids": list(self.job_ids),
            "seconds": None if self.seconds is None else round(self.seconds, 3),
        }

    def __repr__(self) -> str:
        state = f" state={self.app.state.value}" if self.app else ""
        error = f" error={self.error.get('message')!r}" if self.error else ""
        return f"<AppOutcome {self.app_name!r} {self.action}{state}{error}>"


@dataclass(frozen=True)
class OperationResult:
    """The outcomes of one operation over one or several apps, in the order they ran.

    Attributes:
        operation: ``deploy``, ``start``, ``stop`` …
        outcomes: one per app.
        plans: for deploys, the plan of each app (``DeployPlan``), by app name.
        findings: for deploys, the validation/conversion findings (plain data).
        jobs: TrueNAS jobs of the operation that belong to no one app (``docker.backup``).
        started_at, finished_at: when the operation began and ended (timezone-aware, UTC).
        warnings: things the caller should know although nothing failed.
        details: what an operation produced besides app states (``backup``: its name;
            ``upgrade``: the upgrade summary).
    """

    operation: str
    outcomes: tuple[AppOutcome, ...] = ()
    plans: Mapping[str, Any] = field(default_factory=dict, hash=False)
    findings: tuple[Mapping[str, Any], ...] = ()
    jobs: tuple[int, ...] = ()
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    warnings: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def ok(self) -> bool:
        """True when every app's operation succeeded."""
        return all(o.ok for o in self.outcomes)

    @property
    def app(self) -> App | None:
        """The app after the operation, when it acted on one app (None for several)."""
        return self.outcomes[0].app if len(self.outcomes) == 1 else None

    @property
    def job_ids(self) -> list[int]:
        """Every TrueNAS job the operation ran: its own, then app by app."""
        return [*self.jobs, *(job_id for outcome in self.outcomes for job_id in outcome.job_ids)]

    @property
    def seconds(self) -> float | None:
        """How long the whole operation took."""
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def failed(self) -> list[AppOutcome]:
        """The outcomes that failed."""
        return [o for o in self.outcomes if not o.ok]

    def __getitem__(self, app_name: str) -> AppOutcome:
        for outcome in self.outcomes:
            if outcome.app_name == app_name:
                return outcome
        raise KeyError(app_name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "ok": self.ok,
            "outcomes": [o.to_dict() for o in self.outcomes],
            "plans": {name: plan.to_dict() for name, plan in self.plans.items()},
            "findings": [dict(f) for f in self.findings],
            "job_ids": self.job_ids,
            "started_at": iso_timestamp(self.started_at),
            "finished_at": iso_timestamp(self.finished_at),
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "warnings": list(self.warnings),
            "details": _plain(self.details),
        }

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view: a table of per-app outcomes."""
        from scale_pilot_nb.notebook.html import repr_html

        return repr_html(self)

    def __repr__(self) -> str:
        done = ", ".join(f"{o.app_name}:{o.action}" for o in self.outcomes)
        return f"<OperationResult {self.operation} ok={self.ok} [{done}]>"


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` as JSON-ready data (records by their own ``to_dict``)."""
    return {
        key: value.to_dict() if hasattr(value, "to_dict") else value
        for key, value in details.items()
    }
