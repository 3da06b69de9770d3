"""``doctor``: check the NAS and what this tool can do on it; ``--write`` proves the app cycle.

Prints one row per check (name, status, seconds, detail wrapped to fit 80 columns), or the
report's ``to_dict()`` with ``--json``. Exit status 0 when no check failed, 1 when one did;
a NAS that cannot be reached at all is exit status 3, as for every command.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.cli.output import TABLE_WIDTH, Output, is_terminal
from scale_pilot_nb.cli.parsing import add_command

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.records.doctor import DoctorCheck, DoctorReport

__all__ = ["register", "render_checks"]

_NAME, _STATUS, _TIME = 11, 7, 8
_STYLES = {"ok": "good", "warn": "warn", "fail": "bad", "unknown": "dim"}


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``doctor`` to ``commands``."""
    parser = add_command(
        commands,
        "doctor",
        doctor,
        summary="check the NAS: release, endpoint, TLS, auth, apps service, pools, features",
        description=(
            "Check the NAS and what scale-compose can do on it, one row per check: release,\n"
            "endpoint, TLS, auth method, apps service, pools, app.ip_choices, login\n"
            "rate-limit headroom and features. --write also creates, updates, stops and\n"
            "deletes the throwaway app scale-pilot-selftest (busybox:1.37), timing each\n"
            "step; it touches no other app. Exit status 1 when a check failed."
        ),
        examples=[
            "scale-compose doctor",
            "scale-compose doctor --write",
            "scale-compose doctor --sandbox --json | jq '.doctor.checks'",
        ],
        parents=[connected],
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="also create, update, stop and delete the throwaway app scale-pilot-selftest",
    )


def doctor(session: Session) -> int:
    """``doctor [--write]``: the checks as a table (or JSON); 1 when one failed."""
    out, write = session.out, session.args.write
    pilot = session.pilot
    if write:
        out.note("doctor: will create, update, stop and delete the app scale-pilot-selftest")
    live = is_terminal(out.stderr) and not out.json
    report = pilot.doctor(write, on_check=(lambda c: _progress(out, c)) if live else None)
    if out.json:
        out.document("doctor", doctor=report.to_dict())
    else:
        _print_report(out, report)
    return ExitStatus.OK if report.ok else ExitStatus.ERROR


def _progress(out: Output, check: DoctorCheck) -> None:
    out.note(f"doctor: {check.name} {check.status.value}", _STYLES.get(check.status.value))


def _print_report(out: Output, report: DoctorReport) -> None:
    out.line(f"TrueNAS {report.release or '?'} at {report.endpoint or '?'}")
    out.line()
    for line in render_checks(report.checks, paint=out.paint):
        out.line(line)
    out.line()
    verdict = report.summary()
    out.line(out.paint(verdict, "good" if report.ok else "bad"))


def render_checks(
    checks: Iterable[DoctorCheck],
    *,
    width: int = TABLE_WIDTH,
    paint: Callable[[str, str], str] | None = None,
) -> list[str]:
    """Rows ``CHECK STATUS TIME DETAIL``, the detail wrapped under its column to ``width``."""
    indent = _NAME + _STATUS + _TIME + 4
    wrap = max(20, width - indent)
    lines = [f"{'CHECK':<{_NAME}} {'STATUS':<{_STATUS}} {'TIME':>{_TIME}}  DETAIL"]
    if paint is not None:
        lines[0] = paint(lines[0], "bold")
    for check in checks:
        status = f"{check.status.value:<{_STATUS}}"
        if paint is not None:
            status = paint(status, _STYLES.get(check.status.value, "dim"))
        took = "" if check.seconds is None else f"{check.seconds:.2f} s"
        detail = textwrap.wrap(check.detail, wrap, break_on_hyphens=False) or [""]
        lines.append(f"{check.name:<{_NAME}} {status} {took:>{_TIME}}  {detail[0]}".rstrip())
        lines.extend(" " * indent + more for more in detail[1:])
    return lines
