"""Printing what an operation did to each app, and the exit status that follows from it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.cli.output import state_style

if TYPE_CHECKING:
    from scale_pilot_nb.cli.output import Output
    from scale_pilot_nb.records.outcome import AppOutcome, OperationResult

__all__ = ["print_outcomes"]


def print_outcomes(out: Output, result: OperationResult, **fields: Any) -> int:
    """Print one line per app (failures with their hint on stderr, also with ``--json``);
    ``fields`` join the ``--json`` document (what the command showed before it acted).

    Returns:
        OK when every app's operation succeeded, else ERROR: a partly failed bulk run fails,
        and so does one that left an app CRASHED (the job succeeded, the app did not).
    """
    if out.json:
        out.document(result.operation, result=result.to_dict(), **fields)
    for outcome in result.outcomes:
        if not outcome.ok:
            _failure(out, outcome)
        elif not out.json:
            out.line(_success(out, outcome))
        if _crashed(outcome):
            out.note(f"{outcome.app_name}: the app CRASHED", "bad")
            out.note(f"  hint: Look at its logs: scale-compose logs {outcome.app_name}")
    failed = not result.ok or any(_crashed(o) for o in result.outcomes)
    return ExitStatus.ERROR if failed else ExitStatus.OK


def _crashed(outcome: AppOutcome) -> bool:
    return outcome.app is not None and outcome.app.state.value == "CRASHED"


def _success(out: Output, outcome: AppOutcome) -> str:
    if outcome.app is None:
        return f"{outcome.app_name}: {outcome.action}"
    state = outcome.app.state.value
    style = state_style(state)
    return f"{outcome.app_name}: {outcome.action} ({out.paint(state, style) if style else state})"


def _failure(out: Output, outcome: AppOutcome) -> None:
    error = outcome.error or {}
    out.note(f"{outcome.app_name}: failed: {error.get('message', 'unknown error')}", "bad")
    if error.get("hint"):
        out.note(f"  hint: {error['hint']}")
