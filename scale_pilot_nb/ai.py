"""``AIHelper``: predictable dicts for agents and scripts; it never raises.

The seed's interface, kept verbatim::

    async with AIHelper() as helper:
        status = await helper.get_system_status()
        # {"connected": True, "app_count": 3, "running_apps": 2, "error": None}
        if status["connected"]:
            result = await helper.simple_deploy(compose_yaml, "app-name")
            # {"success": True, "message": "...", "action": "created"}
    validation = helper.validate_compose(yaml_content)   # {"valid": bool, "errors": [...], ...}

Failures come back as ``{"success": False, "error": "...", "hint": "...", "step": STEP}`` where
STEP is ``connection``, ``authentication``, ``validation``, ``deploy``, ``wait``, ``updates``,
``history`` or ``rollback``. No method raises (not even entering the context), and no result
ever contains an API key or password.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from typing import Any

from scale_pilot_nb.compose.report import ValidationReport
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.validate import ComposeSource, validate
from scale_pilot_nb.errors import (
    AuthenticationError,
    CallTimeoutError,
    ComposeError,
    ComposeInvalidError,
    ConfigError,
    ConnectionError,
    InsecureTransportError,
    JobFailedError,
    TrueNASError,
)
from scale_pilot_nb.manager.health import AppCrashedError, AppNotReadyError
from scale_pilot_nb.manager.history import SecretsRequiredError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.records import AppState
from scale_pilot_nb.rpc.lifetime import AsyncConnected

__all__ = ["AIHelper"]

Result = dict[str, Any]

#: ``app_operations`` actions and the past tense they report.
OPERATIONS = {
    "start": "started",
    "stop": "stopped",
    "restart": "restarted",
    "redeploy": "redeployed",
    "delete": "deleted",
}


class AIHelper(AsyncConnected):
    """Dict-in, dict-out access to one NAS (see the module docstring).

    Args:
        url, api_key, username, password, verify_ssl, ca_file, profile, allow_insecure: as for
            :func:`scale_pilot_nb.connect` (the environment and profile fill in the rest).
        sandbox: connect to a fresh embedded sandbox (demo seed) instead of a NAS.
        wait_timeout: seconds a deploy waits for the app to become RUNNING.
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        verify_ssl: bool | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        profile: str | None = None,
        allow_insecure: bool = False,
        sandbox: bool = False,
        wait_timeout: float = 300.0,
    ) -> None:
        self._connect_args: dict[str, Any] = {
            "url": url,
            "api_key": api_key,
            "username": username,
            "password": password,
            "verify_ssl": verify_ssl,
            "ca_file": ca_file,
            "profile": profile,
            "allow_insecure": allow_insecure,
        }
        self._use_sandbox = sandbox
        self._wait_timeout = wait_timeout
        self._sandbox: Any = None
        self._history_dir: str | None = None
        self._manager: TrueNASDockerManager | None = None
        self._failure: Result | None = None

    def __repr__(self) -> str:
        state = "connected" if self._manager else "not connected"
        return f"<AIHelper {state}>"

    async def connect(self) -> Result:
        """Connect and log in; returns ``{"success": bool, ...}`` and never raises."""
        if self._manager is not None:
            return {"success": True, "message": "Already connected"}
        try:
            manager = self._make_manager()
            await manager.connect()
        except Exception as exc:  # AIHelper is the one place that catches everything
            self._failure = self._failure_of(exc, "connection")
            await self._stop_sandbox()
            return self._failure
        self._manager, self._failure = manager, None
        return {"success": True, "message": "Connected"}

    async def close(self) -> None:
        """Close the connection (and any embedded sandbox); never raises."""
        manager, self._manager = self._manager, None
        if manager is not None:
            with contextlib.suppress(Exception):  # closing must not fail the caller
                await manager.close()
        await self._stop_sandbox()

    async def get_system_status(self) -> Result:
        """``{"connected", "app_count", "running_apps", "error"}`` (+ version, docker state)."""
        manager = self._manager
        if manager is None:
            error = (self._failure or {}).get("error", "Not connected")
            return {"connected": False, "app_count": 0, "running_apps": 0, "error": error}
        try:
            status = await manager.system_status()
        except Exception as exc:
            failure = self._failure_of(exc, "connection")
            return {
                "connected": False,
                "app_count": 0,
                "running_apps": 0,
                "error": failure["error"],
            }
        return {
            "connected": True,
            "app_count": status.app_count,
            "running_apps": status.running_apps,
            "error": None,
            "version": status.info.version,
            "docker": status.docker.state.value,
        }

    def validate_compose(
        self,
        compose: ComposeSource,
        name: str | None = None,
        *,
        mode: Mode = "compose",
        variables: Mapping[str, str] | None = None,
    ) -> Result:
        """Validate locally: ``{"valid": bool, "errors": [...], "warnings": [...], ...}``."""
        try:
            report: ValidationReport = validate(compose, name=name, mode=mode, variables=variables)
        except Exception as exc:
            return {**self._failure_of(exc, "validation"), "valid": False}
        return report.to_dict()

    async def simple_deploy(
        self,
        compose: ComposeSource,
        name: str,
        *,
        mode: Mode = "compose",
        variables: Mapping[str, str] | None = None,
        wait: bool = True,
    ) -> Result:
        """Validate, plan and deploy; ``{"success", "message", "action", ...}``.

        ``action`` is ``created``, ``updated`` or ``unchanged`` (an identical re-deploy).
        """
        manager = self._manager
        if manager is None:
            return self._not_connected()
        try:
            result = await manager.deploy(
                compose,
                name,
                mode=mode,
                variables=variables,
                wait=wait,
                timeout=self._wait_timeout,
            )
        except Exception as exc:
            return self._failure_of(exc, "deploy")
        outcome = result.outcomes[0]
        state = outcome.app.state.value if outcome.app else None
        return {
            "success": True,
            "message": f"App {name!r} {outcome.action}" + (f" ({state})" if state else ""),
            "action": outcome.action,
            "app_name": name,
            "state": state,
            "warnings": [f["message"] for f in result.findings if f.get("severity") == "warning"],
        }

    async def app_operations(self, action: str, name: str) -> Result:
        """Run ``start``/``stop``/``restart``/``redeploy``/``delete`` on app ``name``.

        ``delete`` keeps the app's volumes. Returns ``{"success", "message", "action", ...}``.
        """
        manager = self._manager
        if manager is None:
            return self._not_connected()
        if not isinstance(action, str) or action not in OPERATIONS:
            return {
                "success": False,
                "error": f"Unknown action {action!r:.60}",
                "hint": f"Use one of {', '.join(OPERATIONS)}.",
                "step": "validation",
            }
        try:
            state = await self._run_operation(manager, action, name)
        except Exception as exc:
            return self._failure_of(exc, "deploy")
        return {
            "success": True,
            "message": f"App {name!r} {OPERATIONS[action]}",
            "action": OPERATIONS[action],
            "app_name": name,
            "state": state,
        }

    async def updates(self) -> Result:
        """Apps with a newer image or a catalog upgrade: ``{"success", "updates": [...]}``.

        Each item: ``app``, ``image``, ``image_update``, ``catalog_upgrade``, ``version``,
        ``target_version``.
        """
        manager = self._manager
        if manager is None:
            return self._not_connected()
        try:
            rows = await manager.updates()
        except Exception as exc:
            return self._failure_of(exc, "updates")
        pending = [r for r in rows if r["image_update"] or r["catalog_upgrade"]]
        return {"success": True, "updates": pending, "count": len(pending)}

    async def history(self, name: str) -> Result:
        """Recorded revisions of ``name``, oldest first: ``{"success", "revisions": [...]}``.

        Each item: ``revision``, ``recorded_at`` (ISO 8601 in UTC, with its offset), ``action``
        (the change that followed), ``actor``, ``tool``, ``existed``, ``digests``, ``redacted``
        (secret names not stored).
        """
        manager = self._manager
        if manager is None:
            return self._not_connected()
        try:
            revisions = await manager.history(name)
        except Exception as exc:
            return self._failure_of(exc, "history")
        keys = ("revision", "recorded_at", "action", "actor", "tool", "digests", "redacted")
        items = [
            {k: v for k, v in r.to_dict().items() if k in keys} | {"existed": r.config is not None}
            for r in revisions
        ]
        return {"success": True, "app_name": name, "revisions": items}

    async def rollback(
        self, name: str, revision: int = -1, *, secrets: Mapping[str, str] | None = None
    ) -> Result:
        """Roll ``name`` back: custom apps to history ``revision``, catalog apps a version.

        Custom apps are redeployed with their images pinned to the digests recorded then;
        catalog apps go back to their previous version. A failure for secrets the history
        did not store lists them in ``missing``: pass them in ``secrets``.
        """
        manager = self._manager
        if manager is None:
            return self._not_connected()
        try:
            result = await manager.rollback(
                name, revision, secrets=secrets, timeout=self._wait_timeout
            )
        except Exception as exc:
            return self._failure_of(exc, "rollback")
        outcome = result.outcomes[0]
        state = outcome.app.state.value if outcome.app else None
        return {
            "success": True,
            "message": f"App {name!r} rolled back ({outcome.action})",
            "action": outcome.action,
            "app_name": name,
            "state": state,
        }

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    async def _run_operation(manager: TrueNASDockerManager, action: str, name: str) -> str | None:
        if action == "delete":
            await manager.delete_app(name)
            return None
        operations = {
            "start": manager.start_app,
            "stop": manager.stop_app,
            "restart": manager.restart_app,
            "redeploy": manager.redeploy_app,
        }
        result = await operations[action](name)
        return None if result.app is None else AppState(result.app.state).value

    def _make_manager(self) -> TrueNASDockerManager:
        if not self._use_sandbox:
            return TrueNASDockerManager(**self._connect_args, tool="ai")
        from scale_pilot_nb.pilot.embedded import start_embedded

        nas = start_embedded(tool="ai")
        self._sandbox, self._history_dir = nas.sandbox, str(nas.history_dir)
        return nas.manager

    async def _stop_sandbox(self) -> None:
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.stop()
        history, self._history_dir = self._history_dir, None
        if history is not None:
            shutil.rmtree(history, ignore_errors=True)

    def _not_connected(self) -> Result:
        failure = self._failure or {
            "success": False,
            "error": "Not connected",
            "hint": "Use `async with AIHelper() as helper:` or await helper.connect().",
            "step": "connection",
        }
        return dict(failure)

    def _failure_of(self, exc: BaseException, default_step: str) -> Result:
        """The dict for ``exc``: message, hint, the step that failed, and errno details."""
        result: Result = {
            "success": False,
            "error": _scrub(
                getattr(exc, "message", None) or str(exc) or type(exc).__name__, self._secrets()
            ),
            "hint": getattr(exc, "hint", None),
            "step": _step_of(exc, default_step),
            "error_type": type(exc).__name__,
        }
        if isinstance(exc, ComposeInvalidError):
            result["validation"] = exc.report.to_dict()
        if isinstance(exc, TrueNASError):
            result["errno"] = exc.errno
            result["errname"] = exc.errname
            if exc.job_id is not None:
                result["job_id"] = exc.job_id
            if getattr(exc, "field_errors", None):
                result["field_errors"] = [f.to_dict() for f in exc.field_errors]  # type: ignore[attr-defined]
        if isinstance(exc, SecretsRequiredError):
            result["missing"] = list(exc.missing)
        if isinstance(exc, AppCrashedError | AppNotReadyError):
            result["failing_service"] = exc.failing_service
            result["log_tail"] = [_scrub(line, self._secrets()) for line in exc.log_tail]
        return result

    def _secrets(self) -> list[str]:
        secrets = [self._connect_args.get("api_key"), self._connect_args.get("password")]
        if self._sandbox is not None:
            secrets += [self._sandbox.api_key, self._sandbox.password]
        return [s for s in secrets if isinstance(s, str) and s]


def _step_of(exc: BaseException, default: str) -> str:
    if isinstance(exc, AuthenticationError):
        return "authentication"
    if isinstance(exc, ConnectionError | ConfigError | InsecureTransportError):
        return "connection"
    if isinstance(exc, ComposeError):
        return "validation"
    if isinstance(exc, CallTimeoutError) or (
        isinstance(exc, JobFailedError) and exc.state == "CRASHED"
    ):
        return "wait"
    return default


def _scrub(text: str, secrets: list[str]) -> str:
    """Belt and braces: no known secret survives into a result, whatever the error said."""
    for secret in secrets:
        text = text.replace(secret, "********")
    return text
