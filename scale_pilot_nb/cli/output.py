"""Where and how ``scale-compose`` writes: tables or one JSON document, colour, errors.

Data goes to stdout, everything else (progress, warnings, errors) to stderr, so
``scale-compose list --json | jq`` always parses. Colour is used only when the stream is a
terminal and ``NO_COLOR`` is unset (https://no-color.org).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

__all__ = [
    "JSON_VERSION",
    "TABLE_WIDTH",
    "Output",
    "cli_phrasing",
    "is_terminal",
    "render_table",
    "state_style",
    "wants_colour",
]

#: Version of the ``--json`` documents; bumped when a key changes meaning or disappears.
JSON_VERSION = 1
#: Tables are cut to fit this many columns.
TABLE_WIDTH = 80

_STYLES = {"good": "32", "bad": "31", "warn": "33", "dim": "2", "bold": "1"}
_STATE_STYLES = {"RUNNING": "good", "CRASHED": "bad", "DEPLOYING": "warn", "STOPPING": "warn"}
_ELLIPSIS = "…"

#: The library's errors speak Python (``Pass api_key=...``); a CLI user is told the flag or the
#: command instead. In order: a Python call offered beside a CLI one is dropped first.
_CLI_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"pilot\.\w+\([^()]*\) or (`scale-compose [^`]+`)", r"\1"),
        (
            r"Call pilot\.(delete|restore)\('([^']*)', confirm=True\)",
            r"Run `scale-compose \1 \2 --yes`",
        ),
        (
            r"Call pilot\.sync\(\.\.\., prune=True, confirm=True\)",
            "Run `scale-compose sync DIR --prune --yes`",
        ),
        (r"pilot\.history\(name\)", "`scale-compose history NAME`"),
        (r"pilot\.logs\(name\)", "`scale-compose logs NAME`"),
        (r"pilot\.apps\(\)", "`scale-compose list`"),
        (r"pilot\.export\((path)?\)", "`scale-compose export DIR`"),
        (
            r"rollback\(name, secrets=\{[^}]*\}\) \(or 'service\.VARIABLE' keys\)",
            "--secrets-file FILE of VARIABLE=value (or service.VARIABLE=value) lines",
        ),
        (r"\bapi_key=(\.\.\.)?", "--api-key-file FILE"),
        (r"\busername= and password=", "--username and --password-file FILE"),
        (r"\busername=/password=", "--username/--password-file FILE"),
        (r"\burl=(\.\.\.)?", "--url HOST"),
        (r"Pass ca_file= with", "Set TRUENAS_CA_FILE to"),
        (r"\bverify_ssl=False", "--insecure"),
        (r"\bother_nas=True", "--other-nas"),
        (r"\bskip_invalid=True", "--skip-invalid"),
        (r"\bsplit=True", "--split"),
        (r"\bmode='(\w+)'", r"--mode \1"),
        (r"\bvariables=(\{\.\.\.\}|\.\.\.)", "--env-file FILE"),
        (r"\bvalidate\(\)", "`scale-compose validate FILE`"),
    )
)


def wants_colour(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """True when ``stream`` is a terminal and neither ``NO_COLOR`` nor ``TERM=dumb`` is set."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return is_terminal(stream)


