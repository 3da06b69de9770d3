"""The sandbox's ``/websocket/shell`` and ``auth.generate_token``, frame by frame.

Raw ``websockets`` frames, not the SDK: these pin the protocol the middleware speaks
(``docs/exec-design.md``), which the SDK's exec is then tested against.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.container_sh import ContainerInfo, SimulatedShell, Terminal
from tests.sandbox.sandbox_frames import WAIT, Raw


def _shell_url(sandbox: Sandbox) -> str:
    return sandbox.url.replace("/api/current", "/websocket/shell")


async def _token(sandbox: Sandbox, *, password: bool = False, params: Any = None) -> Any:
    """A token from a logged-in API session (answer frame on errors)."""
    url = sandbox.legacy_url if sandbox.version == "24.10" else sandbox.url
    raw = await Raw.open(url)
    try:
        if password:
            assert await raw.result("auth.login", sandbox.username, sandbox.password) is True
        else:
            await raw.login(sandbox.api_key)
        default = [300, {}, True] if sandbox.version == "24.10" else [300, {}, True, True]
        frame = await raw.call("auth.generate_token", *(params or default))
        return frame.get("result", frame)
    finally:
        await raw.close()


async def _container(sandbox: Sandbox, app: str = "whoami") -> str:
    raw = await Raw.open(sandbox.legacy_url)
    try:
        await raw.login(sandbox.api_key)
        choices = await raw.result("app.container_console_choices", app)
        return str(next(iter(choices)))
    finally:
        await raw.close()


async def _hello(ws: ClientConnection, token: Any, cid: str, command: str = "/bin/sh") -> None:
    options = {"app_name": "whoami", "container_id": cid, "command": command}
    await ws.send(json.dumps({"token": token, "options": options}))


async def _next_text(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        frame = await ws.recv()
    assert isinstance(frame, str)
    return dict(json.loads(frame))


async def _drain(ws: ClientConnection) -> bytes:
    """Binary output until the server closes; asserts the frame size limit."""
    seen = b""
    async with asyncio.timeout(WAIT):
        try:
            while True:
                frame = await ws.recv()
                assert isinstance(frame, bytes) and len(frame) <= 1024
                seen += frame
        except ConnectionClosed:
            return seen


async def test_bad_token_fails_and_the_socket_stays_open(sandbox: Sandbox) -> None:
    cid = await _container(sandbox)
    async with connect(_shell_url(sandbox)) as ws:
        await ws.send("not json")  # ignored before authentication
        await ws.send(json.dumps({"options": {}}))  # no token: ignored too
        await _hello(ws, "wrong", cid)
        assert await _next_text(ws) == {
            "msg": "failed",
            "error": {"error": 207, "reason": "Invalid token"},
        }
        await _hello(ws, await _token(sandbox), cid)
        connected = await _next_text(ws)
        assert connected["msg"] == "connected" and connected["id"]
        await ws.send(b"stty -echo; echo hi; echo " + b"x" * 3000 + b"\rexit\r")
        output = await _drain(ws)
    assert b"\r\nhi\r\n" + b"x" * 3000 + b"\r\n# " in output


async def test_unknown_container_closes_without_json(sandbox: Sandbox) -> None:
    async with connect(_shell_url(sandbox)) as ws:
        await _hello(ws, await _token(sandbox), "0" * 64)
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT):
                await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000


async def test_single_use_tokens_on_25_x_reusable_on_24_10(
    sandbox: Sandbox, legacy_sandbox: Sandbox
) -> None:
    for nas, second in ((sandbox, "failed"), (legacy_sandbox, "connected")):
        token = await _token(nas, password=True)
        cid = await _container(nas)
        for expected in ("connected", second):
            async with connect(_shell_url(nas)) as ws:
                await _hello(ws, token, cid)
                assert (await _next_text(ws))["msg"] == expected


async def test_token_arguments_per_release(legacy_sandbox: Sandbox, sandbox: Sandbox) -> None:
    four = await _token(legacy_sandbox, password=True, params=[300, {}, True, True])
    assert "auth.generate_token" in json.dumps(four["error"])  # 24.10 takes three arguments
    assert isinstance(await _token(sandbox, params=[300, {}, True, False]), str)


async def test_24_10_refuses_api_key_tokens(legacy_sandbox: Sandbox) -> None:
    cid = await _container(legacy_sandbox)
    shell_url = legacy_sandbox.legacy_url + "/shell"
    async with connect(shell_url) as ws:
        await _hello(ws, await _token(legacy_sandbox), cid)
        assert (await _next_text(ws))["msg"] == "failed"
        await _hello(ws, await _token(legacy_sandbox, password=True), cid)
        assert (await _next_text(ws))["msg"] == "connected"


async def test_muted_shells_read_tokens_and_never_answer(sandbox: Sandbox) -> None:
    """The fault behind the SDK's handshake timeout: a NAS that takes the token, then hangs."""
    cid = await _container(sandbox)
    sandbox.mute_shells()
    async with connect(_shell_url(sandbox)) as ws:
        await _hello(ws, await _token(sandbox), cid)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await ws.recv()
    sandbox.mute_shells(False)
    async with connect(_shell_url(sandbox)) as ws:
        await _hello(ws, await _token(sandbox), cid)
        assert (await _next_text(ws))["msg"] == "connected"


