"""Backup and transfer commands: ``backup``, ``backups``, ``restore``, ``export``, ``import``.

``restore`` replaces every app on the NAS, so it asks for the backup's name unless ``--yes``
(and refuses when there is no terminal to ask on). ``import`` only plans unless ``--apply``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.cli.outcomes import print_outcomes
from scale_pilot_nb.cli.parsing import add_command, add_wait_options, add_yes_option
from scale_pilot_nb.cli.prompts import confirm_by_name
from scale_pilot_nb.cli.revisions import read_secrets_file

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add the backup and transfer commands to ``commands``."""
    backup = add_command(
        commands,
        "backup",
        make_backup,
        summary="back up every app on the NAS (docker.backup, TrueNAS 25.04+)",
        examples=["scale-compose backup", "scale-compose backup before-upgrade"],
        parents=[connected],
    )
    backup.add_argument("name", nargs="?", metavar="NAME", help="backup name (default: now)")

    add_command(
        commands,
        "backups",
        list_backups,
        summary="list the NAS's app backups (25.04+)",
        examples=["scale-compose backups", "scale-compose backups --json"],
        parents=[connected],
    )

    restore = add_command(
        commands,
        "restore",
        restore_backup,
        summary="replace every app with a backup's (asks for the backup name)",
        examples=["scale-compose restore before-upgrade", "scale-compose restore nightly --yes"],
        parents=[connected],
    )
    restore.add_argument("name", metavar="NAME", help="the backup")
    add_yes_option(restore)
    add_wait_options(restore)

    export = add_command(
        commands,
        "export",
        export_apps,
        summary="write every app's stored config and history to DIR/<app>.yaml",
        examples=["scale-compose export ./nas-apps"],
        parents=[connected],
    )
    export.add_argument("directory", metavar="DIR", help="where the files go (created)")
    export.add_argument(
        "--with-secrets", action="store_true", help="write secret values too (default: redacted)"
    )

    importing = add_command(
        commands,
        "import",
        import_apps,
        summary="plan (or with --apply deploy) the apps exported into DIR on this NAS",
        examples=[
            "scale-compose import ./nas-apps",
            "scale-compose import ./nas-apps --apply --secrets-file apps.env",
        ],
        parents=[connected],
    )
    importing.add_argument("directory", metavar="DIR", help="an export directory")
    importing.add_argument("--apply", action="store_true", help="deploy (default: plan only)")
    add_wait_options(importing, "in its exported state")
    importing.add_argument(
        "--secrets-file", metavar="FILE", help="KEY=VALUE lines for redacted secrets"
    )


def make_backup(session: Session) -> int:
    """``backup [NAME]``: run the backup job and print its name."""
    result = session.pilot.run(session.pilot.manager.backup(session.args.name))
    name = result.details["backup"]
    if session.out.json:
        session.out.document("backup", name=name, result=result.to_dict())
    else:
        session.out.line(name)
    return ExitStatus.OK


def list_backups(session: Session) -> int:
    """``backups``: one row per backup."""
    rows = session.pilot.run(session.pilot.manager.backups())
    out = session.out
    if out.json:
        out.document("backups", backups=rows)
        return ExitStatus.OK
    if not rows:
        out.note("No backups.")
        return ExitStatus.OK
    out.table(
        ["NAME", "CREATED", "APPS"],
        [[r["name"], r["created_on"] or "", str(r["app_count"])] for r in rows],
    )
    return ExitStatus.OK


def restore_backup(session: Session) -> int:
    """``restore NAME``: confirm, then restore."""
    args = session.args
    if not args.yes:
        confirm_by_name(
            session,
            args.name,
            doing="restore",
            prompt="This replaces every app. Type the backup name ({name})",
        )
    result = session.pilot.run(
        session.pilot.manager.restore_backup(args.name, wait=args.wait, timeout=args.timeout),
    )
    if not session.out.json:
        session.out.line(f"restored {args.name}")
    return print_outcomes(session.out, result)


def export_apps(session: Session) -> int:
    """``export DIR``: one YAML file per app."""
    args = session.args
    files = session.pilot.run(
        session.pilot.manager.export(args.directory, secrets=args.with_secrets)
    )
    if session.out.json:
        session.out.document("export", files=[str(f) for f in files])
    else:
        for file in files:
            session.out.line(str(file))
    return ExitStatus.OK


def import_apps(session: Session) -> int:
    """``import DIR``: plan every app, or deploy them with ``--apply``."""
    args = session.args
    result = session.pilot.run(
        session.pilot.manager.import_(
            args.directory,
            dry_run=not args.apply,
            secrets=read_secrets_file(args.secrets_file),
            wait=args.wait,
            timeout=args.timeout,
        ),
    )
    return print_outcomes(session.out, result)
