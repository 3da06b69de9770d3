"""``exec``: commands in app containers through the web shell, against the sandbox over sockets.

The sandbox's container runs a simulated ``sh`` (never a host command), behind the same
``/websocket/shell`` protocol as TrueNAS; these tests go through the SDK's real wire.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

from scale_pilot_nb.errors import (
    AppNotFoundError,
    ArgumentError,
    CallTimeoutError,
    ConnectionError,
    ContainerNotRunningError,
    ExecError,
    ServiceChoiceError,
    ShellRefusedError,
)
from scale_pilot_nb.manager import shells
from scale_pilot_nb.manager.exec_script import (
    MAX_LINE_BYTES,
    ExecResult,
    Markers,
    OutputReader,
    command_line,
    program_name,
    script_for,
)
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.rpc.factory import make_client
from scale_pilot_nb.rpc.options import Timeouts
from scale_pilot_nb.sandbox import Sandbox


def _key_pilot(sandbox: Sandbox, url: str | None = None) -> Pilot:
    manager = TrueNASDockerManager(
        url or sandbox.url, sandbox.api_key, username=sandbox.username, history=False
    )
    return Pilot(manager)


def _password_pilot(sandbox: Sandbox, url: str) -> Pilot:
    manager = TrueNASDockerManager(
        url, username=sandbox.username, password=sandbox.password, history=False
    )
    return Pilot(manager)


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    with _key_pilot(sandbox) as p:
        yield p


# -- against the sandbox ---------------------------------------------------------------------


def test_output_and_exit_status_come_back(pilot: Pilot) -> None:
    result = pilot.exec("whoami", "echo hello; whoami; exit 7")
    assert (result.output, result.exit_code, result.ok) == ("hello\nroot\n", 7, False)
    assert (result.app, result.service, len(result.container_id)) == ("whoami", "whoami", 64)
    assert pilot.exec("whoami", "true").exit_code == 0
    assert pilot.exec("whoami", ["false"]).exit_code == 1
    missing = pilot.exec("whoami", ["no-such-tool", "x"])
    assert (missing.output, missing.exit_code) == ("sh: no-such-tool: not found\n", 127)


def test_output_without_final_newline_and_empty_output(pilot: Pilot) -> None:
    assert pilot.exec("whoami", ["printf", "a\\nb"]).output == "a\nb"
    assert pilot.exec("whoami", ["true"]).output == ""


def test_argv_words_reach_the_program_unchanged(pilot: Pilot) -> None:
    words = ["a b", "$HOME", "it's", ";", "&&", '"q"', "\\n"]
    result = pilot.exec("whoami", ["printf", "%s|", *words])
    assert result.output == "|".join(words) + "|"
    assert result.exit_code == 0


def test_a_string_runs_under_sh_c_with_the_services_environment(pilot: Pilot) -> None:
    result = pilot.exec("photos", "printenv POSTGRES_USER && echo $POSTGRES_DB", "database")
    assert (result.output, result.service) == ("immich\nimmich\n", "database")
    assert (
        pilot.exec("whoami", "cat /etc/hostname").output == pilot.exec("whoami", "hostname").output
    )


def test_output_is_streamed_as_it_arrives(pilot: Pilot) -> None:
    pieces: list[str] = []
    result = pilot.exec("whoami", "echo one; echo two", on_output=pieces.append)
    assert "".join(pieces) == result.output == "one\ntwo\n"


def test_service_choice_errors_name_the_services(pilot: Pilot) -> None:
    with pytest.raises(ServiceChoiceError) as several:
        pilot.exec("photos", "true")
    assert "database, machine-learning, redis, server" in str(several.value)
    with pytest.raises(ServiceChoiceError) as unknown:
        pilot.exec("photos", "true", service="nope")
    assert "database" in (unknown.value.hint or "")


def test_stopped_or_missing_apps_are_typed_errors(pilot: Pilot) -> None:
    with pytest.raises(ContainerNotRunningError) as stopped:
        pilot.exec("syncthing", "true")
    assert "start" in (stopped.value.hint or "")
    with pytest.raises(AppNotFoundError):
        pilot.exec("ghost", "true")
    with pytest.raises(ArgumentError):
        pilot.exec("Bad_Name", "true")
    with pytest.raises(ArgumentError):  # both public entry points check the name
        pilot.run(pilot.manager.open_shell("Bad_Name"))


def test_a_stopped_service_is_not_an_unknown_one(pilot: Pilot, sandbox: Sandbox) -> None:
    def stop_redis() -> None:
        app = sandbox.model.apps["photos"]
        next(c for c in app.containers if c.service == "redis").state = "exited"

    sandbox.call_in_loop(stop_redis)
    with pytest.raises(ContainerNotRunningError, match="'redis' of app 'photos' is not running"):
        pilot.exec("photos", "true", service="redis")


def test_timeout_ends_the_session(pilot: Pilot) -> None:
    with pytest.raises(CallTimeoutError, match=r"within 0\.3 s"):
        pilot.exec("whoami", "sleep 30", timeout=0.3)
    assert pilot.exec("whoami", "echo after").output == "after\n"  # the connection is fine


def test_24_10_refuses_api_key_sessions_and_accepts_passwords(legacy_sandbox: Sandbox) -> None:
    with (
        _key_pilot(legacy_sandbox, legacy_sandbox.legacy_url) as keyed,
        pytest.raises(ShellRefusedError) as refused,
    ):
        keyed.exec("whoami", "true")
    assert "username and password" in (refused.value.hint or "")
    with _password_pilot(legacy_sandbox, legacy_sandbox.legacy_url) as p:
        result = p.exec("whoami", "echo on 24.10; exit 3")
    assert (result.output, result.exit_code) == ("on 24.10\n", 3)


def test_missing_web_shell_privilege_is_refused(sandbox: Sandbox, pilot: Pilot) -> None:
    sandbox.web_shell = False
    with pytest.raises(ShellRefusedError) as refused:
        pilot.exec("whoami", "true")
    assert "web_shell" in (refused.value.hint or "")


def test_no_secret_in_results_or_errors(
    sandbox: Sandbox,
    pilot: Pilot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens: list[str] = []
    call = pilot.manager.client.call

    async def recording(method: str, *params: Any, **options: Any) -> Any:
        """The real call; shell tokens are kept so the test can look for them."""
        answer = await call(method, *params, **options)
        if method == "auth.generate_token":
            tokens.append(str(answer))
        return answer

    monkeypatch.setattr(pilot.manager.client, "call", recording)
    caplog.set_level(logging.DEBUG)
    result = pilot.exec("whoami", "env")
    shell = pilot.run(pilot.manager.open_shell("whoami"))
    try:
        shell_reprs = [repr(shell), repr(vars(shell))]  # vars: its ShellChannel and client
    finally:
        pilot.run(shell.close())
    with pytest.raises(CallTimeoutError) as slow:
        pilot.exec("whoami", "sleep 30", timeout=0.3)
    sandbox.web_shell = False
    with pytest.raises(ShellRefusedError) as refused:
        pilot.exec("whoami", "true")
    assert len(tokens) == 4 and all(len(token) >= 16 for token in tokens)
    errors = [str(slow.value), repr(slow.value), str(refused.value), repr(refused.value)]
    shown = [repr(result), str(result.to_dict()), *shell_reprs, *errors, caplog.text]
    secrets = [*tokens, sandbox.api_key.split("-", 1)[1], sandbox.password]
    leaked = [n for n, secret in enumerate(secrets) if any(secret in text for text in shown)]
    assert leaked == []  # indices into secrets, so a failure does not print them


def test_errors_name_the_program_not_the_command_line(pilot: Pilot) -> None:
    with pytest.raises(CallTimeoutError) as slow:
        pilot.exec("whoami", "sleep 30 || mysql -pHUNTER2", timeout=0.3)
    assert "sleep" in str(slow.value) and "HUNTER2" not in str(slow.value)
    assert program_name(["mysql", "-pS3CRET"]) == "mysql"
    assert program_name("PGPASSWORD=S3CRET psql -c 'select 1'") == "psql"
    assert program_name("A=1 B=2") == "the command"


def test_a_failed_start_does_not_quote_the_typed_command() -> None:
    """The terminal echoes the typed line (command included) before the shell runs it."""
    markers = Markers.new()
    reader = OutputReader(markers)
    typed = script_for(command_line(["mysql", "-pHUNTER2"]), markers)
    reader.feed(b"# " + typed.replace(b"\n", b"\r\n") + b"sh: killed\r\n")
    with pytest.raises(ExecError) as failed:
        reader.finish()
    assert "sh: killed" in str(failed.value) and "HUNTER2" not in str(failed.value)


def test_a_results_repr_names_only_the_program() -> None:
    typed = command_line(["mysql", "-pHUNTER2", "-e", "x" * 5000])
    result = ExecResult("a", "s", "c" * 64, typed, "one\ntwo", 0, 0.1)
    assert repr(result) == "<ExecResult a/s mysql(...): exit 0, 2 line(s)>"
    assert result.to_dict()["command"] == typed  # the caller's own result keeps it whole
    via_sh = ExecResult("a", "s", "c", command_line("PGPASSWORD=x psql -c 1"), "", None, 0)
    assert "psql(...)" in repr(via_sh) and "PGPASSWORD" not in repr(via_sh)
    assert "x" * 100 not in repr(ExecResult("a", "s", "c", "x" * 5000, "", 0, 0))


def test_output_past_the_cap_is_a_typed_error(
    pilot: Pilot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shells, "MAX_OUTPUT_CHARS", 2**20)
    assert pilot.exec("whoami", ["printf", "x" * 3000]).output == "x" * 3000
    monkeypatch.setattr(shells, "MAX_OUTPUT_CHARS", 1000)
    with pytest.raises(ExecError, match="printed more than") as large:
        pilot.exec("whoami", ["printf", "x" * 3000])
    assert large.value.hint
    assert pilot.exec("whoami", "echo after").output == "after\n"  # the session was closed


async def test_a_shell_that_never_answers_is_a_connection_error(sandbox: Sandbox) -> None:
    client = make_client(
        sandbox.url,
        api_key=sandbox.api_key,
        username=sandbox.username,
        timeouts=Timeouts(connect=0.5),
    )
    sandbox.mute_shells()
    async with TrueNASDockerManager(client=client, history=False) as manager:
        started = time.monotonic()
        with pytest.raises(
            ConnectionError, match=r"did not answer the token within 0\.5 s"
        ) as hung:
            async with asyncio.timeout(10):
                await manager.open_shell("whoami")
        assert time.monotonic() - started < 5
        assert "Shell" in (hung.value.hint or "")
        sandbox.mute_shells(False)
        assert (await manager.exec("whoami", "echo again")).output == "again\n"


async def test_interactive_shell_resizes_and_ends(sandbox: Sandbox) -> None:
    async with (
        TrueNASDockerManager(
            sandbox.url, sandbox.api_key, username=sandbox.username, history=False
        ) as manager,
        await manager.open_shell("whoami") as shell,
    ):
        await shell.resize(100, 40)
        await shell.send(b"stty size\rexit 5\r")  # typed ahead, in one frame
        seen = b""
        async with asyncio.timeout(5):
            while (chunk := await shell.receive()) is not None:
                seen += chunk
    # typed-ahead keys are echoed at once, as a PTY does; output follows as each line runs
    assert seen == b"# stty size\r\nexit 5\r\n40 100\r\n# "


async def test_a_missing_program_ends_the_session_with_dockers_message(sandbox: Sandbox) -> None:
    async with TrueNASDockerManager(
        sandbox.url, sandbox.api_key, username=sandbox.username, history=False
    ) as manager:
        shell = await manager.open_shell("whoami", command="ls -la")  # one argv element
        async with shell, asyncio.timeout(5):
            said = b""
            while (chunk := await shell.receive()) is not None:
                said += chunk
    assert b'exec: "ls -la": executable file not found' in said
    # what the non-interactive path reports when /bin/sh itself is missing
    with pytest.raises(ExecError, match="executable file not found"):
        parse_output(said, _m())


# -- pure parts --------------------------------------------------------------------------------


def _m() -> Markers:
    return Markers(("S1", "S2"), ("R1", "R2"))


def parse_output(raw: bytes, markers: Markers) -> tuple[str, int | None]:
    """The output and status :class:`OutputReader` reads from everything a terminal sent."""
    reader = OutputReader(markers)
    output = reader.feed(raw) + reader.finish()
    return output, reader.exit_code


def _terminal(output: bytes) -> bytes:
    """What a terminal shows for one run: echo, prompt, markers, output, colours."""
    echo = b"# stty -echo; printf '\\n%s%s\\n' S1 S2; cmd; printf '\\n%s%s%s\\n' R1 R2 \"$?\"\r\n"
    return echo + b"\r\nS1S2\r\n" + output + b"\r\nR1R2" + b"42\r\n"


def test_parse_output_strips_echo_prompt_crlf_and_ansi() -> None:
    raw = _terminal(b"\x1b[31mred\x1b[0m line\r\nlast")
    assert parse_output(raw, _m()) == ("red line\nlast", 42)


def test_output_read_byte_by_byte_is_the_same() -> None:
    raw = _terminal("\x1b[1mé\x1b[0m\r\n".encode())
    reader = OutputReader(_m())
    text = "".join(reader.feed(raw[i : i + 1]) for i in range(len(raw))) + reader.finish()
    assert (text, reader.exit_code) == ("é\n", 42)


def test_no_status_marker_means_unknown_status() -> None:
    assert parse_output(b"\r\nS1S2\r\npartial", _m()) == ("partial", None)


def test_command_lines_and_limits() -> None:
    assert command_line(["ls", "-l", "/my dir"]) == "ls -l '/my dir'"
    assert command_line("echo $HOME") == "sh -c 'echo $HOME'"
    for bad in ("", ["a\nb"], [], [1], "x\ny"):
        with pytest.raises(ArgumentError):
            command_line(bad)  # type: ignore[arg-type]
    with pytest.raises(ArgumentError, match="too long"):
        script_for("x" * MAX_LINE_BYTES, Markers.new())
