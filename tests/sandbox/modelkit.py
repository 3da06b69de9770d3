"""Drive the NAS model directly: a recording EventSink, a job handle and a call helper.

This is unit-testing the model through its seam (``contract.Registry``), not mocking the
network: the socket-level behaviour is covered by the server tests.
"""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass, field
from typing import Any

from scale_pilot_nb.sandbox.contract import CallContext, Registry, SandboxCallError
from scale_pilot_nb.sandbox.registry import build_registry
from scale_pilot_nb.sandbox.state import SandboxModel, Timing


@dataclass
class Event:
    collection: str
    msg: str
    id: Any
    fields: Any


@dataclass
class RecordingSink:
    events: list[Event] = field(default_factory=list)

    def publish(self, collection: str, msg: Any, *, id: Any, fields: Any = None) -> None:
        self.events.append(Event(collection, msg, id, fields))

    def states(self, app: str) -> list[str]:
        """``state`` of every app.query event for ``app`` (REMOVED as ``"REMOVED"``)."""
        return [
            "REMOVED" if e.msg == "removed" else e.fields["state"]
            for e in self.events
            if e.collection == "app.query" and e.id == app
        ]


@dataclass
class RecordingJob:
    id: int = 1
    progress: list[tuple[float | None, str | None]] = field(default_factory=list)

    def set_progress(self, percent: float | None, description: str | None = None) -> None:
        self.progress.append((percent, description))


@dataclass
class Nas:
    """A model plus its registry and sink."""

    model: SandboxModel
    registry: Registry
    sink: RecordingSink
    last_job: RecordingJob | None = None

    async def call(self, method: str, *params: Any) -> Any:
        """Call ``method`` as the server would (jobs get a job handle)."""
        spec = self.registry.methods[method]
        ctx = CallContext(username="root", version=self.model.version)
        if spec.call_check is not None:
            params = tuple(spec.call_check(ctx, list(params)))
        if spec.job:
            self.last_job = ctx.job = RecordingJob()
        result = spec.func(ctx, *params)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def fails(self, method: str, *params: Any) -> SandboxCallError:
        """The error ``method`` raises (fails the test when it succeeds)."""
        try:
            await self.call(method, *params)
        except SandboxCallError as exc:
            return exc
        raise AssertionError(f"{method} succeeded")

    async def app(self, name: str) -> dict[str, Any]:
        return await self.call("app.get_instance", name)  # type: ignore[no-any-return]

    async def idle(self) -> None:
        """Let background transitions scheduled with zero delay run."""
        for _ in range(3):
            await asyncio.sleep(0)


def nas(version: str = "25.10", seed: str | int = "empty", timing: Timing | None = None) -> Nas:
    sink = RecordingSink()
    model = SandboxModel(version, seed, events=sink, timing=timing or Timing())
    return Nas(model, build_registry(model), sink)


WHOAMI = 'services:\n  whoami:\n    image: traefik/whoami:v1.10\n    ports:\n      - "30080:80"\n'


def custom(name: str, compose: str = WHOAMI) -> dict[str, Any]:
    return {"custom_app": True, "app_name": name, "custom_compose_config_string": compose}
