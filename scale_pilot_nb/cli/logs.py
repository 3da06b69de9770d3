"""``logs NAME``: the tail of every container interleaved by time, or followed until Ctrl-C.

Flags as ``docker compose logs`` has them: ``--follow/-f``, ``--tail/-n``, ``--since``,
``--until``, ``--timestamps/-t``, ``--no-color``, ``--no-log-prefix``, plus ``--service/-s``.
TrueNAS cannot filter logs by time, so ``--since``/``--until`` are applied here to each
line's Docker timestamp (see :mod:`scale_pilot_nb.manager.timefilter` for the forms they take).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.cli.exits import ExitStatus, UsageError
from scale_pilot_nb.cli.parsing import add_app_command

if TYPE_CHECKING:
    import datetime as dt

    from scale_pilot_nb.cli.session import Session

__all__ = ["register"]


def register(commands: Any, connected: argparse.ArgumentParser) -> None:
    """Add ``logs`` to ``commands``."""
    logs = add_app_command(
        commands,
        connected,
        "logs",
        app_logs,
        summary="print the container logs of an app, services interleaved by time",
        description=(
            "Print the container logs of an app, every service's lines interleaved by their "
            "Docker timestamps, like `docker compose logs`. TrueNAS cannot filter logs by "
            "time: --since/--until are applied to the lines it sends (the last --tail lines "
            "of each container). While following, a line waits up to 0.2 s for earlier "
            "lines of other services, so the order can slip only across that window. "
            "Following with --until ends when the clock passes --until (at once when it "
            "already has), as `docker logs` does. --tail 0 -f prints only new lines."
        ),
        examples=[
            "scale-compose logs my-nginx --tail 20",
            "scale-compose logs my-stack -s db -f",
            "scale-compose logs my-stack --since 10m -t",
            "scale-compose logs my-stack --tail all --since 2026-12-03T10:00:00Z --until 1h",
        ],
    )
    logs.add_argument("--service", "-s", help="only this compose service")
    logs.add_argument(
        "--tail",
        "-n",
        type=_tail,
        default=100,
        metavar="N",
        help="lines of history per container, 'all', or 0 for none (default 100)",
    )
    logs.add_argument("--follow", "-f", action="store_true", help="keep printing until Ctrl-C")
    logs.add_argument(
        "--since",
        metavar="TIME",
        help="only lines from TIME on: 2026-12-03T10:00:00Z, 2026-12-03, or a duration "
        "before now (42s, 10m, 1h30m)",
    )
    logs.add_argument(
        "--until",
        metavar="TIME",
        help="only lines up to TIME (same forms); with -f, following ends when TIME comes",
    )
    logs.add_argument(
        "--timestamps", "-t", action="store_true", help="show each line's Docker timestamp"
    )
    logs.add_argument("--no-color", action="store_true", help="never colour the prefixes")
    logs.add_argument(
        "--no-log-prefix", action="store_true", help="print lines without the service prefix"
    )


def _tail(text: str) -> int | None:
    """A ``--tail`` value: a whole number, or ``all`` (None)."""
    if text.strip().lower() == "all":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of lines or 'all': {text!r}") from None


def app_logs(session: Session) -> int:
    """``logs NAME``: the tail in time order, or with ``-f`` every new line until Ctrl-C."""
    from scale_pilot_nb.cli.log_output import LogPrinter

    args, out = session.args, session.out
    if args.tail is not None and args.tail < 0:
        raise UsageError(
            f"--tail must be 0 or more, not {args.tail}",
            hint="Pass --tail 0 for only new lines, or --tail all for every line.",
        )
    if out.json and args.follow:
        raise UsageError(
            "--json prints one document, so it cannot follow logs",
            hint="Drop --follow, or drop --json for a live stream.",
        )
    since, until = _window(args.since, args.until)
    if out.json:
        lines = session.pilot.log_lines(
            args.name, args.service, tail=args.tail, since=since, until=until
        )
        out.document("logs", app_name=args.name, lines=[dataclasses.asdict(ln) for ln in lines])
        return ExitStatus.OK
    printer = LogPrinter(
        session.pilot.app(args.name).containers,
        service=args.service,
        colour=out.colour and not args.no_color,
        prefix=not args.no_log_prefix,
        timestamps=args.timestamps,
    )
    for line in session.pilot.log_lines(
        args.name, args.service, tail=args.tail, follow=args.follow, since=since, until=until
    ):
        out.line(printer.format(line))
        out.stdout.flush()
    return ExitStatus.OK


def _window(since: str | None, until: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``--since``/``--until`` read once, so a duration counts back from the same now.

    Raises:
        UsageError: one cannot be read, or ``--until`` is before ``--since``.
    """
    from scale_pilot_nb.errors import ArgumentError
    from scale_pilot_nb.manager.timefilter import TimeWindow

    try:
        window = TimeWindow(since, until)
    except ArgumentError as exc:
        raise UsageError(f"--{exc.message}", hint=exc.hint) from exc
    return window.since, window.until