async def test_web_shell_privilege_is_required(sandbox: Sandbox) -> None:
    sandbox.web_shell = False
    cid = await _container(sandbox)
    async with connect(_shell_url(sandbox)) as ws:
        await _hello(ws, await _token(sandbox, password=True), cid)
        assert (await _next_text(ws))["msg"] == "failed"


async def test_a_text_frame_kills_the_session(sandbox: Sandbox) -> None:
    cid = await _container(sandbox)
    async with connect(_shell_url(sandbox)) as ws:
        await _hello(ws, await _token(sandbox), cid)
        assert (await _next_text(ws))["msg"] == "connected"
        await ws.send("echo typed as text\r")
        output = await _drain(ws)
    assert b"typed as text" not in output


async def test_resize_needs_a_live_shell(sandbox: Sandbox) -> None:
    raw = await Raw.open(sandbox.url)
    try:
        await raw.login(sandbox.api_key)
        frame = await raw.call("core.resize_shell", "nope", 80, 24)
    finally:
        await raw.close()
    assert "Shell does not exist" in json.dumps(frame["error"])


# -- the simulated shell on its own ---------------------------------------------------------


async def _run(*lines: str, echo: bool = True) -> str:
    written: list[bytes] = []
    terminal = Terminal(written.append)
    terminal.echo = echo
    shell = SimulatedShell(terminal, ContainerInfo("f" * 64, "web", "nginx", {"A": "1"}))
    running = asyncio.get_running_loop().create_task(shell.run())
    await asyncio.sleep(0)  # the first prompt, then the keys
    terminal.type("".join(f"{line}\r" for line in lines).encode())
    async with asyncio.timeout(WAIT):
        await running
    return b"".join(written).decode()


async def test_simulated_shell_echoes_typed_keys_until_stty_minus_echo() -> None:
    assert await _run("echo one", "stty -echo", "echo two", "exit") == (
        "# echo one\r\nstty -echo\r\necho two\r\nexit\r\n"  # typed ahead: echoed at once
        "one\r\n# # two\r\n# "
    )


async def test_simulated_shell_language() -> None:
    text = await _run(
        "false; echo $?",
        "false && echo no || echo yes",
        "printf '%s-%d\\n' a 7 b x",
        "echo \"$A\" '$A' ${A}",
        "nope 2>/dev/null; echo $?",
        "sh -c 'exit 4'; echo $?",
        "cat /etc/hostname /missing",
        "exit 9",
        echo=False,
    )
    assert text.replace("\r\n", "\n") == (
        "# 1\n# yes\n# a-7\nb-0\n# 1 $A 1\n# 127\n# 4\n"
        "# ffffffffffff\ncat: /missing: No such file or directory\n# "
    )
