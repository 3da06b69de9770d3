"""``docker compose up`` / ``down`` for one app, as the middleware's ``compose_action`` sees it.

``compose_up`` is synchronous and all-or-nothing: it either replaces the app's containers or
raises the exact ``Failed 'up' action…`` CallError (image pull failure, host port in use,
a compose document Docker refuses: :func:`~scale_pilot_nb.sandbox.compose_check.config_error`,
the check 25.10 already makes at create/update and 24.10/25.04 first meet here). The
DEPLOYING → RUNNING transition after a successful up is a background task on the running loop
(``Timing.deploy_delay``); without a running loop (seeding) containers settle at once.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib

from scale_pilot_nb.sandbox.compose_check import config_error
from scale_pilot_nb.sandbox.contract import SandboxCallError
from scale_pilot_nb.sandbox.state import App, Container, SandboxModel
from scale_pilot_nb.sandbox.workloads import (
    BAD_TAG,
    ComposeUpError,
    PortBinding,
    ServiceSpec,
    image_tag,
    parse_services,
    port_conflict,
)


def up_failed(app_name: str) -> SandboxCallError:
    """The CallError TrueNAS raises when ``docker compose up`` exits non-zero."""
    return SandboxCallError(
        errno.EFAULT,
        f"Failed 'up' action for '{app_name}' app. "
        "Please check /var/log/app_lifecycle.log for more details",
    )


def settled_state(app: App, spec: ServiceSpec) -> str:
    """Container state once started: crashed / exited / starting (unhealthy) / running."""
    if spec.exit_code is not None:
        return "crashed" if spec.exit_code else "exited"
    if spec.unhealthy or spec.name in app.unhealthy:
        return "starting"
    return "running"


def container_id(app_name: str, service: str, generation: int) -> str:
    """Deterministic 64-hex container id."""
    return hashlib.sha256(f"{app_name}/{service}/{generation}".encode()).hexdigest()


def _ports_elsewhere(model: SandboxModel, app_name: str) -> list[PortBinding]:
    return [
        binding
        for other in model.apps.values()
        if other.name != app_name
        for container in other.containers
        if container.settled not in ("exited", "crashed")
        for binding in container.ports
    ]


def plan_containers(
    model: SandboxModel, app: App, *, seeding: bool = False
) -> list[tuple[ServiceSpec, str]]:
    """Specs and settled states ``compose up`` would create, or raise ``up_failed``.

    ``seeding`` skips the host-port scan and the compose check (seeds are valid and conflict-free
    by construction, and the scan over every other app would make a 1,000-app seed quadratic).
    """
    if not seeding and config_error(app.compose) is not None:
        raise up_failed(app.name)
    taken = [] if seeding else _ports_elsewhere(model, app.name)
    try:
        specs = parse_services(app.name, app.compose, {b.host_port for b in taken})
    except ComposeUpError:
        raise up_failed(app.name) from None
    if any(not spec.built and image_tag(spec.image) == BAD_TAG for spec in specs):
        raise up_failed(app.name)
    wanted = [binding for spec in specs for binding in spec.ports]
    if port_conflict(wanted, taken) is not None:
        raise up_failed(app.name)
    return [(spec, settled_state(app, spec)) for spec in specs]


def compose_up(model: SandboxModel, app: App, *, pull: bool = False, seeding: bool = False) -> None:
    """Recreate every container of ``app`` (``up -d --force-recreate``); no event published.

    Args:
        model: the NAS.
        app: the app whose ``compose`` is started.
        pull: pull images even when present (``--pull=always``).
        seeding: building a seed: settle at once and trust the seed's ports.

    Raises:
        SandboxCallError: ``Failed 'up' action…``; the app's containers are then gone.
    """
    model.set_settling(app.name, None)
    try:
        planned = plan_containers(model, app, seeding=seeding)
    except SandboxCallError:
        app.containers = []
        raise
    app.generation += 1
    started = model.tick()
    delayed = not seeding and model.timing.deploy_delay > 0 and _loop_running()
    containers = []
    for spec, settled in planned:
        if pull or model.image_by_tag(spec.image) is None:
            model.store_image(spec.image)
        containers.append(
            Container(
                id=container_id(app.name, spec.name, app.generation),
                service=spec.name,
                image=spec.image,
                state="starting" if delayed else settled,
                settled=settled,
                ports=list(spec.ports),
                mounts=list(spec.mounts),
                started_at=started,
                exit_code=spec.exit_code,
                output=list(spec.output),
            )
        )
    app.containers = containers
    if delayed:
        model.set_settling(app.name, model.spawn(_settle_later(model, app, app.generation)))


def compose_down(model: SandboxModel, app: App) -> None:
    """Remove ``app``'s containers (``down --remove-orphans``); images and volumes stay."""
    model.set_settling(app.name, None)
    app.containers = []


async def _settle_later(model: SandboxModel, app: App, generation: int) -> None:
    await asyncio.sleep(model.timing.deploy_delay)
    if app.generation != generation or model.apps.get(app.name) is not app:
        return
    for container in app.containers:
        container.state = container.settled
    model.changed(app)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
