"""Update and revision commands: ``updates``, ``upgrade``, ``history`` and ``rollback``.

They call the manager's record-returning methods (through the pilot's loop), never the
DataFrame views, so pandas is not imported by the CLI. Secrets for a rollback come from a
dotenv-style file (``--secrets-file``), never from arguments that would land in shell history.
``upgrade`` and ``rollback`` ask before they recreate the containers of a running app, unless
``--yes``; ``upgrade --dry-run`` shows what it would do (a catalog app's upgrade summary, a
custom app's images with a newer digest) and changes nothing.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.outcomes import print_outcomes
from scale_pilot_nb.cli.parsing import (
    add_app_command,
    add_command,
    add_wait_options,
    add_yes_option,
)
from scale_pilot_nb.cli.prompts import confirm_yes
from scale_pilot_nb.errors import ConfigError

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.records import App

__all__ = ["read_secrets_file", "register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``updates``, ``upgrade``, ``history`` and ``rollback`` to ``commands``."""
    add_command(
        commands,
        "updates",
        updates,
        summary="list apps with newer images or a catalog upgrade",
        examples=["scale-compose updates", "scale-compose updates --all --json"],
        parents=[connected],
    ).add_argument("--all", "-a", action="store_true", help="also list up-to-date images")

    upgrade = add_app_command(
        commands,
        connected,
        "upgrade",
        upgrade_app,
        summary="upgrade a catalog app (summary first), or pull a custom app's newer images",
        examples=[
            "scale-compose upgrade jellyfin",
            "scale-compose upgrade jellyfin --dry-run",
            "scale-compose upgrade my-stack --yes",
        ],
    )
    upgrade.add_argument(
        "--to",
        default="latest",
        metavar="VERSION",
        help="catalog apps: the version (default latest)",
    )
    upgrade.add_argument(
        "--dry-run",
        action="store_true",
        help="only show the upgrade summary (custom apps: the newer images); change nothing",
    )
    add_yes_option(upgrade)
    add_wait_options(upgrade)

    history = add_app_command(
        commands,
        connected,
        "history",
        show_history,
        summary="list the revisions recorded before each change of an app (or diff two)",
        examples=["scale-compose history my-stack", "scale-compose history my-stack --diff 2 -1"],
    )
    history.add_argument(
        "--diff", nargs=2, type=int, metavar=("A", "B"), help="print a diff of two revisions"
    )

    rollback = add_app_command(
        commands,
        connected,
        "rollback",
        rollback_app,
        summary="roll an app back: a custom app to a recorded revision, a catalog app a version",
        examples=[
            "scale-compose rollback my-stack",
            "scale-compose rollback my-stack --revision 3 --secrets-file stack.env",
            "scale-compose rollback jellyfin --to 1.2.8",
        ],
    )
    rollback.add_argument(
        "--revision",
        type=int,
        default=-1,
        metavar="N",
        help="custom apps: the revision (default -1: as it was before the last change)",
    )
    rollback.add_argument("--to", metavar="VERSION", help="catalog apps: the version")
    rollback.add_argument(
        "--no-pin", action="store_true", help="keep image tags as written (no @sha256 digests)"
    )
    rollback.add_argument(
        "--secrets-file", metavar="FILE", help="KEY=VALUE lines for secrets the history lacks"
    )
    rollback.add_argument(
        "--other-nas",
        action="store_true",
        help="restore a revision recorded on another NAS (or before NAS boxes were told apart)",
    )
    add_yes_option(rollback)
    add_wait_options(rollback)


def read_secrets_file(path: str | None) -> dict[str, str]:
    """``KEY=VALUE`` lines (dotenv syntax) from ``path``; empty without one.

    Raises:
        ConfigError: the file cannot be read.
    """
    if path is None:
        return {}
    from dotenv import dotenv_values

    try:
        with open(path, encoding="utf-8") as handle:
            values = dotenv_values(stream=handle)
    except OSError as exc:
        raise ConfigError(f"Cannot read the secrets file {path}: {exc.strerror}") from exc
    return {k: v for k, v in values.items() if v is not None}


def updates(session: Session) -> int:
    """``updates``: one row per app image with an update (``--all``: every image)."""
    rows = session.pilot.run(session.pilot.manager.updates())
    if not session.args.all:
        rows = [r for r in rows if r["image_update"] or r["catalog_upgrade"]]
    out = session.out
    if out.json:
        out.document("updates", updates=rows)
        return ExitStatus.OK
    if not rows:
        out.note("Everything is up to date.")
        return ExitStatus.OK
    out.table(
        ["APP", "IMAGE", "IMAGE UPDATE", "CATALOG UPGRADE"],
        [
            [
                r["app"],
                r["image"] or "",
                "yes" if r["image_update"] else "",
                f"{r['version']} -> {r['target_version']}" if r["catalog_upgrade"] else "",
            ]
            for r in rows
        ],
    )
    return ExitStatus.OK


def upgrade_app(session: Session) -> int:
    """``upgrade NAME``: catalog apps through ``app.upgrade``; custom apps pull their images."""
    args, manager = session.args, session.pilot.manager
    app = session.pilot.run(manager.get_app(args.name))
    if app.custom_app and args.to != "latest":
        raise UsageError(
            f"{args.name!r} is a custom app: it has no catalog versions to upgrade --to",
            hint="Without --to, upgrade pulls its newer images; to change its version, deploy "
            "a compose file with the image tag you want.",
        )
    if args.dry_run:
        return _show_upgrade_summary(session, app)
    if not args.yes:
        _confirm_if_running(
            session, app.name, app.state, doing="upgrade", what=f"Upgrade {args.name!r}"
        )
    waiting = {"wait": args.wait, "timeout": args.timeout}
    if app.custom_app:
        return print_outcomes(
            session.out, session.pilot.run(manager.update_images(args.name, **waiting))
        )
    result = session.pilot.run(manager.upgrade(args.name, args.to, **waiting))
    if not session.out.json:
        session.out.note(f"{args.name}: upgraded to {_target(result.details['summary'])}")
    return print_outcomes(session.out, result)


