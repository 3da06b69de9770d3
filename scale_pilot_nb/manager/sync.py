"""Stacks from a folder: one compose file per app, planned and applied together.

Like Dockge's ``/opt/stacks`` or Komodo's resource sync, a folder (often a git checkout) is
the desired state of the NAS's custom apps::

    stacks/
      web/compose.yaml        → app "web" (also compose.yml, docker-compose.y(a)ml)
      db.yml                  → app "db"  (also NAME.yaml)

:func:`plan_sync` validates every stack against the NAS and plans each with the manager's own
``validate`` and ``plan``; :func:`apply_sync` deploys the stacks that changed with the
manager's ``deploy`` and, only with ``prune``, deletes the orphans (volumes kept).

Which apps the folder manages: **every custom app** (``custom_app``) on the NAS. A custom app
with no file is an *orphan*: always listed, so drift is never hidden, deleted only with
``prune``. Catalog apps (ix-app included) are never listed or touched: they are not compose
stacks. So keep every custom app in the folder, or do not prune.

Any invalid stack (bad name, two files for one name, validation errors, a name taken by a
catalog app) makes :func:`apply_sync` refuse to change anything unless ``skip_invalid``: a
folder is one desired state, a half-applied one is drift nobody asked for, and an invalid file
is often a half-finished edit or a merge conflict that a scheduled job must not act on.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from scale_pilot_nb.compose.rules_truenas import app_name_problem
from scale_pilot_nb.errors import ArgumentError, ComposeError, TrueNASError
from scale_pilot_nb.manager.changes import now
from scale_pilot_nb.manager.waiting import DEFAULT_TIMEOUT, check_timeout
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult

if TYPE_CHECKING:
    import pandas as pd

    from scale_pilot_nb.compose.plan import DeployPlan
    from scale_pilot_nb.compose.report import ValidationReport
    from scale_pilot_nb.manager.port import ManagerPort
    from scale_pilot_nb.rpc import ProgressCallback

__all__ = [
    "COMPOSE_FILE_NAMES",
    "Stack",
    "SyncAction",
    "SyncEntry",
    "SyncPlan",
    "apply_sync",
    "discover_stacks",
    "plan_sync",
]

#: The file of a stack folder ``DIR/NAME/``, as ``docker compose`` looks for it.
COMPOSE_FILE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
#: A stack file right in ``DIR`` is ``NAME`` plus one of these.
STACK_FILE_SUFFIXES = (".yaml", ".yml")

SyncAction = Literal["create", "update", "noop", "orphan", "invalid"]
"""What a sync does to one app: deploy it new, update it, nothing, (with prune) delete it, or
nothing because its stack is invalid."""


@dataclass(frozen=True)
class Stack:
    """One app of the folder: its name and every file that claims it (one when well-formed)."""

    name: str
    files: tuple[Path, ...]

    @property
    def problem(self) -> str | None:
        """Why this stack cannot be planned before reading it: a bad name or two files."""
        if len(self.files) > 1:
            return f"{len(self.files)} files for one app: {', '.join(map(str, self.files))}"
        return app_name_problem(self.name)


def discover_stacks(directory: str | os.PathLike[str]) -> list[Stack]:
    """The stacks in ``directory``, by name; hidden entries (``.git``) and folders without a
    compose file are not stacks.

    Raises:
        ArgumentError: ``directory`` is not a directory.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ArgumentError(f"{directory}: not a directory of stacks")
    found: dict[str, list[Path]] = {}
    for child in sorted(root.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            for file_name in COMPOSE_FILE_NAMES:
                if (child / file_name).is_file():
                    found.setdefault(child.name, []).append(child / file_name)
        elif child.suffix in STACK_FILE_SUFFIXES and child.is_file():
            found.setdefault(child.stem, []).append(child)
    return [Stack(name, tuple(files)) for name, files in sorted(found.items())]


@dataclass(frozen=True)
class SyncEntry:
    """One app of a sync plan.

    Attributes:
        name: the app.
        action: see :data:`SyncAction`.
        source: the stack file (None for an orphan).
        plan: the deploy plan of a valid stack (None for orphans and invalid stacks).
        report: the validation report of a stack that could be read (None for orphans).
        problem: why the stack is invalid besides its report's errors (name, two files, a
            catalog app of that name).
    """

    name: str
    action: SyncAction
    source: Path | None = None
    plan: DeployPlan | None = None
    report: ValidationReport | None = None
    problem: str | None = None

    @property
    def errors(self) -> list[str]:
        """Every reason this stack is invalid (empty for a valid stack or an orphan)."""
        found = [self.problem] if self.problem else []
        return found + ([finding.message for finding in self.report.errors] if self.report else [])

    @property
    def warnings(self) -> list[str]:
        """The validation warnings of the stack."""
        return [finding.message for finding in self.report.warnings] if self.report else []

    def summary(self) -> str:
        """One line on what happens to this app (for tables)."""
        if self.action == "invalid":
            return "; ".join(self.errors)
        if self.action == "orphan":
            return "no stack file: kept unless pruned"
        return self.plan.summary() if self.plan else ""

    def to_dict(self) -> dict[str, Any]:
        """Plain data (secret values never included: plans redact them)."""
        return {
            "name": self.name,
            "action": self.action,
            "source": None if self.source is None else str(self.source),
            "plan": self.plan.to_dict() if self.plan else None,
            "findings": [f.to_dict() for f in self.report.findings] if self.report else [],
            "errors": self.errors,
        }


@dataclass(frozen=True)
class SyncPlan:
    """What syncing a folder would do: one :class:`SyncEntry` per stack and per orphan.

    Attributes:
        directory: the folder of stacks.
        entries: stacks and orphans, by app name.
    """

    directory: Path
    entries: tuple[SyncEntry, ...]

    @property
    def valid(self) -> bool:
        """True when no stack is invalid (apply refuses an invalid plan unless told)."""
        return not self.invalid

    @property
    def invalid(self) -> list[SyncEntry]:
        """The stacks that cannot be applied."""
        return [entry for entry in self.entries if entry.action == "invalid"]

    @property
    def orphans(self) -> list[SyncEntry]:
        """Custom apps on the NAS with no stack file."""
        return [entry for entry in self.entries if entry.action == "orphan"]

    def pending(self, *, prune: bool = False) -> list[SyncEntry]:
        """The entries applying would act on: creates and updates, and orphans with ``prune``."""
        acting = ("create", "update", "orphan") if prune else ("create", "update")
        return [entry for entry in self.entries if entry.action in acting]

    @property
    def changes(self) -> bool:
        """True when applying (without prune) would create or update an app."""
        return bool(self.pending())

    def counts(self) -> dict[str, int]:
        """How many entries of each action (every action listed, zeros included)."""
        counted = Counter(entry.action for entry in self.entries)
        return {action: counted[action] for action in get_args(SyncAction)}

    def __iter__(self) -> Iterator[SyncEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, name: str) -> SyncEntry:
        """The entry of app ``name``.

        Raises:
            KeyError: no stack or orphan of that name.
        """
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: verdicts, counts by action and every entry."""
        return {
            "directory": str(self.directory),
            "valid": self.valid,
            "changes": self.changes,
            "counts": self.counts(),
            "entries": [entry.to_dict() for entry in self.entries],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per entry (see :func:`scale_pilot_nb.notebook.tables.sync_frame`)."""
        from scale_pilot_nb.notebook.tables import sync_frame

        return sync_frame(self)

    def summary(self) -> str:
        """One line: the folder and how many entries of each action."""
        counts = ", ".join(f"{n} {action}" for action, n in self.counts().items() if n)
        return f"sync plan of {self.directory}: {counts or 'no stacks and no custom apps'}"

    def __str__(self) -> str:
        lines = [self.summary()]
        lines += [f"  {e.action:8} {e.name}: {e.summary()}" for e in self.entries]
        return "\n".join(lines)

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view: the table of entries, then each change and error."""
        from scale_pilot_nb.notebook.html import repr_html

        return repr_html(self)

    def __repr__(self) -> str:
        return f"<SyncPlan {self.directory} valid={self.valid} {self.counts()}>"


async def plan_sync(manager: ManagerPort, directory: str | os.PathLike[str]) -> SyncPlan:
    """Validate and plan every stack of ``directory`` against the NAS; list the orphans.

    Nothing is changed. Each stack goes through the manager's ``validate`` (with the host
    ports other apps hold) and, when valid, ``plan``.

    Raises:
        ArgumentError: ``directory`` is not a directory.
    """
    stacks = discover_stacks(directory)
    entries = [await _plan_stack(manager, stack) for stack in stacks]
    named = {stack.name for stack in stacks}
    custom_apps = [e["name"] for e in await manager.query_apps() if e.get("custom_app")]
    entries += [SyncEntry(name, "orphan") for name in custom_apps if name not in named]
    ordered = tuple(sorted(entries, key=lambda entry: entry.name))
    return SyncPlan(Path(directory), ordered)


async def _plan_stack(manager: ManagerPort, stack: Stack) -> SyncEntry:
    source = stack.files[0]
    if stack.problem:
        return SyncEntry(stack.name, "invalid", source, problem=stack.problem)
    report = await manager.validate(source, stack.name)
    if not report.valid:
        return SyncEntry(stack.name, "invalid", source, report=report)
    try:
        (part,) = await manager.plan(source, stack.name)
    except ComposeError as exc:  # the name belongs to a catalog app
        return SyncEntry(stack.name, "invalid", source, report=report, problem=exc.message)
    if part.action == "replace":
        problem = f"app {stack.name!r} is an ix-app; a stack is a custom compose app"
        return SyncEntry(stack.name, "invalid", source, part, report, problem)
    return SyncEntry(stack.name, part.action, source, part, report)


async def apply_sync(
    manager: ManagerPort,
    stacks: SyncPlan | str | os.PathLike[str],
    *,
    prune: bool = False,
    skip_invalid: bool = False,
    wait: bool = True,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: ProgressCallback | None = None,
) -> OperationResult:
    """Apply a sync plan (a directory is planned first): one outcome per stack and prune.

    Stacks are deployed one at a time, in name order, with the manager's ``deploy`` (which
    plans again, so a change made on the NAS since the plan is still handled right); noop
    stacks are ``unchanged`` without a call. With ``prune`` the orphans are deleted afterwards
    (ix-volumes kept); without it they stay and a warning names them. One app's failure never
    stops the others. ``wait`` and ``timeout`` apply to each app as in ``deploy``.

    Raises:
        ComposeError: some stack is invalid and not ``skip_invalid`` (nothing was changed).
            With ``skip_invalid`` each invalid stack is a ``failed`` outcome instead.
        ArgumentError: ``timeout`` is wrong, or the directory does not exist.
    """
    check_timeout(timeout)
    plan = stacks if isinstance(stacks, SyncPlan) else await plan_sync(manager, stacks)
    if not plan.valid and not skip_invalid:
        names = ", ".join(entry.name for entry in plan.invalid)
        raise ComposeError(
            f"{len(plan.invalid)} invalid stack(s) in {plan.directory}: {names}; nothing was "
            "changed",
            hint="Fix them (see the sync plan), or apply the valid ones with skip_invalid=True "
            "(--skip-invalid).",
        )
    started_at = now()
    applied = [
        await _apply_stack(manager, entry, wait=wait, timeout=timeout, progress=progress)
        for entry in plan.entries
        if entry.action != "orphan"
    ]
    if prune:
        applied += [
            await _prune(manager, entry.name, timeout=timeout, progress=progress)
            for entry in plan.orphans
        ]
    kept = [entry.name for entry in plan.orphans]
    warnings = () if prune or not kept else (f"not pruned (no stack file): {', '.join(kept)}",)
    return OperationResult(
        "sync",
        tuple(outcome for result in applied for outcome in result.outcomes),
        {name: part for result in applied for name, part in result.plans.items()},
        tuple(finding for result in applied for finding in result.findings),
        started_at=started_at,
        finished_at=now(),
        warnings=warnings,
    )


async def _apply_stack(
    manager: ManagerPort,
    entry: SyncEntry,
    *,
    wait: bool,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """The deploy of one stack, or the outcome that says why there was none."""
    plans = {entry.name: entry.plan} if entry.plan else {}
    if entry.action == "invalid":
        error = ComposeError(f"invalid stack, not applied: {'; '.join(entry.errors)}")
        return OperationResult("sync", (AppOutcome.failure(entry.name, error),))
    if entry.action == "noop":
        return OperationResult("sync", (AppOutcome(entry.name, "unchanged"),), plans)
    assert entry.source is not None  # every stack has its file; only orphans have none
    try:
        result = await manager.deploy(
            entry.source, entry.name, wait=wait, timeout=timeout, progress=progress
        )
    except TrueNASError as exc:
        return OperationResult("sync", (AppOutcome.failure(entry.name, exc),), plans)
    findings = tuple({**finding, "app": entry.name} for finding in result.findings)
    return OperationResult("sync", result.outcomes, result.plans, findings)


async def _prune(
    manager: ManagerPort,
    name: str,
    *,
    timeout: float | None,
    progress: ProgressCallback | None,
) -> OperationResult:
    """Delete an orphan, keeping its ix-volumes; a failure is its outcome."""
    try:
        return await manager.delete_app(name, timeout=timeout, progress=progress)
    except TrueNASError as exc:
        return OperationResult("sync", (AppOutcome.failure(name, exc),))
