"""A real install: the built wheel installs in a fresh venv and works outside the repository.

The distributions are built as ``python -m build`` builds them (the sdist, then the wheel from
it), with no warning, and pass ``twine check --strict``. The wheel is then installed with its
dependencies into a new venv (no system site-packages, no editable install) and run from an
empty directory: the CLI on the embedded sandbox, the packaged examples (the deploy form's
picker) and ``py.typed``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = ["nginx.yml", "postgres.yml", "redis.yml", "wordpress-stack.yml"]
#: Bounds the build and the venv's install (its dependencies may come from PyPI).
SUBPROCESS_TIMEOUT = 240

pytestmark = pytest.mark.slow

#: Run in the fresh venv: where the examples are, what the picker offers, whether py.typed is.
INSTALLED_CHECK = """
import json
from importlib.resources import files

import scale_pilot_nb as sp
from scale_pilot_nb import examples

with sp.connect(sandbox=True) as pilot:
    picker = list(pilot.deploy_form().example_picker.options)
print(json.dumps({
    "examples": str(examples.path()),
    "picker": picker,
    "py.typed": (files("scale_pilot_nb") / "py.typed").is_file(),
}))
"""


@dataclass
class Dist:
    folder: Path
    log: str

    @property
    def wheel(self) -> Path:
        (wheel,) = self.folder.glob("*.whl")
        return wheel


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    folder = tmp_path_factory.mktemp("dist")
    # A user's build byte-compiles; PYTHONDONTWRITEBYTECODE would make setuptools warn.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    log = run(sys.executable, "-m", "build", "--outdir", folder, REPO, cwd=folder, env=env)
    return Dist(folder, log)


def test_the_build_prints_no_warning(dist: Dist) -> None:
    warnings = [line for line in dist.log.splitlines() if re.search("warn|deprecat", line, re.I)]
    assert warnings == []


def test_twine_check_is_clean(dist: Dist) -> None:
    files = sorted(dist.folder.iterdir())
    assert sorted(p.suffix for p in files) == [".gz", ".whl"]
    assert "PASSED" in run(
        sys.executable, "-m", "twine", "check", "--strict", *files, cwd=dist.folder
    )


def test_the_wheel_declares_its_spdx_licence_and_ships_its_data(dist: Dist) -> None:
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read("scale_pilot_nb-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata.splitlines()
    assert "scale_pilot_nb-0.1.0.dist-info/licenses/LICENSE" in names
    assert "Provides-Extra: lab" in metadata.splitlines()
    assert {"scale_pilot_nb/py.typed", *(f"scale_pilot_nb/examples/{n}" for n in EXAMPLES)} <= names


@pytest.mark.timeout(2 * SUBPROCESS_TIMEOUT)
def test_the_wheel_works_in_a_fresh_venv_outside_the_repository(dist: Dist, tmp_path: Path) -> None:
    venv, cwd = tmp_path / "venv", tmp_path / "elsewhere"
    cwd.mkdir()
    run(sys.executable, "-m", "venv", venv, cwd=cwd)
    bin_ = venv / "bin"
    run(bin_ / "python", "-m", "pip", "install", "-q", dist.wheel, cwd=cwd)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SCALE_PILOT_TARGET", "PYTHONPATH", "VIRTUAL_ENV"}
    }

    assert (
        run(bin_ / "scale-compose", "--version", cwd=cwd, env=env).strip() == "scale-compose 0.1.0"
    )
    inventory = run(bin_ / "scale-compose", "--sandbox", "list", cwd=cwd, env=env)
    assert inventory.splitlines()[0].split()[:2] == ["NAME", "STATE"]
    assert len(inventory.splitlines()) > 1

    found = json.loads(run(bin_ / "python", "-c", INSTALLED_CHECK, cwd=cwd, env=env))
    assert Path(found["examples"]).is_relative_to(venv)
    assert found["picker"][1:] == EXAMPLES
    assert found["py.typed"] is True