def _target(summary: dict[str, Any]) -> str:
    """The version an ``app.upgrade_summary`` upgrades to, as people read it."""
    return str(summary.get("upgrade_human_version") or summary.get("upgrade_version"))


def _show_upgrade_summary(session: Session, app: App) -> int:
    """``upgrade --dry-run``: what ``upgrade`` would do; nothing is changed.

    A catalog app: the library's ``upgrade_summary`` (versions, changelog). A custom app,
    whose upgrade pulls newer images for its tags: its images that have one, from the
    library's ``updates`` rows.
    """
    if app.custom_app:
        return _show_newer_images(session, app)
    args, out = session.args, session.out
    summary = session.pilot.run(session.pilot.manager.upgrade_summary(args.name, args.to))
    if out.json:
        out.document("upgrade", app_name=args.name, dry_run=True, custom_app=False, summary=summary)
        return ExitStatus.OK
    out.line(f"{args.name}: {app.human_version or app.version} -> {_target(summary)}")
    if summary.get("changelog"):
        out.line(str(summary["changelog"]).strip())
    out.note("dry run: nothing was changed")
    return ExitStatus.OK


def _show_newer_images(session: Session, app: App) -> int:
    """``upgrade --dry-run`` of a custom app: the images ``upgrade`` would pull anew."""
    out = session.out
    rows = session.pilot.run(session.pilot.manager.updates())
    newer = [r for r in rows if r["app"] == app.name and r["image_update"]]
    if out.json:
        out.document("upgrade", app_name=app.name, dry_run=True, custom_app=True, updates=newer)
        return ExitStatus.OK
    if newer:
        out.line(f"{app.name}: newer images to pull:")
        for row in newer:
            out.line(f"  {row['image']}")
    else:
        out.line(f"{app.name}: no newer images")
    out.note("dry run: nothing was changed")
    return ExitStatus.OK


def _confirm_if_running(
    session: Session, name: str, state: str | None, *, doing: str, what: str
) -> None:
    """Ask before ``what`` recreates the containers of app ``name`` (only when its ``state``
    is RUNNING; None: the app does not exist and is created again).

    Raises:
        UsageError: not confirmed, or no terminal to ask on.
    """
    if state == "RUNNING":
        confirm_yes(
            session, name, doing=doing, question=f"{what}? Its running containers will be recreated"
        )


def show_history(session: Session) -> int:
    """``history NAME``: one row per revision; ``--diff A B``: their unified diff."""
    args, out, manager = session.args, session.out, session.pilot.manager
    if args.diff:
        text = session.pilot.run(manager.diff(args.name, *args.diff))
        if out.json:
            out.document("history", app_name=args.name, diff=text)
        else:
            out.stdout.write(text or "(no difference)\n")
        return ExitStatus.OK
    revisions = session.pilot.run(manager.history(args.name))
    if out.json:
        out.document("history", app_name=args.name, revisions=[r.to_dict() for r in revisions])
        return ExitStatus.OK
    if not revisions:
        out.note(f"No revisions of {args.name!r} recorded on this NAS.")
        return ExitStatus.OK
    from scale_pilot_nb.records._base import iso_timestamp

    out.table(
        ["REV", "RECORDED", "BEFORE", "BY", "TOOL", "IMAGES"],
        [
            [
                str(r.revision),
                iso_timestamp(r.recorded, timespec="seconds"),
                r.action,
                r.actor,
                r.tool,
                ", ".join(f"{t}@{d.partition(':')[2][:12]}" for t, d in sorted(r.digests.items()))
                or ("(no app)" if r.config is None else ""),
            ]
            for r in revisions
        ],
    )
    return ExitStatus.OK


def rollback_app(session: Session) -> int:
    """``rollback NAME``: back to a revision (custom) or a version (catalog).

    What it will change is shown first (a custom app's diff; a catalog app's versions), from
    the library's ``rollback_plan``, which picks the target as the rollback does; with
    ``--json`` it is the document's ``plan``. A running app's containers are recreated only
    once the user said yes (or ``--yes``).
    """
    args, out, manager = session.args, session.out, session.pilot.manager
    choice = {"version": args.to, "pin_digests": not args.no_pin, "other_nas": args.other_nas}
    plan = session.pilot.run(manager.rollback_plan(args.name, args.revision, **choice))
    if not out.json:
        out.stdout.write(f"{plan}\n")
    if not args.yes:
        target = (
            f"revision {plan.revision} of the history"
            if plan.custom_app
            else f"version {plan.version}"
        )
        what = f"Roll {args.name!r} back to {target}"
        _confirm_if_running(session, args.name, plan.state, doing="roll back", what=what)
    result = session.pilot.run(
        manager.rollback(
            args.name,
            args.revision,
            secrets=read_secrets_file(args.secrets_file),
            wait=args.wait,
            timeout=args.timeout,
            **choice,
        ),
    )
    return print_outcomes(out, result, plan=plan.to_dict())
