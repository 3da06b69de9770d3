"""``job``: follow a TrueNAS job by id until it ends, or list the jobs not yet ended.

Ctrl-C during a command whose job already runs leaves that job going on on the NAS, and the
interruption's message names it ("job 12 (app.create, web) goes on …"); ``scale-compose job
12`` picks it up again with the usual progress display. Without an id, the jobs still WAITING
or RUNNING are listed (for a command interrupted before the NAS had named its job).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.cli.parsing import add_command
from scale_pilot_nb.cli.progress import ProgressPrinter

if TYPE_CHECKING:
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.records import Job

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``job`` to ``commands``."""
    job = add_command(
        commands,
        "job",
        show_job,
        summary="follow a job until it ends (without N: list the jobs not yet ended)",
        examples=[
            "scale-compose job 12",
            "scale-compose job 12 --no-wait --json",
            "scale-compose job",
        ],
        parents=[connected],
        description=(
            "Follow job N until it ends and print its method, app, state and error; "
            "exit status 1 when it ended FAILED or ABORTED. Without N, list the jobs "
            "still WAITING or RUNNING."
        ),
    )
    job.add_argument("job_id", nargs="?", type=int, metavar="N", help="the job's id")
    job.add_argument("--no-wait", action="store_true", help="show the job as it is now")


def show_job(session: Session) -> int:
    """``job [N]``: one job, followed to its end (or as it is now), or the unfinished ones."""
    args, out, pilot = session.args, session.out, session.pilot
    if args.job_id is None:
        jobs = pilot.jobs()
        if out.json:
            out.document("job", jobs=[job.to_dict() for job in jobs])
        elif jobs:
            _table(session, jobs)
        else:
            out.note("No job is waiting or running.")
        return ExitStatus.OK
    printer = None if out.json or args.no_wait else ProgressPrinter(out.stderr)
    try:
        job = pilot.job(args.job_id, wait=not args.no_wait, progress=printer or False)
    finally:
        if printer is not None:
            printer.finish()
    if out.json:
        out.document("job", job=job.to_dict())
    else:
        _table(session, [job])
    if job.finished and not job.succeeded:
        _failure(session, job)
        return ExitStatus.ERROR
    return ExitStatus.OK


def _table(session: Session, jobs: list[Job]) -> None:
    from scale_pilot_nb.rpc.jobs import app_name_of

    rows = []
    for job in jobs:
        percent = job.progress.percent
        progress = "" if percent is None else f"{percent:g}% {job.progress.description}".strip()
        app = app_name_of(job.method, job.arguments) or ""
        rows.append([str(job.id), job.method, app, job.state.value, progress])
    session.out.table(["ID", "METHOD", "APP", "STATE", "PROGRESS"], rows, state_column=3)


def _failure(session: Session, job: Job) -> None:
    """Why the job did not succeed, on stderr (with its field errors for VALIDATION)."""
    out = session.out
    if job.state.value == "ABORTED":
        out.note(f"job {job.id} was aborted", "bad")
        return
    out.note(f"job {job.id} failed: {(job.error or 'no reason given').strip()}", "bad")
    for field in job.field_errors:
        out.note(f"  - {field}")
