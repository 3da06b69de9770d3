"""Lifecycle commands: ``start``, ``stop``, ``restart``, ``redeploy`` and ``delete``.

Several names run concurrently through :meth:`Pilot.bulk`; one app's failure never stops the
others, and the exit status is 1 when any failed. ``delete`` asks for the app's name unless
``--yes``, and refuses to guess when there is no terminal to ask on.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.outcomes import print_outcomes
from scale_pilot_nb.cli.parsing import (
    add_app_command,
    add_command,
    add_wait_options,
    add_yes_option,
)
from scale_pilot_nb.cli.progress import ProgressPrinter
from scale_pilot_nb.cli.prompts import confirm_by_name

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session

__all__ = ["register"]

_SUMMARIES = {
    "start": "start apps",
    "stop": "stop apps (containers removed, images and volumes kept)",
    "restart": "stop then start apps",
    "redeploy": "recreate the containers of apps from their stored configuration",
}


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add the lifecycle commands to ``commands``."""
    for action, summary in _SUMMARIES.items():
        parser = add_command(
            commands,
            action,
            run_action,
            summary=summary,
            examples=[f"scale-compose {action} my-nginx", f"scale-compose {action} web db cache"],
            parents=[connected],
        )
        parser.add_argument("names", nargs="+", metavar="NAME", help="apps (run concurrently)")
        add_wait_options(parser, "STOPPED" if action == "stop" else "RUNNING")
        parser.set_defaults(action=action)

    delete = add_app_command(
        commands,
        connected,
        "delete",
        delete_app,
        summary="delete an app (its ix-volumes are kept unless --remove-volumes)",
        examples=["scale-compose delete my-nginx", "scale-compose delete old-app --yes"],
    )
    add_yes_option(delete)
    delete.add_argument(
        "--remove-volumes", action="store_true", help="also delete the app's ix-volumes"
    )
    delete.add_argument("--remove-images", action="store_true", help="also delete its images")


def run_action(session: Session) -> int:
    """``start|stop|restart|redeploy NAME…``: every app at once, one line each."""
    args = session.args
    result = session.pilot.bulk(args.action, args.names, wait=args.wait, timeout=args.timeout)
    return print_outcomes(session.out, result)


def delete_app(session: Session) -> int:
    """``delete NAME``: confirm, delete, report."""
    args = session.args
    if not args.yes:
        confirm_by_name(
            session, args.name, doing="delete", prompt="Type the app name ({name}) to delete it"
        )
    progress = ProgressPrinter(session.out.stderr)
    try:
        result = session.pilot.delete(
            args.name,
            confirm=True,
            remove_volumes=args.remove_volumes,
            remove_images=args.remove_images,
            progress=progress,
        )
    finally:
        progress.finish()
    return print_outcomes(session.out, result)
