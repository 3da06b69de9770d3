"""``plan``: Terraform's ``--detailed-exitcode``, true wording per action, colour on a terminal."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from scale_pilot_nb.cli import ExitStatus, main
from tests.cli.conftest import Result

Run = Callable[..., Result]
CHANGES = 2


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _bump_image(workdir: Path) -> None:
    compose = workdir / "nginx.yml"
    compose.write_text(compose.read_text().replace("nginx:1.27.3-alpine", "nginx:1.28.0-alpine"))


def test_detailed_exitcode_is_2_for_changes_0_for_none(nas_env: dict[str, str], cli: Run) -> None:
    assert cli("plan", "nginx.yml", "web").code == ExitStatus.OK  # without the flag: 0
    assert cli("plan", "nginx.yml", "web", "--detailed-exitcode").code == CHANGES
    assert cli("plan", "nginx.yml", "web", "--detailed-exitcode", "--json").code == CHANGES
    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK
    assert cli("plan", "nginx.yml", "web", "--detailed-exitcode").code == ExitStatus.OK


@pytest.mark.parametrize(
    "argv",
    [
        ["plan", "missing.yml", "web", "--detailed-exitcode"],  # a library error (usage: 2)
        ["plan", "nginx.yml", "--detailed-exitcode"],  # argparse: NAME missing
        ["plan", "nginx.yml", "web", "--detailed-exitcode", "--url", "ws://127.0.0.1:1/x"],
    ],
)
def test_detailed_exitcode_is_1_for_every_error(argv: list[str], workdir: Path, cli: Run) -> None:
    assert cli(*argv).code == ExitStatus.ERROR


def test_wording_is_true_for_each_action(nas_env: dict[str, str], workdir: Path, cli: Run) -> None:
    created = cli("plan", "nginx.yml", "web").stdout
    assert "a new app: its containers will be created" in created
    assert "recreated" not in created
    assert cli("deploy", "nginx.yml", "web").code == ExitStatus.OK
    assert "no changes: nothing will be touched" in cli("plan", "nginx.yml", "web").stdout
    _bump_image(workdir)
    assert "containers will be recreated" in cli("plan", "nginx.yml", "web").stdout
    assert cli("stop", "web").code == ExitStatus.OK
    stopped = cli("plan", "nginx.yml", "web").stdout
    assert "no container will be recreated, it stays stopped" in stopped


def test_plan_is_coloured_on_a_terminal_unless_no_color(
    nas_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    coloured = _Terminal()
    main(["plan", "nginx.yml", "web"], stdout=coloured, stderr=io.StringIO())
    assert "\033[32mcreate 'web'" in coloured.getvalue()
    assert "\033[32m+services:" in coloured.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    main(["plan", "nginx.yml", "web"], stdout=plain, stderr=io.StringIO())
    assert "create 'web'" in plain.getvalue()
    assert "\033[" not in plain.getvalue()
