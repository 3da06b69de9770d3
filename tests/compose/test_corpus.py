"""The corpus: realistic compose files that must validate cleanly, hostile ones that must fail.

``tests/compose_corpus/expected.yaml`` pins, for every file, the validate() options and the
exact sets of error and warning rule ids. Nothing may crash, hang or leak a secret value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scale_pilot_nb.compose.report import ValidationReport
from scale_pilot_nb.compose.validate import validate

CORPUS = Path(__file__).resolve().parents[1] / "compose_corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
OPTION_KEYS = ("name", "mode", "split", "used_ports", "variables", "allow_docker_socket")


def corpus_files(kind: str) -> list[str]:
    return sorted(f"{kind}/{p.relative_to(CORPUS / kind)}" for p in (CORPUS / kind).rglob("*.yml"))


def run(key: str) -> ValidationReport:
    options = {k: v for k, v in EXPECTED[key].items() if k in OPTION_KEYS}
    return validate(CORPUS / key, **options)


def test_corpus_is_complete_and_large_enough() -> None:
    good, bad = corpus_files("good"), corpus_files("bad")
    assert len(good) >= 60 and len(bad) >= 40
    assert set(EXPECTED) == set(good) | set(bad)


@pytest.mark.parametrize("key", corpus_files("good"))
def test_good_file_has_exactly_the_expected_findings(key: str) -> None:
    report = run(key)
    assert report.valid, str(report)
    assert report.rules("error") == set()
    assert report.rules("warning") == set(EXPECTED[key]["warnings"])


@pytest.mark.parametrize("key", corpus_files("bad"))
def test_bad_file_fails_with_exactly_the_expected_errors(key: str) -> None:
    report = run(key)
    assert not report.valid
    assert report.rules("error") == set(EXPECTED[key]["errors"]) != set()
    assert report.rules("warning") == set(EXPECTED[key]["warnings"])
    for finding in report.errors:
        assert finding.message and finding.hint, finding


@pytest.mark.parametrize("key", corpus_files("good") + corpus_files("bad"))
def test_reports_never_contain_variable_values(key: str) -> None:
    report = run(key)
    text = f"{report}\n{report!r}\n{report.to_dict()}"
    for value in (EXPECTED[key].get("variables") or {}).values():
        assert value not in text
    for literal in ("hunter2", "umami-db-pw"):  # passwords written in plain text in the corpus
        assert literal not in text


def test_secret_from_dotenv_is_interpolated_but_never_reported() -> None:
    report = validate(CORPUS / "good/env-stack/compose.yml")
    assert report.valid
    assert "search,export" not in str(report.to_dict())  # a value from its env_file


def test_oversized_file_generated_at_test_time_is_refused(tmp_path: Path) -> None:
    lines = ["services:"] + [
        f"  svc{i}:\n    image: nginx:1.27\n    environment:\n      PAD: {'x' * 200}"
        for i in range(5000)
    ]
    huge = tmp_path / "huge.yml"
    huge.write_text("\n".join(lines))
    assert huge.stat().st_size > 1024 * 1024
    report = validate(huge)
    assert report.rules("error") == {"load.error"}
    assert "limit" in report.errors[0].message


def test_many_services_under_the_limit_validate_without_trouble(tmp_path: Path) -> None:
    services = {
        f"svc{i}": {"image": f"nginx:1.{i}", "ports": [f"{20000 + i}:80"]} for i in range(800)
    }
    services["svc799"]["ports"] = ["20000:80"]  # one collision at the very end
    report = validate({"services": services})
    assert report.rules("error") == {"structure.port-collision"}
    assert len(report.infos) == 800  # one no-healthcheck info per service
