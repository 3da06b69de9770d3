"""What the operation modules need of the manager, as a protocol rather than the class.

The operations (``deploy``, ``health``, ``updates``, ``backups``, ``exports``, ``doctor``,
``sync`` …) are called by :class:`~scale_pilot_nb.manager.TrueNASDockerManager` and call back
into it for a few things: the client, the settings, the revision recorder, app reads and the
create/update/stop/delete/deploy steps. Typing them against this protocol instead of the class
keeps the imports one-way (the manager imports the operations, never the reverse) and shows, in
one place, how much of the manager an operation may touch. Only the parameters the operations
pass are declared; the manager's methods accept more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from scale_pilot_nb.compose.plan import Plan
    from scale_pilot_nb.compose.report import ValidationReport
    from scale_pilot_nb.compose.validate import ComposeSource
    from scale_pilot_nb.config import ConnectionSettings
    from scale_pilot_nb.manager.history import Revision
    from scale_pilot_nb.manager.logs import LogLine
    from scale_pilot_nb.manager.recorder import Recorder
    from scale_pilot_nb.records import App, AppState
    from scale_pilot_nb.records.outcome import OperationResult
    from scale_pilot_nb.rpc import ProgressCallback
    from scale_pilot_nb.rpc.factory import TrueNASClient

__all__ = ["ManagerPort"]


class ManagerPort(Protocol):
    """The part of the manager an operation module may use."""

    settings: ConnectionSettings | None
    client: TrueNASClient
    recorder: Recorder | None

    async def connect(self) -> None: ...

    # -- reads -------------------------------------------------------------------------------

    async def list_apps(self, filters: Sequence[Any] | None = None) -> list[App]: ...

    async def query_apps(self, filters: Sequence[Any] | None = None) -> list[dict[str, Any]]: ...

    async def get_app(self, name: str) -> App: ...

    async def find_app(self, name: str) -> dict[str, Any] | None: ...

    async def app_config(self, name: str) -> dict[str, Any]: ...

    async def ip_choices(self) -> list[str] | None: ...

    async def ix_app_questions(self) -> list[dict[str, Any]] | None: ...

    async def path_exists(self, path: str) -> bool: ...

    async def used_ports(self) -> list[int]: ...

    def logs(
        self, name: str, service: str | None = None, *, tail: int | None = 100
    ) -> AsyncIterator[LogLine]: ...

    async def history(self, name: str | None = None) -> list[Revision]: ...

    # -- checks and changes ------------------------------------------------------------------

    async def validate(
        self, source: ComposeSource, name: str | None = None
    ) -> ValidationReport: ...

    async def plan(self, source: ComposeSource, name: str) -> Plan: ...

    async def deploy(
        self,
        source: ComposeSource,
        name: str,
        *,
        wait: bool = True,
        dry_run: bool = False,
        progress: ProgressCallback | None = None,
        timeout: float | None = ...,
    ) -> OperationResult: ...

    async def create_app(
        self,
        payload: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        on_job: Callable[[int], None] | None = None,
    ) -> App: ...

    async def update_app(
        self,
        name: str,
        changes: Mapping[str, Any],
        *,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        on_job: Callable[[int], None] | None = None,
    ) -> App: ...

    async def stop_app(
        self, name: str, *, wait: bool = True, timeout: float | None = ...
    ) -> OperationResult: ...

    async def delete_app(
        self, name: str, *, timeout: float | None = ..., progress: ProgressCallback | None = None
    ) -> OperationResult: ...

    async def wait_for_state(
        self,
        name: str,
        state: str | AppState = ...,
        *,
        timeout: float | None = ...,
        progress: ProgressCallback | None = None,
    ) -> App: ...

    async def run_job(
        self,
        method: str,
        *params: Any,
        app: str,
        progress: ProgressCallback | None = None,
        timeout: float | None = None,
        on_job: Callable[[int], None] | None = None,
    ) -> Any: ...

    async def record(self, action: str, name: str) -> Revision | None: ...
