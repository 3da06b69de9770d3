"""Fixtures for the CLI tests: a demo sandbox, an isolated environment and two runners.

``cli`` runs ``main([...])`` in-process (fast: most tests); ``installed`` runs the installed
``scale-compose`` script as a subprocess (the entry point as users meet it). Both point at
the sandbox through ``TRUENAS_*`` variables, and both check that neither the sandbox's
API-key secret nor its password ever appears in stdout or stderr.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb import examples
from scale_pilot_nb.cli import main
from scale_pilot_nb.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "scale-compose"
NGINX = examples.path("nginx.yml")
#: Bounds every subprocess so a hang fails the test instead of the suite.
SUBPROCESS_TIMEOUT = 60


@dataclass
class Result:
    """What one CLI run printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as the one JSON document it must be."""
        return json.loads(self.stdout)


class TerminalInput(io.StringIO):
    """Typed answers on a pretend terminal (for confirmation prompts)."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cwd holding ``nginx.yml``, with no profile or ``.env`` of the user in reach."""
    shutil.copy(NGINX, tmp_path / "nginx.yml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for name in list(os.environ):
        if name.startswith("TRUENAS_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture
def secrets(sandbox: Sandbox) -> list[str]:
    """Values that must never be printed: the API key's secret part and the password."""
    return [sandbox.api_key.split("-", 1)[1], sandbox.password]


@pytest.fixture
def nas_env(sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point this process and subprocesses at the sandbox through the environment."""
    values = {
        "TRUENAS_URL": sandbox.url,
        "TRUENAS_API_KEY": sandbox.api_key,
        "TRUENAS_USERNAME": sandbox.username,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def _checked(result: Result, secrets: list[str]) -> Result:
    for secret in secrets:
        assert secret not in result.stdout
        assert secret not in result.stderr
    return result


@pytest.fixture
def cli(workdir: Path, request: pytest.FixtureRequest) -> Callable[..., Result]:
    """Run ``main(argv)`` in-process; ``stdin=`` feeds prompts."""
    hidden: list[str] = (
        request.getfixturevalue("secrets") if "sandbox" in request.fixturenames else []
    )

    def run(*argv: str, stdin: io.StringIO | None = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), stdout=out, stderr=err, stdin=stdin or io.StringIO())
        return _checked(Result(code, out.getvalue(), err.getvalue()), hidden)

    return run


@pytest.fixture
def installed(workdir: Path, request: pytest.FixtureRequest) -> Callable[..., Result]:
    """Run the installed ``scale-compose`` in ``workdir`` with this process's environment."""
    hidden: list[str] = (
        request.getfixturevalue("secrets") if "sandbox" in request.fixturenames else []
    )

    def run(*argv: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        """``input`` is piped to stdin (then closed); without it stdin is empty."""
        stdin = {"stdin": subprocess.DEVNULL} if input is None else {"input": input}
        done = subprocess.run(
            [str(SCRIPT), *argv],
            capture_output=True,
            text=True,
            cwd=workdir,
            env={**os.environ, **(env or {})},
            **stdin,
            timeout=SUBPROCESS_TIMEOUT,
            check=False,
        )
        return _checked(Result(done.returncode, done.stdout, done.stderr), hidden)

    return run
