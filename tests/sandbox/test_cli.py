"""``scale-compose sandbox``: argument parsing, printed details, start failures."""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scale_pilot_nb import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import cli


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["sandbox", *argv])


def test_defaults_bind_loopback() -> None:
    args = parse()
    assert (args.host, args.port, args.nas_version, args.seed) == ("127.0.0.1", 0, "25.10", "demo")
    assert args.run is cli.run


def test_unknown_version_is_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        parse("--version", "23.10")


def test_bad_seed_returns_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(parse("--seed", "lots")) == 2
    assert "seed must be" in capsys.readouterr().err


def run_until_ready(*argv: str) -> str:
    """Run the command on a thread, stop it once it printed its details, return the output."""
    out, stop = io.StringIO(), threading.Event()
    codes: list[int] = []
    worker = threading.Thread(
        target=lambda: codes.append(cli.run(parse(*argv), stop=stop, out=out))
    )
    worker.start()
    deadline = time.monotonic() + 30
    while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    worker.join(30)
    assert codes == [0]
    return out.getvalue()


def test_prints_url_username_and_key_then_stops() -> None:
    text = run_until_ready("--seed", "empty")
    assert re.search(r"url: +ws://127\.0\.0\.1:\d+/api/current", text)
    assert re.search(r"api key: +1-\w+", text)
    assert "username:   truenas_admin" in text


def test_port_in_use_returns_1(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.run(parse("--port", str(port), "--seed", "empty")) == 1
    assert "cannot start" in capsys.readouterr().err


def test_tls_and_state_file_are_reported(tmp_path: Path) -> None:
    state = tmp_path / "nas.json"
    text = run_until_ready("--seed", "empty", "--tls", "--state", str(state))
    assert re.search(r"url: +wss://127\.0\.0\.1:\d+/api/current", text)
    assert "ca file:" in text and f"state file: {state}" in text
    assert state.exists()  # saved on stop


def test_2410_prints_the_legacy_url_only() -> None:
    text = run_until_ready("--seed", "empty", "--version", "24.10")
    assert re.search(r"url: +ws://127\.0\.0\.1:\d+/websocket", text)
    assert "/api/current" not in text


def test_sigterm_stops_the_process_and_saves_state(tmp_path: Path) -> None:
    state = tmp_path / "nas.json"
    entry = "import sys; from scale_pilot_nb.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", entry, "sandbox", "--seed", "empty"]
    process = subprocess.Popen([*command, "--state", str(state)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "Ctrl-C" in line:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        process.kill()
        process.wait(30)
    assert json.loads(state.read_text())["apps"] == []


def _exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = shlex.split(value)[0]
    return found


def test_print_env_gives_export_lines_a_client_logs_in_with(tmp_path: Path) -> None:
    state = tmp_path / "nas.json"
    first = _exports(run_until_ready("--seed", "empty", "--state", str(state), "--print-env"))
    assert set(first) == {"TRUENAS_URL", "TRUENAS_USERNAME", "TRUENAS_API_KEY"}
    assert "SCALE_PILOT_TARGET" not in first  # moving notebooks stays the user's choice
    # a restart on the same state file keeps the key, so the exported lines still work
    out, stop = io.StringIO(), threading.Event()
    worker = threading.Thread(
        target=cli.run,
        args=(parse("--seed", "empty", "--state", str(state), "--print-env"),),
        kwargs={"stop": stop, "out": out},
    )
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        second = _exports(out.getvalue())
        assert second["TRUENAS_API_KEY"] == first["TRUENAS_API_KEY"]
        manager = TrueNASDockerManager(
            second["TRUENAS_URL"],
            first["TRUENAS_API_KEY"],
            username=first["TRUENAS_USERNAME"],
            history=None,
        )
        pilot = Pilot(manager)
        try:
            assert len(pilot.apps()) == 0
        finally:
            pilot.close()
    finally:
        stop.set()
        worker.join(30)
    assert oct(state.stat().st_mode & 0o777) == "0o600"
