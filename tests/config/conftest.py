"""Fixtures shared by the settings tests: a hermetic home and a working directory."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """A hermetic environment: empty except XDG_CONFIG_HOME inside tmp_path."""
    return {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    directory = tmp_path / "work"
    directory.mkdir()
    return directory
