"""``logs``: services interleaved by time, prefixes, colour, ``--since/--until``, in-process."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import time
from collections.abc import Callable

import pytest

from scale_pilot_nb.cli import ExitStatus, main
from tests.cli.conftest import Result

Run = Callable[..., Result]
PREFIX = re.compile(r"^(\S+) +\| ")
COLOURED = re.compile(r"^\033\[(\d+)m(\S+) +\|\033\[0m ")


class Terminal(io.StringIO):
    """stdout as a terminal, so colour is allowed."""

    def isatty(self) -> bool:
        return True


def _on_terminal(*argv: str) -> str:
    out = Terminal()
    assert main(list(argv), stdout=out, stderr=io.StringIO(), stdin=io.StringIO()) == 0
    return out.getvalue()


def test_tail_human_and_json(nas_env: dict[str, str], cli: Run) -> None:
    result = cli("logs", "whoami", "--tail", "3")
    assert result.code == ExitStatus.OK
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("whoami  | ") for line in lines)
    document = cli("logs", "photos", "--service", "redis", "-n", "2", "--json").json()
    assert [line["service"] for line in document["lines"]] == ["redis", "redis"]


def test_services_interleave_by_time_behind_padded_prefixes(
    nas_env: dict[str, str], cli: Run
) -> None:
    lines = cli("logs", "photos", "-n", "5", "-t").stdout.splitlines()
    assert len(lines) == 20
    services = [PREFIX.match(line)[1] for line in lines]  # type: ignore[index]
    assert len(set(services)) == 4
    assert {line.index("|") for line in lines} == {len("machine-learning") + 2}
    stamps = [line.split("| ", 1)[1].split(" ", 1)[0] for line in lines]
    assert all(re.fullmatch(r"2025-\d\d-\d\dT[\d:.]+Z", stamp) for stamp in stamps)
    assert stamps == sorted(stamps)
    assert sum(a != b for a, b in itertools.pairwise(services)) > 8  # they take turns
    # the same lines as --json hands out, which are sorted the same way
    document = cli("logs", "photos", "-n", "5", "--json").json()
    assert [ln["data"] for ln in document["lines"]] == [
        ln.split("| ", 1)[1].split(" ", 1)[1] for ln in lines
    ]


def test_no_log_prefix_prints_the_bare_lines(nas_env: dict[str, str], cli: Run) -> None:
    bare = cli("logs", "photos", "-n", "2", "--no-log-prefix").stdout.splitlines()
    document = cli("logs", "photos", "-n", "2", "--json").json()
    assert bare == [line["data"] for line in document["lines"]]


def test_one_stable_colour_per_service_only_on_a_terminal(
    nas_env: dict[str, str], cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    coloured = [
        COLOURED.match(line) for line in _on_terminal("logs", "photos", "-n", "4").splitlines()
    ]
    assert all(coloured)
    pairs = {(m[2], m[1]) for m in coloured if m}  # (service, colour)
    colours = dict(pairs)
    assert len(pairs) == len(colours) == len(set(colours.values())) == 4
    only_db = COLOURED.match(_on_terminal("logs", "photos", "-s", "database", "-n", "1"))
    assert only_db is not None and only_db[1] == colours["database"]
    assert "\033[" not in _on_terminal("logs", "photos", "-n", "4", "--no-color")
    assert "\033[" not in cli("logs", "photos", "-n", "4").stdout  # not a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in _on_terminal("logs", "photos", "-n", "4")


def test_since_and_until_cut_the_window(nas_env: dict[str, str], cli: Run) -> None:
    everything = cli("logs", "photos", "--tail", "all", "--json").json()["lines"]
    since, until = everything[40]["timestamp"], everything[60]["timestamp"]
    window = cli("logs", "photos", "-n", "all", "--since", since, "--until", until, "--json")
    assert window.json()["lines"] == everything[40:61]
    # the demo NAS logged in June 2025: nothing in the last ten minutes, all before them
    assert cli("logs", "photos", "--since", "10m").stdout == ""
    assert len(cli("logs", "photos", "-n", "3", "--until", "1h30m").stdout.splitlines()) == 12


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "yesterday"], "--since: cannot read 'yesterday' as a time"),
        (["--until", "5 minutes"], "--until: cannot read '5 minutes' as a time"),
        (["--since", "1h", "--until", "2h"], "is before since"),
        (["--since=99999999999999"], "--since: '99999999999999' is outside the years 1 to 9999"),
        (["--since=100000000000h"], "--since: '100000000000h' is outside the years 1 to 9999"),
    ],
)
def test_bad_times_are_usage_errors_with_a_hint(
    nas_env: dict[str, str], cli: Run, argv: list[str], message: str
) -> None:
    result = cli("logs", "photos", *argv)
    assert result.code == ExitStatus.USAGE
    assert message in result.stderr
    assert "hint: " in result.stderr
    document = cli("logs", "photos", *argv, "--json").json()
    assert document["error"]["type"] == "UsageError"


def test_tail_takes_a_count_or_all(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("logs", "whoami", "--tail", "lots").code == ExitStatus.USAGE
    assert len(cli("logs", "whoami", "--tail", "ALL").stdout.splitlines()) > 100
    nothing = cli("logs", "whoami", "--tail", "0")
    assert (nothing.code, nothing.stdout) == (ExitStatus.OK, "")
    negative = cli("logs", "whoami", "--tail", "-1")
    assert negative.code == ExitStatus.USAGE
    assert "--tail must be 0 or more, not -1" in negative.stderr
    assert "hint: Pass --tail 0" in negative.stderr  # the CLI's words, not tail=0


def test_follow_with_until_ends_when_until_comes(nas_env: dict[str, str], cli: Run) -> None:
    # the demo NAS's lines are stamped in 2025 and new ones trickle in stamped so: no line
    # past a future --until ever comes, so only the clock can end the follow
    history = cli("logs", "whoami", "-n", "2").stdout
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)).isoformat()
    started = time.monotonic()
    followed = cli("logs", "whoami", "-n", "2", "-f", "--until", soon)
    assert followed.code == ExitStatus.OK
    assert followed.stdout.startswith(history)
    assert 0.9 <= time.monotonic() - started < 10
    # --until already past: the same as without -f
    assert cli("logs", "whoami", "-n", "2", "-f", "--until", "1s").stdout == history
    helped = " ".join(cli("logs", "--help").stdout.split())
    assert "with -f, following ends when TIME comes" in helped
    assert "Following with --until ends when the clock passes --until" in helped


def test_rejects_json_with_follow_and_unknown_service(nas_env: dict[str, str], cli: Run) -> None:
    combined = cli("logs", "whoami", "-f", "--json")
    assert combined.code == ExitStatus.USAGE
    assert combined.json()["error"]["type"] == "UsageError"
    unknown = cli("logs", "photos", "--service", "nope")
    assert unknown.code == ExitStatus.ERROR
    assert "Services:" in unknown.stderr
