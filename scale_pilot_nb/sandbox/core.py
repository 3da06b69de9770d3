"""The server's own ``core.*`` methods: ping, options, methods list, jobs and subscriptions.

They live beside the wire layer rather than in the NAS model because they are about the
connection (its options, its subscriptions) and the job machinery, not about the NAS.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import uuid
from typing import Any

from scale_pilot_nb.sandbox.common import InstanceNotFound
from scale_pilot_nb.sandbox.contract import (
    MethodSpec,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)
from scale_pilot_nb.sandbox.dispatch import MethodNotFound, ServerCall, prepare, submit_job
from scale_pilot_nb.sandbox.wire import wire_reason

#: Options ``core.set_options`` understands on 25.10.
OPTION_NAMES = ("legacy_jobs", "private_methods", "py_exceptions")


def ping(call: ServerCall) -> str:
    """``core.ping()`` → ``"pong"``."""
    return "pong"


def set_options(call: ServerCall, options: Any) -> dict[str, Any] | None:
    """``core.set_options(options)``: 25.04 returns null; 25.10 returns the resulting options.

    25.04 knows only ``py_exceptions`` (other keys are ignored, so jobs stay legacy).
    """
    if not isinstance(options, dict):
        raise SandboxValidationErrors(
            [("core.set_options.options", "Input should be a valid dictionary", errno.EINVAL)]
        )
    session = call.session
    known = OPTION_NAMES if version_at_least(session.server.version, "25.10") else OPTION_NAMES[2:]
    for name in known:
        if name in options:
            session.options[name] = bool(options[name])
    if not version_at_least(session.server.version, "25.10"):
        return None
    return {name: session.options[name] for name in OPTION_NAMES}


def get_methods(call: ServerCall, service: Any = None, target: Any = "WS") -> dict[str, Any]:
    """``core.get_methods(service=None, target="WS")``: what this session may call."""
    session = call.session
    result: dict[str, Any] = {}
    for spec in session.server.methods_for(session.api_version):
        if service is not None and spec.name.rpartition(".")[0] != service:
            continue
        if not session.authenticated and not spec.no_auth:
            continue
        result[spec.name] = {
            "description": inspect.getdoc(spec.func),
            "cli_description": None,
            "examples": {},
            "item_method": False,
            "no_auth_required": spec.no_auth,
            "filterable": spec.name.endswith(".query") or spec.name == "core.get_jobs",
            "filterable_schema": None,
            "pass_application": False,
            "require_websocket": False,
            "job": spec.job,
            "downloadable": False,
            "uploadable": False,
            "check_pipes": True,
            "roles": ["FULL_ADMIN"],
            "accepts": None,
            "returns": None,
        }
    return result


def get_jobs(call: ServerCall, filters: Any = None, options: Any = None) -> Any:
    """``core.get_jobs(filters, options)``: a standard query over all jobs."""
    return call.session.server.jobs.query(filters, options)


def job_abort(call: ServerCall, job_id: Any) -> None:
    """``core.job_abort(id)`` → null, for any job state and whatever its ``abortable`` says.

    What an abort does depends on the job's state (see :mod:`~scale_pilot_nb.sandbox.jobs`).

    Raises:
        InstanceNotFound: no job has that id.
    """
    if not call.session.server.jobs.abort(job_id):
        raise InstanceNotFound(f"Job with id {job_id} does not exist")


def subscribe(call: ServerCall, name: Any) -> str:
    """``core.subscribe(name)`` → a new subscription id."""
    if not isinstance(name, str) or not name:
        raise SandboxCallError(errno.EACCES, "Not authorized")
    sub_id = str(uuid.uuid4())
    call.session.subscribe(sub_id, name)
    return sub_id


async def unsubscribe(call: ServerCall, sub_id: Any) -> None:
    """``core.unsubscribe(id)`` → null (after ``notify_unsubscribed`` for an event source)."""
    if isinstance(sub_id, str):
        await call.session.unsubscribe(sub_id)


async def bulk(
    call: ServerCall, method: Any, params: Any, description: Any = None
) -> list[dict[str, Any]]:
    """``core.bulk(method, [[args], …])``: one entry per call; the job succeeds regardless."""
    if not isinstance(method, str) or not isinstance(params, list):
        raise SandboxValidationErrors(
            [("core.bulk", "Expected a method name and a list of argument lists", errno.EINVAL)]
        )
    session, results = call.session, []
    for index, args in enumerate(params):
        entry: dict[str, Any] = {"job_id": None, "result": None, "error": None}
        try:
            args = args if isinstance(args, list) else [args]
            spec, first, args = prepare(session, method, args)
            if spec.job:
                job = submit_job(session, spec, first, args, None)
                entry["job_id"] = job.id
                entry["result"] = await asyncio.shield(job.finished)
            else:
                value = spec.func(first, *args)
                entry["result"] = await value if inspect.isawaitable(value) else value
        except SandboxCallError as exc:
            entry["error"] = wire_reason(exc)
        except MethodNotFound as exc:
            entry["error"] = f"[ENOMETHOD] Method {exc.method!r} not found"
        results.append(entry)
        if call.ctx.job is not None:
            call.ctx.job.set_progress(100 * (index + 1) // max(1, len(params)))
    return results


def core_methods(version: str) -> dict[str, MethodSpec]:
    """The ``core.*`` methods for a server of ``version`` (``core.ping`` is no-auth on 25.10)."""
    table = [
        MethodSpec("core.ping", ping, no_auth=version_at_least(version, "25.10")),
        MethodSpec("core.set_options", set_options, no_auth=True, min_version="25.04"),
        MethodSpec("core.get_methods", get_methods),
        MethodSpec("core.get_jobs", get_jobs),
        MethodSpec("core.job_abort", job_abort),
        MethodSpec("core.subscribe", subscribe),
        MethodSpec("core.unsubscribe", unsubscribe),
        MethodSpec("core.bulk", bulk, job=True, lock=lambda params: f"bulk:{params[0]}"),
    ]
    return {spec.name: spec for spec in table}
