"""Why an app did not come up: per-service states, the failing container's last lines, a hint.

TrueNAS reports one app state; a deploy that ends CRASHED or stays DEPLOYING tells the user
little on its own. When waiting for RUNNING fails, :func:`explain` looks at the app's
containers, reads the last log lines of the one that failed (through
``app.container_log_follow``, the only log source TrueNAS has) and guesses the usual cause
from them: a host port already in use, an image that cannot be pulled, a healthcheck that
never passes, or a permission problem on a bind path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from scale_pilot_nb.errors import CallTimeoutError, JobFailedError, TrueNASError
from scale_pilot_nb.manager.history import compose_images
from scale_pilot_nb.records import App, AppState
from scale_pilot_nb.records._base import Record

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = [
    "LOG_TAIL",
    "AppCrashedError",
    "AppNotReadyError",
    "Diagnosis",
    "add_up_failure_hint",
    "diagnose",
    "diagnosis",
    "explain",
    "service_states",
    "shown_state",
]

#: Log lines of the failing container put into the error.
LOG_TAIL = 20

#: (pattern in the log or job error, hint) — the first match wins.
_CAUSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"address already in use|port is already allocated|bind: .*in use", re.I),
        "A host port is already in use: pick another one (pilot.used_ports() lists them).",
    ),
    (
        re.compile(
            r"manifest unknown|manifest for .* not found|pull access denied|not found: "
            r"manifest|failed 'pull' action",
            re.I,
        ),
        "The image cannot be pulled: check its name and tag (and registry credentials).",
    ),
    (
        re.compile(r"permission denied|operation not permitted|read-only file system", re.I),
        "Permission problem on a bind path: check the dataset's ACL / owner matches the "
        "container's user (PUID/PGID).",
    ),
    (
        re.compile(r"is not set|required setting|missing (?:required )?(?:env|variable)", re.I),
        "A required setting is missing: check the service's environment.",
    ),
)
_UNHEALTHY_HINT = (
    "The healthcheck never passes (TrueNAS shows unhealthy containers as starting): check the "
    "healthcheck command and what the service logs."
)
_DEFAULT_HINT = "Look at the full logs: pilot.logs(name) or `scale-compose logs NAME`."


class AppCrashedError(JobFailedError):
    """The app CRASHED while (or after) being deployed.

    Attributes:
        app_name: the app.
        services: service -> container state when it was seen crashed.
        failing_service: the service whose container crashed (None if unknown).
        log_tail: the last lines that container logged.
    """

    def __init__(
        self,
        message: str,
        *,
        app_name: str,
        services: Mapping[str, str],
        failing_service: str | None,
        log_tail: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(message, state="CRASHED", **kwargs)
        self.app_name = app_name
        self.services = dict(services)
        self.failing_service = failing_service
        self.log_tail = list(log_tail)

    def __str__(self) -> str:
        return _with_tail(super().__str__(), self.failing_service, self.log_tail)


class AppNotReadyError(CallTimeoutError):
    """The app did not reach the wanted state in time (its job went on, or it stayed DEPLOYING).

    The message names the app's state, each service's container state (``starting`` is a
    container not healthy yet) and the TrueNAS job, which goes on on the NAS.

    Attributes:
        app_name: the app.
        wanted: the state waited for (``RUNNING``, ``STOPPED``).
        app_state: the app's state when the time ran out (None if it could not be read).
        services: service -> container state when the time ran out.
        failing_service: the first service still not running (None if none is known).
        log_tail: the last lines that container logged.
        job_id: the TrueNAS job of the change (inherited attribute), None if none ran.
    """

    def __init__(
        self,
        message: str,
        *,
        app_name: str,
        services: Mapping[str, str],
        failing_service: str | None,
        log_tail: Sequence[str],
        wanted: str = "RUNNING",
        app_state: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.app_name = app_name
        self.wanted = wanted
        self.app_state = app_state
        self.services = dict(services)
        self.failing_service = failing_service
        self.log_tail = list(log_tail)

    def __str__(self) -> str:
        return _with_tail(super().__str__(), self.failing_service, self.log_tail)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(
            app_name=self.app_name,
            wanted=self.wanted,
            app_state=self.app_state,
            services=self.services,
            failing_service=self.failing_service,
        )
        return data


def _with_tail(text: str, service: str | None, tail: Sequence[str]) -> str:
    if not tail:
        return text
    lines = "\n".join(f"    {line}" for line in tail)
    return f"{text}\n  last lines of {service}:\n{lines}"


def service_states(app: App) -> dict[str, str]:
    """Service -> container state (the worst one when a service has several containers)."""
    order = ["crashed", "created", "starting", "unknown", "exited", "running"]
    states: dict[str, str] = {}
    for container in app.containers:
        state = container.state.value
        old = states.get(container.service_name)
        if old is None or order.index(state) < order.index(old):
            states[container.service_name] = state
    return states


def diagnose(lines: Sequence[str], *, unhealthy: bool = False) -> str:
    """The most likely cause's hint, from log (or job error) lines."""
    text = "\n".join(lines)
    for pattern, hint in _CAUSES:
        if pattern.search(text):
            return hint
    return _UNHEALTHY_HINT if unhealthy else _DEFAULT_HINT


