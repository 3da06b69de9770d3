"""Targets are explicit: TRUENAS_* variables never move the demo, a notebook or nbval off the
embedded sandbox; only a notebook's ``target`` parameter or SCALE_PILOT_TARGET=nas do.

The "real NAS" exported in these tests is an address where nothing listens: a run that went
there would fail to connect, so passing proves it stayed on the sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import scale_pilot_nb as sp
from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.pilot.targets import TARGET_ENV

ROOT = Path(__file__).resolve().parents[1]
NOWHERE = {"TRUENAS_URL": "ws://127.0.0.1:9/api/current", "TRUENAS_API_KEY": "1-not-a-real-key"}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != TARGET_ENV}
    return {**env, **NOWHERE, **extra}


def test_truenas_variables_alone_leave_the_default_on_the_sandbox(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in NOWHERE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(TARGET_ENV, raising=False)
    assert sp.default_target() == "sandbox"
    monkeypatch.setenv(TARGET_ENV, "nas")
    assert sp.default_target() == "nas"


def test_the_sandbox_target_says_so_and_works(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in NOWHERE.items():
        monkeypatch.setenv(name, value)
    pilot = sp.connect_target("sandbox")
    try:
        assert pilot.sandbox is not None
        assert len(pilot.apps()) == 9  # the demo seed
    finally:
        pilot.close()
    assert "Target: embedded sandbox at ws://127.0.0.1:" in capsys.readouterr().out


def test_the_nas_target_connects_where_the_settings_say_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with sp.Sandbox(seed="empty") as nas:  # stands in for the user's real NAS
        monkeypatch.setenv("TRUENAS_URL", nas.url)
        monkeypatch.setenv("TRUENAS_API_KEY", nas.api_key)
        monkeypatch.setenv("TRUENAS_USERNAME", nas.username)
        pilot = sp.connect_target("nas")
        try:
            assert pilot.sandbox is None
            assert len(pilot.apps()) == 0
        finally:
            pilot.close()
        assert f"Target: the real NAS at {nas.url}" in capsys.readouterr().out


def test_an_unknown_target_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'sandbox' or 'nas'") as caught:
        sp.connect_target("prod")
    assert TARGET_ENV in (caught.value.hint or "")


@pytest.mark.slow
def test_make_demo_stays_on_the_sandbox_with_truenas_variables_exported() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scale_pilot_nb.notebook.demo"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Target: embedded sandbox" in done.stdout
    assert "127.0.0.1:9/" not in done.stdout


@pytest.mark.slow
def test_nbval_stays_on_the_sandbox_with_truenas_variables_exported() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            "notebooks/nbval-sanitize.cfg",
            "notebooks/03-inventory-analysis.ipynb",
        ],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout
