"""Records for what an operation did: deploys and bulk lifecycle runs.

They report exactly what was and was not done, so a failed multi-app operation never leaves
the caller guessing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scale_pilot_nb.records.app import App


@dataclass(frozen=True)
class AppOutcome:
    """What one operation did to one app.

    Attributes:
        app_name: the app.
        action: ``created``, ``updated``, ``unchanged``, ``started``, ``stopped``, ``restarted``,
            ``redeployed``, ``deleted``, ``planned`` (dry run) or ``failed``.
        app: the app as the NAS reported it afterwards (None when deleted, failed or dry run).
        error: the error's plain-data form when ``action == "failed"``.
    """

    app_name: str
    action: str
    app: App | None = None
    error: Mapping[str, Any] | None = None

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
    """

    operation: str
    outcomes: tuple[AppOutcome, ...] = ()
    plans: Mapping[str, Any] = field(default_factory=dict, hash=False)
    findings: tuple[Mapping[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        """True when every app's operation succeeded."""
        return all(o.ok for o in self.outcomes)

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
        }

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view: a table of per-app outcomes."""
        from scale_pilot_nb.notebook.html import repr_html

        return repr_html(self)

    def __repr__(self) -> str:
        done = ", ".join(f"{o.app_name}:{o.action}" for o in self.outcomes)
        return f"<OperationResult {self.operation} ok={self.ok} [{done}]>"
