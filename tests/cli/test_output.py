"""Tables that fit 80 columns, colour rules, and the JSON documents."""

from __future__ import annotations

import datetime as dt
import io
import json

from scale_pilot_nb.cli.output import JSON_VERSION, Output, render_table, wants_colour


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_table_columns_align_and_long_cells_are_cut() -> None:
    rows = [["web", "RUNNING", "x" * 200], ["db", "STOPPED", "short"]]
    lines = render_table(["NAME", "STATE", "IMAGE"], rows, width=40)
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].split() == ["NAME", "STATE", "IMAGE"]
    assert lines[1].endswith("…")
    assert lines[2] == "db    STOPPED  short"


def test_narrow_table_never_cuts_below_header_width() -> None:
    lines = render_table(["A", "LONGHEADER"], [["a" * 50, "b" * 50]], width=10)
    assert lines[0].startswith("A")
    assert "LONGHEADER" in lines[0]


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert not wants_colour(io.StringIO(), {})
    assert wants_colour(Terminal(), {})
    assert not wants_colour(Terminal(), {"NO_COLOR": "1"})
    assert not wants_colour(Terminal(), {"TERM": "dumb"})


def test_table_header_bold_and_states_coloured_on_a_terminal() -> None:
    out = Output(Terminal(), io.StringIO(), colour=True)
    out.table(["NAME", "STATE"], [["web", "RUNNING"], ["job", "crashed"]], state_column=1)
    header, web, job = out.stdout.getvalue().splitlines()
    assert header == "\033[1mNAME\033[0m  \033[1mSTATE\033[0m"
    assert web == "web   \033[32mRUNNING\033[0m"
    assert job == "job   \033[31mcrashed\033[0m"


def test_no_colour_codes_without_colour() -> None:
    out = Output(Terminal(), io.StringIO(), colour=False)
    out.table(["NAME", "STATE"], [["web", "RUNNING"]], state_column=1)
    assert out.stdout.getvalue() == "NAME  STATE\nweb   RUNNING\n"


def test_document_and_failure_are_one_json_document_each() -> None:
    out = Output(io.StringIO(), io.StringIO(), json=True)
    out.document("list", apps=[])
    assert json.loads(out.stdout.getvalue()) == {
        "version": JSON_VERSION,
        "command": "list",
        "apps": [],
    }
    failed = Output(io.StringIO(), io.StringIO(), json=True)
    failed.failure({"type": "X", "message": "m"}, "scale-compose: error: m")
    assert json.loads(failed.stdout.getvalue()) == {
        "version": 1,
        "error": {"type": "X", "message": "m"},
    }
    assert failed.stderr.getvalue() == "scale-compose: error: m\n"


def test_a_datetime_in_a_document_is_iso_8601_in_utc() -> None:
    out = Output(io.StringIO(), io.StringIO(), json=True)
    out.document("logs", when=dt.datetime(2026, 12, 3, 15, 26, 23), what=ValueError("x"))
    document = json.loads(out.stdout.getvalue())
    assert (document["when"], document["what"]) == ("2026-12-03T15:26:23+00:00", "x")


def test_failure_without_json_writes_stderr_only() -> None:
    out = Output(io.StringIO(), io.StringIO())
    out.failure({"type": "X"}, "scale-compose: error: m")
    assert out.stdout.getvalue() == ""
    assert out.stderr.getvalue() == "scale-compose: error: m\n"