def _failing(states: Mapping[str, str]) -> tuple[str | None, bool]:
    """The service to blame and whether it is a never-healthy (``starting``) one."""
    for wanted in ("crashed", "created", "starting"):
        for service, state in states.items():
            if state == wanted:
                return service, wanted == "starting"
    return None, False


async def _tail(manager: ManagerPort, name: str, service: str | None) -> list[str]:
    if service is None:
        return []
    try:
        return [line.data async for line in manager.logs(name, service, tail=LOG_TAIL)]
    except TrueNASError:
        return []  # the app went away or stopped meanwhile: explain without its logs


@dataclass(frozen=True, repr=False)
class Diagnosis(Record):
    """Why an app is not RUNNING, as far as its containers tell.

    Attributes:
        services: service -> container state (``starting`` is a container not healthy yet).
        failing_service: the service to blame (None if none is crashed, created or starting).
        log_tail: the last lines that service's container logged.
        hint: the most likely cause, guessed from those lines.
    """

    services: Mapping[str, str] = field(hash=False)
    failing_service: str | None
    log_tail: tuple[str, ...]
    hint: str


async def diagnosis(manager: ManagerPort, app: App) -> Diagnosis:
    """Look at ``app``'s containers: the failing service, its last log lines and a hint."""
    states = service_states(app)
    service, unhealthy = _failing(states)
    tail = await _tail(manager, app.name, service)
    return Diagnosis(states, service, tuple(tail), diagnose(tail, unhealthy=unhealthy))


async def explain(
    manager: ManagerPort,
    name: str,
    error: JobFailedError | CallTimeoutError,
    *,
    wanted: AppState = AppState.RUNNING,
    timeout: float | None = None,
    job: tuple[int, str] | None = None,
    job_ended: bool = True,
) -> TrueNASError:
    """Turn a failed or timed-out change into an error naming the services, logs and a hint.

    Args:
        error: what the job or the wait raised.
        wanted: the state the change waited for.
        timeout: the change's time budget, for the message.
        job: ``(id, method)`` of the change's last job (still running when its wait timed out).
        job_ended: False when the time ran out before that job ended.

    Returns ``error`` itself when the app no longer exists (nothing more to say).
    """
    entry = await manager.find_app(name)
    if entry is None:
        return error
    app = App.from_api(entry)
    found = await diagnosis(manager, app)
    states, service = dict(found.services), found.failing_service
    summary = ", ".join(f"{svc}: {shown_state(state)}" for svc, state in sorted(states.items()))
    details: dict[str, Any] = {
        "app_name": name,
        "services": states,
        "failing_service": service,
        "log_tail": list(found.log_tail),
        "hint": found.hint,
        "job_id": job[0] if job else error.job_id,
    }
    if isinstance(error, JobFailedError) or (
        wanted == AppState.RUNNING and app.state == AppState.CRASHED
    ):
        blame = f"; {service} crashed" if service else ""
        return AppCrashedError(
            f"App {name!r} crashed{blame} (containers: {summary or 'none'})", **details
        )
    within = f" within {timeout:g} s" if timeout is not None else ""
    if job_ended is False and job is not None:  # the time ran out during the job itself
        parts = [
            f"App {name!r}: job {job[0]} ({job[1]}) did not end{within}; it goes on on the "
            f"NAS; the app is {app.state.value}"
        ]
    else:
        parts = [f"App {name!r} did not become {wanted.value}{within}: it is {app.state.value}"]
        if service and wanted == AppState.RUNNING:
            parts.append(f"{service} is still {shown_state(states[service])}")
        if job is not None:
            parts.append(f"job {job[0]} ({job[1]}) goes on on the NAS")
    message = "; ".join(parts) + f" (containers: {summary or 'none'})"
    return AppNotReadyError(message, wanted=wanted.value, app_state=app.state.value, **details)


def shown_state(state: str) -> str:
    """A container state as a user reads it: TrueNAS calls an unhealthy container starting."""
    return "starting (not healthy yet)" if state == "starting" else state


async def add_up_failure_hint(
    manager: ManagerPort, error: JobFailedError, payload: Mapping[str, Any]
) -> None:
    """Give a failed create/update job a hint (in place) when ``docker compose up`` failed.

    TrueNAS only says "Failed 'up' action … check /var/log/app_lifecycle.log". An image the
    compose names that is still not on the NAS afterwards could not be pulled; otherwise the
    usual cause is a host port taken meanwhile or a missing bind path.
    """
    if "Failed 'up' action" not in error.message:
        return
    images = compose_images(_payload_compose(payload))
    try:
        listed = await manager.client.call("app.image.query")
    except TrueNASError:
        return  # the caller re-raises the job's own error; a failed extra look must not hide it
    present = {tag for image in listed for tag in image.get("repo_tags") or []}
    missing = [image for image in images if image not in present]
    if missing:
        error.hint = (
            f"Image(s) {', '.join(missing)} could not be pulled: check the name and tag "
            "(and the registry's credentials)."
        )
    else:
        error.hint = (
            "docker compose up failed: a host port may be in use (pilot.used_ports()) or a bind "
            "path missing; the NAS logs it in /var/log/app_lifecycle.log."
        )


def _payload_compose(payload: Mapping[str, Any]) -> Any:
    """The compose dict of an ``app.create`` / ``app.update`` payload (None for catalog apps)."""
    compose = payload.get("custom_compose_config")
    if compose:
        return compose
    text = payload.get("custom_compose_config_string")
    if not isinstance(text, str) or not text:
        return None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None
