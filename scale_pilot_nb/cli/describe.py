"""``describe NAME``: everything about one app, as ``kubectl describe`` shows a pod.

The app, its containers, published ports and mounts, its last jobs and revisions, and, when
it is CRASHED or DEPLOYING, why (the failing service, its last log lines and a hint). The data
comes from :func:`~scale_pilot_nb.manager.describe.describe_app` (records, no DataFrames: pandas is
not imported by the CLI).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.cli.output import cli_phrasing
from scale_pilot_nb.cli.parsing import add_app_command
from scale_pilot_nb.cli.watching import add_watch_options, watching

if TYPE_CHECKING:
    from scale_pilot_nb.cli.output import Output
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.manager.describe import AppDescription
    from scale_pilot_nb.manager.health import Diagnosis
    from scale_pilot_nb.records import App

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``describe`` to ``commands``."""
    describe = add_app_command(
        commands,
        connected,
        "describe",
        describe_app,
        summary="show one app: containers, ports, volumes, recent jobs, revisions, why it fails",
        examples=[
            "scale-compose describe my-nginx",
            "scale-compose describe my-nginx --json",
            "scale-compose describe my-nginx --watch",
        ],
    )
    add_watch_options(describe, "the description")


def describe_app(session: Session) -> int:
    """``describe NAME``: the app's sections, or one JSON document with ``--json``."""
    if watching(session.args):
        from scale_pilot_nb.cli.watching import watch_describe

        return watch_describe(session)
    out = session.out
    description = describe_once(session, session.args.name)
    if out.json:
        out.document("describe", **description.to_dict())
        return ExitStatus.OK
    print_description(out, description)
    return ExitStatus.OK


def describe_once(session: Session, name: str) -> AppDescription:
    """The description of app ``name`` as it is now."""
    from scale_pilot_nb.manager.describe import describe_app as describe

    return session.pilot.run(describe(session.pilot.manager, name))


def print_description(out: Output, description: AppDescription) -> None:
    """Write the sections of ``description``."""
    from scale_pilot_nb.records._base import iso_timestamp

    app = description.app
    _print_app(out, app)
    if _section(out, "Containers", app.containers):
        out.table(
            ["SERVICE", "STATE", "IMAGE", "PORTS"],
            [
                [c.service_name, c.state.value, c.image, ",".join(map(str, c.ports))]
                for c in app.containers
            ],
            state_column=1,
        )
    _section(out, "Ports", app.ports)
    for port in app.ports:
        out.line(f"  {port}")
    _section(out, "Volumes", app.volumes)
    for volume in app.volumes:
        options = ", ro" if volume.read_only else ""
        out.line(f"  {volume.source} -> {volume.destination} ({volume.type}{options})")
    if _section(out, "Jobs", description.jobs):
        out.table(
            ["ID", "METHOD", "STATE", "STARTED", "ERROR"],
            [
                [
                    str(job.id),
                    job.method,
                    job.state.value,
                    iso_timestamp(job.time_started, timespec="seconds") or "",
                    (job.error or "").strip(),
                ]
                for job in description.jobs
            ],
        )
    if _section(out, "Revisions", description.revisions):
        out.table(
            ["REV", "RECORDED", "BEFORE", "TOOL"],
            [
                [str(r.revision), iso_timestamp(r.recorded, timespec="seconds"), r.action, r.tool]
                for r in description.revisions
            ],
        )
    if description.diagnosis is not None:
        _print_diagnosis(out, description.diagnosis)


def _print_app(out: Output, app: App) -> None:
    kind = "custom" if app.custom_app else f"catalog ({app.catalog_app or '?'})"
    upgrade = f"yes ({app.latest_version})" if app.latest_version else "yes"
    out.line(f"Name:     {app.name}")
    out.line(f"State:    {app.state.value}")
    out.line(f"Kind:     {kind}")
    out.line(f"Version:  {app.human_version or app.version or ''}")
    out.line(f"Upgrade:  {upgrade if app.upgrade_available else 'no'}")


def _section(out: Output, title: str, items: Sequence[object]) -> bool:
    """Write a section's title (and ``(none)`` when it has no ``items``); True if it has some."""
    out.line()
    out.line(f"{title}:")
    if not items:
        out.line("  (none)")
    return bool(items)


def _print_diagnosis(out: Output, diagnosis: Diagnosis) -> None:
    from scale_pilot_nb.manager.health import shown_state

    _section(out, "Why", [diagnosis])
    service = diagnosis.failing_service
    if service is not None:
        out.line(f"  {service} is {shown_state(diagnosis.services[service])}")
    if diagnosis.log_tail:
        out.line(f"  last lines of {service}:")
        for line in diagnosis.log_tail:
            out.line(f"    {line}")
    out.line(f"  hint: {cli_phrasing(diagnosis.hint)}")
