"""``sync DIR``: make the NAS's custom apps match a folder of compose stacks.

Exit statuses, fit for a scheduled job or CI:

* applying: 0 every app in line (or nothing to do), 1 an app failed, 2 invalid stacks (nothing
  changed; with ``--skip-invalid`` the valid ones are applied and each invalid one counts as
  a failed app: 1) or a refused confirmation;
* ``--plan`` (like ``terraform plan -detailed-exitcode``): 0 in sync, 2 something to apply
  (creates, updates, and orphans with ``--prune``) or some stack invalid; ``--json`` says which.

Changing anything asks for the folder's name on the terminal unless ``--yes``, and refuses
when there is no terminal to ask on.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.outcomes import print_outcomes
from scale_pilot_nb.cli.parsing import add_command, add_wait_options, add_yes_option
from scale_pilot_nb.cli.progress import ProgressPrinter
from scale_pilot_nb.cli.prompts import confirm_by_name

if TYPE_CHECKING:
    from scale_pilot_nb.cli.output import Output
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.manager.sync import SyncPlan

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``sync`` to ``commands``."""
    parser = add_command(
        commands,
        "sync",
        sync_stacks,
        summary="make the NAS's custom apps match a folder of compose stacks",
        description=(
            "Every DIR/NAME/compose.yaml (or DIR/NAME.yml) is the app NAME. Validate and plan "
            "them all, show one plan (create / update / noop / orphan / invalid), then apply "
            "after one confirmation. Orphans are custom apps with no stack file: deleted only "
            "with --prune (ix-volumes kept). Catalog apps are never touched.\n\n"
            "exit status: 0 in sync or applied, 1 an app failed, 2 invalid stacks (nothing "
            "changed) or refused; with --plan: 0 in sync, 2 changes to apply or invalid stacks."
        ),
        examples=[
            "scale-compose sync stacks/ --plan",
            "scale-compose sync stacks/ --yes --timeout 900",
            "scale-compose sync stacks/ --prune",
        ],
        parents=[connected],
    )
    parser.add_argument("directory", metavar="DIR", help="the folder of stacks")
    parser.add_argument(
        "--plan", action="store_true", help="only show the plan (exit 2 when not in sync)"
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="also delete custom apps with no stack file (ix-volumes kept)",
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="apply the valid stacks even when some are invalid",
    )
    add_yes_option(parser)
    add_wait_options(parser)


def sync_stacks(session: Session) -> int:
    """``sync DIR``: plan, show, confirm, apply; see the module docstring for exit statuses."""
    args, out = session.args, session.out
    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"{args.directory}: no such directory", hint="Name a folder of stacks.")
    plan = session.pilot.sync_plan(directory)
    pending = plan.pending(prune=args.prune)
    refused = not plan.valid and not args.skip_invalid
    if args.plan or refused or not out.json:  # with --json an apply prints its result only
        _print_plan(out, plan)
    if args.plan:
        return ExitStatus.USAGE if pending or not plan.valid else ExitStatus.OK
    if refused:
        out.note(f"{len(plan.invalid)} invalid stack(s): nothing was changed", "bad")
        out.note("  hint: Fix them, or pass --skip-invalid to apply the valid ones.")
        return ExitStatus.USAGE
    if pending and not args.yes:
        confirm_by_name(
            session,
            directory.resolve().name,
            doing="sync",
            prompt=f"{_changes_text(plan, args.prune)}. Type the folder name ({{name}}) to go on",
        )
    progress = ProgressPrinter(out.stderr)
    try:
        result = session.pilot.sync(
            plan,
            prune=args.prune,
            confirm=True,
            skip_invalid=args.skip_invalid,
            wait=args.wait,
            timeout=args.timeout,
            progress=progress,
        )
    finally:
        progress.finish()
    for warning in result.warnings:
        out.note(f"warning: {warning}", "warn")
    return print_outcomes(out, result)


def _print_plan(out: Output, plan: SyncPlan) -> None:
    """The plan as one JSON document, or a table then the details of each change and error."""
    if out.json:
        out.document("sync", plan=plan.to_dict())
        return
    out.line(plan.summary())
    rows = [[e.name, e.action, _relative(e.source, plan), e.summary()] for e in plan]
    if rows:
        out.table(["APP", "ACTION", "SOURCE", "WHAT HAPPENS"], rows)
    for entry in plan.pending():
        out.line()
        out.line(str(entry.plan))
    for entry in plan.invalid:
        out.note(f"{entry.name}: invalid: {'; '.join(entry.errors)}", "bad")


def _relative(source: Path | None, plan: SyncPlan) -> str:
    """A stack file as the folder sees it (``web/compose.yaml``); ``-`` for an orphan."""
    return "-" if source is None else str(source.relative_to(plan.directory))


def _changes_text(plan: SyncPlan, prune: bool) -> str:
    """``Create 1, update 2 and delete 1 app(s) (ix-volumes kept)``, for the prompt."""
    counts = plan.counts()
    text = f"Create {counts['create']} and update {counts['update']} app(s)"
    if prune and counts["orphan"]:
        text += f", delete {counts['orphan']} (ix-volumes kept)"
    return text
