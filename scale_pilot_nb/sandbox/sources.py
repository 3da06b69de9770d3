"""Event sources: ``app.stats`` and ``app.container_log_follow``.

Each is an async generator the server drives per subscription; raising ends the subscription
with an error (``notify_unsubscribed``), returning ends it cleanly. ``app.query`` and
``docker.state`` are plain collections published by the model, not sources.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import AsyncIterator
from typing import Any

from scale_pilot_nb.sandbox.common import get_app
from scale_pilot_nb.sandbox.contract import (
    CallContext,
    SandboxCallError,
    SandboxValidationErrors,
)
from scale_pilot_nb.sandbox.entries import app_state
from scale_pilot_nb.sandbox.state import App, Container, SandboxModel
from scale_pilot_nb.sandbox.telemetry import app_stats, history_length, log_line

#: How often a follower with nothing to send re-checks that its container still exists.
_IDLE_POLL = 0.1


def _invalid(attribute: str, message: str) -> SandboxValidationErrors:
    return SandboxValidationErrors([(attribute, message, errno.EINVAL)])


def _int_arg(arg: dict[str, Any], key: str, default: int | None, low: int) -> int | None:
    value = arg.get(key, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(key, "Input should be a valid integer")
    if value < low:
        raise _invalid(key, f"Input should be greater than or equal to {low}")
    return value


def _object_arg(arg: Any, allowed: set[str]) -> dict[str, Any]:
    if arg is None:
        return {}
    if not isinstance(arg, dict):
        raise _invalid("event", "Input should be a valid dictionary")
    for key in arg:
        if key not in allowed:
            raise _invalid(key, "Extra inputs are not permitted")
    return arg


async def stats(model: SandboxModel, ctx: CallContext, arg: Any) -> AsyncIterator[Any]:
    """``app.stats[:{"interval": N}]``: every N s (N ≥ 2) a list with one item per app."""
    interval = _int_arg(_object_arg(arg, {"interval"}), "interval", 2, 2) or 2
    if model.apps_pool is None:
        raise SandboxCallError(errno.EFAULT, "Apps are not available")
    tick = 0
    while True:
        await asyncio.sleep(interval * model.timing.stats_scale)
        if model.apps_pool is None:
            return
        tick += 1
        yield [app_stats(model, app, tick) for app in model.apps.values()]


def _find_container(app: App, container_id: str) -> Container | None:
    return next((c for c in app.containers if c.id == container_id), None)


async def container_log_follow(
    model: SandboxModel, ctx: CallContext, arg: Any
) -> AsyncIterator[Any]:
    """``app.container_log_follow``: the last ``tail_lines`` lines, then new ones as logged.

    New lines arrive at ``SandboxModel.log_rate`` per second; the source ends when the
    container goes away (app stopped or redeployed) and right after the history of a
    container that has exited.
    """
    args = _object_arg(arg, {"app_name", "container_id", "tail_lines"})
    for key in ("app_name", "container_id"):
        if key not in args:
            raise _invalid(key, "Field required")
        if not isinstance(args[key], str):
            raise _invalid(key, "Input should be a valid string")
    tail = _int_arg(args, "tail_lines", 500, 1)
    app = get_app(model, args["app_name"])
    if app_state(app) not in ("CRASHED", "RUNNING", "DEPLOYING"):
        raise SandboxCallError(errno.EFAULT, f"Unable to retrieve logs of stopped '{app.name}' app")
    container = _find_container(app, args["container_id"])
    if container is None:
        raise SandboxCallError(
            errno.ENOENT,
            f'Container "{args["container_id"]}" not found in app "{app.name}"',
        )
    logged = history_length(container)
    start = 0 if tail is None else max(0, logged - tail)
    for index in range(start, logged):
        yield log_line(container, index)
    if container.settled in ("crashed", "exited"):
        return
    while _find_container(app, container.id) is container and model.apps.get(app.name) is app:
        if model.log_rate <= 0:
            await asyncio.sleep(_IDLE_POLL)
            continue
        await asyncio.sleep(1 / model.log_rate)
        if _find_container(app, container.id) is not container:
            return
        yield log_line(container, logged)
        logged += 1
