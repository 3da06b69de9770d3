"""``list --watch`` and ``describe NAME --watch``: live views driven by ``app.query`` events.

Nothing polls: :meth:`Pilot.watch_apps` yields the apps there at the start, then each app
TrueNAS reports added, changed or removed (queried again, so a partial event never shows a
half-known app). How a change is shown depends on where it goes:

- a terminal: the screen is cleared and the table (or the description) drawn again under a
  header with the time of the last change;
- a pipe or file: one row per app and change, ``EVENT NAME STATE KIND VERSION PORTS``, like
  ``kubectl get -w --output-watch-events`` (``describe`` prints the description once first);
- ``--json``: one JSON object per line and change (NDJSON), ``{"version": 1, "command": ...,
  "event": ..., ...}``.

Ctrl-C ends the watch with exit status 130, as it ends ``logs -f``; ``--watch-timeout``
ends it with 0, for scripts. ``describe --watch`` also ends when the app is removed.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from scale_pilot_nb.cli.exits import ExitStatus
from scale_pilot_nb.cli.output import is_terminal
from scale_pilot_nb.cli.parsing import positive_seconds

if TYPE_CHECKING:
    from scale_pilot_nb.cli.output import Output
    from scale_pilot_nb.cli.session import Session
    from scale_pilot_nb.manager.watch import WatchEvent
    from scale_pilot_nb.records import App

__all__ = ["add_watch_options", "watch_describe", "watch_list", "watching"]

#: Home the cursor and clear the screen (ANSI), before a redraw on a terminal.
_CLEAR = "\033[H\033[2J"


def add_watch_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--watch/-w`` and ``--watch-timeout`` on ``parser``; ``what`` is what gets redrawn."""
    group = parser.add_argument_group("watching")
    group.add_argument(
        "--watch",
        "-w",
        action="store_true",
        help=f"keep watching and show every change until Ctrl-C: on a terminal {what} is "
        "redrawn, on a pipe one row per change, with --json one JSON object per line",
    )
    group.add_argument(
        "--watch-timeout",
        type=positive_seconds,
        metavar="SECONDS",
        help="stop watching after SECONDS, with exit status 0 (implies --watch)",
    )


def watching(args: argparse.Namespace) -> bool:
    """Whether the command line asks to watch (``--watch`` or ``--watch-timeout``)."""
    return bool(args.watch or args.watch_timeout is not None)


def watch_list(session: Session) -> int:
    """``list --watch``: the app table, kept up to date."""
    from scale_pilot_nb.cli.inventory import print_apps

    out = session.out
    apps: dict[str, App] = {}
    piped = not out.json and not is_terminal(out.stdout)
    rows = _Rows(out, session.pilot.list_apps() if piped else [])
    for event, app in _events(session, None):
        if out.json:
            out.json_line("list", event=event, app=app.to_dict())
        elif is_terminal(out.stdout):
            if event == "removed":
                apps.pop(app.name, None)
            else:
                apps[app.name] = app
            _redraw(out, f"apps on the NAS ({len(apps)})")
            print_apps(out, list(apps.values()), containers=session.args.all)
        else:
            rows.write(event, app)
    return ExitStatus.OK


def watch_describe(session: Session) -> int:
    """``describe NAME --watch``: the description, drawn again after each change of the app."""
    from scale_pilot_nb.cli.describe import describe_once, print_description

    out, name = session.out, session.args.name
    # no such app: fail now rather than wait for events that never come
    rows = _Rows(out, [session.pilot.app(name)])
    for event, app in _events(session, name):
        if event == "removed":
            if out.json:
                out.json_line("describe", event=event, app=app.to_dict())
            elif is_terminal(out.stdout):
                out.line(f"App {name!r} was removed.")
            else:
                rows.write(event, app)
            break
        if out.json:
            out.json_line("describe", event=event, **describe_once(session, name).to_dict())
        elif is_terminal(out.stdout):
            _redraw(out, f"app {name}")
            print_description(out, describe_once(session, name))
        elif event == "initial":
            print_description(out, describe_once(session, name))
            out.line()
        else:
            rows.write(event, app)
    return ExitStatus.OK


def _events(session: Session, name: str | None) -> Iterator[tuple[WatchEvent, App]]:
    return session.pilot.watch_apps(name, timeout=session.args.watch_timeout)


def _redraw(out: Output, what: str) -> None:
    """Clear the terminal and write the header of a redraw."""
    now = dt.datetime.now().astimezone().strftime("%H:%M:%S")
    out.stdout.write(_CLEAR)
    out.line(out.paint(f"{what} at {now}, live from app.query events (Ctrl-C to stop)", "dim"))
    out.line()


class _Rows:
    """One row per change on a pipe, aligned to ``apps`` (the apps at the start); a column
    widens when a longer cell comes."""

    def __init__(self, out: Output, apps: Iterable[App]) -> None:
        from scale_pilot_nb.cli.inventory import APP_HEADERS, app_row

        self._out = out
        self._headers: Sequence[str] = ("EVENT", *APP_HEADERS)
        self._widths = [len(h) for h in self._headers]
        for app in apps:
            self._widths = _widest(self._widths, ["CHANGED", *app_row(app)])
        self._started = False

    def write(self, event: str, app: App) -> None:
        from scale_pilot_nb.cli.inventory import app_row

        if not self._started:
            self._started = True
            self._write(self._headers)
        self._write([event.upper(), *app_row(app)])

    def _write(self, cells: Sequence[str]) -> None:
        self._widths = _widest(self._widths, cells)
        padded = [c.ljust(w) for c, w in zip(cells, self._widths, strict=True)]
        self._out.line("  ".join(padded).rstrip())
        self._out.stdout.flush()


def _widest(widths: list[int], cells: Sequence[str]) -> list[int]:
    return [max(w, len(c)) for w, c in zip(widths, cells, strict=True)]
