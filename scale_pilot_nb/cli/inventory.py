"""Read-only commands: ``list`` (``ps``), ``status``, ``config`` and ``logs``.

``logs`` lives in :mod:`~scale_pilot_nb.cli.logs`; ``list --watch`` in
:mod:`~scale_pilot_nb.cli.watching`.

``config`` shows a compose FILE as it would be stored (offline, see
:func:`~scale_pilot_nb.cli.deploying.print_file_config`) or the stored config of app NAME.

They use the records (:meth:`Pilot.list_apps`), never the DataFrame views, so pandas is not
imported by the CLI.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli import logs
from scale_pilot_nb.cli.deploying import add_conversion_options, print_file_config
from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.parsing import add_command
from scale_pilot_nb.cli.watching import add_watch_options, watching

if TYPE_CHECKING:
    from scale_pilot_nb.cli.output import Output
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.records import App, SystemStatus

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add the read-only commands to ``commands``."""
    listing = add_command(
        commands,
        "list",
        list_apps,
        aliases=["ps"],
        summary="list the apps on the NAS",
        examples=[
            "scale-compose list",
            "scale-compose ps --all --json | jq '.apps[].name'",
            "scale-compose list --watch",
            "scale-compose list --watch --json --watch-timeout 60 | jq -c '[.event, .app.state]'",
        ],
        parents=[connected],
    )
    listing.add_argument("--all", "-a", action="store_true", help="also list every container")
    add_watch_options(listing, "the table")

    add_command(
        commands,
        "status",
        status,
        summary="show the NAS: version, apps service, pools and app counts",
        examples=["scale-compose status", "scale-compose status --profile lab --json"],
        parents=[connected],
    )

    config = add_command(
        commands,
        "config",
        show_config,
        summary="print a compose file as deploy would store it, or an app's stored config",
        description=(
            "With FILE (an existing file, or a name ending in .yml/.yaml): print the compose "
            "as deploy would store it, interpolated and normalised, without a NAS (like "
            "`docker compose config`); --payload prints the app.create payload as JSON. With "
            "NAME: print the stored configuration of that app on the NAS. Secret values are "
            "redacted unless --with-secrets."
        ),
        examples=[
            "scale-compose config nginx.yml",
            "scale-compose config stack.yml shop --env-file prod.env --payload",
            "scale-compose config my-nginx",
            "scale-compose config my-nginx --with-secrets > my-nginx.yml",
        ],
        parents=[connected],
    )
    config.add_argument("target", metavar="FILE|NAME", help="a compose file, or an app")
    config.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        help="with FILE: the app name (default: the file's stem; its folder for compose.yml)",
    )
    config.add_argument(
        "--with-secrets", action="store_true", help="print secret values too (default: redacted)"
    )
    config.add_argument(
        "--payload", action="store_true", help="with FILE: print the app.create payload (JSON)"
    )
    add_conversion_options(config)
    logs.register(commands, connected)


#: The columns of ``list`` (and of ``list --watch`` rows).
APP_HEADERS = ("NAME", "STATE", "KIND", "VERSION", "PORTS")


def list_apps(session: Session) -> int:
    """``list``: one row per app (and with ``--all`` one per container)."""
    if watching(session.args):
        from scale_pilot_nb.cli.watching import watch_list

        return watch_list(session)
    apps = session.pilot.list_apps()
    out = session.out
    if out.json:
        out.document("list", apps=[app.to_dict() for app in apps])
        return ExitStatus.OK
    print_apps(out, apps, containers=session.args.all)
    return ExitStatus.OK


def app_row(app: App) -> list[str]:
    """The cells of ``app`` under :data:`APP_HEADERS`."""
    return [
        app.name,
        app.state.value,
        "custom" if app.custom_app else app.catalog_app or "catalog",
        app.human_version or app.version or "",
        ",".join(str(p) for p in app.published_ports),
    ]


def print_apps(out: Output, apps: list[App], *, containers: bool) -> None:
    """The apps table (and the containers table after it)."""
    if not apps:
        out.note("No apps installed.")
        return
    out.table(APP_HEADERS, [app_row(app) for app in apps], state_column=1)
    if containers:
        out.line()
        out.table(["APP", "SERVICE", "STATE", "IMAGE", "ID"], _container_rows(apps), state_column=2)


def _container_rows(apps: list[App]) -> list[list[str]]:
    return [
        [app.name, c.service_name, c.state.value, c.image, c.short_id]
        for app in apps
        for c in app.containers
    ]


def status(session: Session) -> int:
    """``status``: machine, apps service, pools, app counts."""
    report = session.pilot.status()
    out = session.out
    if out.json:
        out.document("status", status=report.to_dict())
        return ExitStatus.OK
    _print_status(session, report)
    return ExitStatus.OK


def _print_status(session: Session, report: SystemStatus) -> None:
    out, info, docker = session.out, report.info, report.docker
    states = ", ".join(f"{count} {state.lower()}" for state, count in report.app_states.items())
    docker_style = "good" if docker.running else "bad"
    out.line(f"host     {info.hostname}  ({info.version_string or info.version})")
    out.line(f"docker   {out.paint(docker.state.value, docker_style)}  {docker.description}")
    out.line(f"apps     {report.app_count}" + (f" ({states})" if states else ""))
    if report.pools:
        out.line()
        out.table(
            ["POOL", "STATUS", "HEALTHY", "USED"],
            [
                [
                    pool.name,
                    pool.status,
                    "yes" if pool.healthy else "NO",
                    "" if pool.used_fraction is None else f"{pool.used_fraction:.0%}",
                ]
                for pool in report.pools
            ],
        )


def show_config(session: Session) -> int:
    """``config FILE [NAME]`` for a compose file, else ``config NAME`` for an app."""
    args = session.args
    if _is_compose_file(args.target):
        return print_file_config(session)
    if args.name is not None or args.payload:
        raise UsageError(
            f"{args.target!r} is not a compose file, so it names an app",
            hint="Pass an existing compose FILE for NAME and --payload, or only the app NAME.",
        )
    return app_config(session)


def _is_compose_file(target: str) -> bool:
    return Path(target).is_file() or target.lower().endswith((".yml", ".yaml"))


def app_config(session: Session) -> int:
    """``config NAME``: the stored configuration, YAML for people, JSON with ``--json``.

    Secret values are redacted as in every other output (a terminal, a log, a CI job) unless
    ``--with-secrets`` asks for the config as stored, e.g. to redeploy it elsewhere.
    """
    name = session.args.target
    config = session.pilot.app_config(name, secrets=session.args.with_secrets)
    out = session.out
    if out.json:
        out.document("config", app_name=name, config=config)
        return ExitStatus.OK
    from scale_pilot_nb.compose.render import render  # quotes what YAML 1.1 *or* 1.2 would retype

    out.stdout.write(render(config))
    return ExitStatus.OK