def is_terminal(stream: object) -> bool:
    """True when ``stream`` is an interactive terminal (False for files, pipes, StringIO)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def cli_phrasing(text: str) -> str:
    """``text`` (an error or its hint) with the library's Python phrasings said as the CLI's
    flags and commands: ``pilot.logs(name)`` → ``scale-compose logs NAME``, ``api_key=...`` →
    ``--api-key-file FILE``."""
    for pattern, replacement in _CLI_PHRASES:
        text = pattern.sub(replacement, text)
    return text


def state_style(state: str) -> str | None:
    """The style of an app state: RUNNING good, CRASHED bad, in-between warn, else None."""
    return _STATE_STYLES.get(state)


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int = TABLE_WIDTH,
    decorate: Callable[[int, int, str], str] | None = None,
) -> list[str]:
    """Lay ``rows`` out in columns, shrinking the widest columns until a line fits ``width``.

    Cut cells end in ``…``; no column shrinks below its header's width. ``decorate(row,
    column, padded_cell)`` may wrap each laid-out cell (colour codes), row 0 being the header.
    """
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    gaps = 2 * (len(headers) - 1)
    while sum(widths) + gaps > width:
        widest = max(range(len(widths)), key=lambda i: (widths[i] - len(headers[i]), i))
        if widths[widest] <= max(len(headers[widest]), 4):
            break
        widths[widest] -= 1
    lines = []
    for row, line in enumerate([list(headers), *rows]):
        cells = [_fit(cell, w) for cell, w in zip(line, widths, strict=True)]
        cells[-1] = cells[-1].rstrip()
        if decorate is not None:
            cells = [decorate(row, column, cell) for column, cell in enumerate(cells)]
        lines.append("  ".join(cells))
    return lines


def _fit(cell: str, width: int) -> str:
    if len(cell) > width:
        return cell[: width - 1] + _ELLIPSIS
    return cell.ljust(width)


@dataclass
class Output:
    """The streams of one command run and how to write to them.

    Attributes:
        stdout: data (tables or the JSON document).
        stderr: progress, notes and errors.
        json: write one JSON document instead of tables.
        colour: colour stdout (a terminal without ``NO_COLOR``).
        colour_err: colour stderr.
    """

    stdout: TextIO
    stderr: TextIO
    json: bool = False
    colour: bool = False
    colour_err: bool = False

    @classmethod
    def for_streams(cls, stdout: TextIO, stderr: TextIO, *, json: bool) -> Output:
        """An output deciding colour from the streams and the environment."""
        return cls(stdout, stderr, json, wants_colour(stdout), wants_colour(stderr))

    def document(self, command: str, **data: Any) -> None:
        """Write the one JSON document of a run: ``{"version": 1, "command": ..., **data}``."""
        self._write_json({"version": JSON_VERSION, "command": command, **data})

    def json_line(self, command: str, **data: Any) -> None:
        """Write one compact JSON object on a line of its own (NDJSON, for streams such as
        ``list --watch --json``): ``{"version": 1, "command": ..., **data}``, flushed."""
        payload = {"version": JSON_VERSION, "command": command, **data}
        self.stdout.write(json.dumps(payload, default=_json_text) + "\n")
        self.stdout.flush()

    def line(self, text: str = "") -> None:
        """Write one line of human output to stdout."""
        self.stdout.write(text + "\n")

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        state_column: int | None = None,
    ) -> None:
        """Write a table to stdout; on a terminal the header is bold and states coloured."""

        def decorate(row: int, column: int, cell: str) -> str:
            if row == 0:
                return _paint(cell, "bold")
            style = state_style(cell.strip().upper()) if column == state_column else None
            return _paint(cell, style) if style else cell

        for text in render_table(headers, rows, decorate=decorate if self.colour else None):
            self.line(text)

    def note(self, text: str, style: str | None = None) -> None:
        """Write one line to stderr (progress, warnings, hints)."""
        if style and self.colour_err:
            text = _paint(text, style)
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def paint(self, text: str, style: str) -> str:
        """``text`` in ``style`` (good, bad, warn, dim, bold) when stdout is coloured."""
        return _paint(text, style) if self.colour else text

    def failure(self, error: Mapping[str, Any], text: str) -> None:
        """Report a failed run: ``{"version": 1, "error": ...}`` on stdout with ``--json``,
        and always ``text`` on stderr; both say hints as CLI flags (:func:`cli_phrasing`)."""
        if self.json:
            hint = error.get("hint")
            shown = {**error, "hint": cli_phrasing(hint)} if isinstance(hint, str) else error
            self._write_json({"version": JSON_VERSION, "error": dict(shown)})
        self.note(cli_phrasing(text), "bad")

    def _write_json(self, payload: Mapping[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, indent=2, default=_json_text) + "\n")
        self.stdout.flush()


def _json_text(value: object) -> str:
    """What JSON cannot hold as text: a datetime in the one timestamp form, anything else str."""
    if isinstance(value, dt.datetime):
        from scale_pilot_nb.records._base import iso_timestamp  # the records pull in rpc

        return iso_timestamp(value)
    return str(value)


def _paint(text: str, style: str) -> str:
    return f"\033[{_STYLES[style]}m{text}\033[0m"
