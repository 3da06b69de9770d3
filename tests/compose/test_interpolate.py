"""compose.interpolate: variables from the right places, resolved environments, honest reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from scale_pilot_nb.compose.interpolate import interpolate
from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.model import Issue, MissingVariable, UnsetVariable


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".env").write_text("TAG=1.27\nPASSWORD='hunter2'\nDERIVED=${TAG}-alpine\n")
    (tmp_path / "app.env").write_text("FROM_FILE=yes\nSHARED=file\nUSES=${TAG}\n")
    return tmp_path


def _compose(directory: Path, body: str) -> Path:
    path = directory / "compose.yaml"
    path.write_text(body)
    return path


def test_values_come_from_the_env_file_beside_the_compose_file(project: Path) -> None:
    path = _compose(project, "services:\n  web:\n    image: nginx:${TAG}\n    x: $DERIVED\n")
    result = interpolate(load(path))
    assert result.data["services"]["web"]["image"] == "nginx:1.27"
    assert result.data["services"]["web"]["x"] == "1.27-alpine"
    assert result.env_files == (project / ".env",)
    assert result.ok


def test_explicit_variables_win_over_the_env_file(project: Path) -> None:
    path = _compose(project, "services:\n  web:\n    image: nginx:${TAG}\n")
    result = interpolate(load(path), variables={"TAG": "1.28"})
    assert result.data["services"]["web"]["image"] == "nginx:1.28"


def test_the_process_environment_is_used_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SP_TEST_ONLY_VAR", "from-env")
    loaded = load("name: ${SP_TEST_ONLY_VAR}\n")
    assert interpolate(loaded).data["name"] == ""
    assert interpolate(loaded, use_environ=True).data["name"] == "from-env"
    explicit = interpolate(loaded, use_environ=True, variables={"SP_TEST_ONLY_VAR": "x"})
    assert explicit.data["name"] == "x"


def test_env_files_false_reads_no_files(project: Path) -> None:
    path = _compose(project, "name: ${TAG}\nservices:\n  web:\n    env_file: app.env\n")
    result = interpolate(load(path), env_files=False)
    assert result.data["name"] == ""
    assert result.env_files == ()
    assert "environment" not in result.data["services"]["web"]


def test_unset_variables_are_reported_with_every_path_and_become_empty() -> None:
    loaded = load("services:\n  web:\n    image: app:$TAG\n    labels:\n      - v=${TAG}\n")
    result = interpolate(loaded)
    assert result.data["services"]["web"]["image"] == "app:"
    assert result.unset == (
        UnsetVariable(
            "TAG",
            (("services", "web", "image"), ("services", "web", "labels", 0)),
        ),
    )


def test_required_variables_are_reported_with_message_and_path() -> None:
    result = interpolate(load("services:\n  db:\n    image: ${IMAGE:?pick an image}\n"))
    assert result.missing == (
        MissingVariable("IMAGE", "pick an image", (("services", "db", "image"),)),
    )
    assert not result.ok
    assert result.data["services"]["db"]["image"] == ""


def test_an_invalid_expression_is_an_issue_and_the_value_is_kept() -> None:
    result = interpolate(load("services:\n  web:\n    command: echo costs $5\n"))
    assert result.issues == (
        Issue(
            ("services", "web", "command"),
            "invalid interpolation: '$' at character 12 must be followed by a name, '{' or '$'",
            "Write a literal '$' as '$$'.",
        ),
    )
    assert result.data["services"]["web"]["command"] == "echo costs $5"
    assert not result.ok


def test_keys_are_not_interpolated_and_the_input_is_not_modified() -> None:
    loaded = load("x-${KEY}: ${VALUE}\n")
    result = interpolate(loaded, variables={"KEY": "k", "VALUE": "v"})
    assert result.data == {"x-${KEY}": "v"}
    assert loaded.data == {"x-${KEY}": "${VALUE}"}


def test_env_file_contents_are_merged_under_environment(project: Path) -> None:
    path = _compose(
        project,
        "services:\n  web:\n    env_file: app.env\n    environment:\n      - SHARED=env\n",
    )
    env = interpolate(load(path)).data["services"]["web"]["environment"]
    assert env == {"FROM_FILE": "yes", "SHARED": "env", "USES": "1.27"}


def test_a_bare_key_takes_the_env_file_value_then_the_variable(project: Path) -> None:
    path = _compose(
        project,
        "services:\n  web:\n    env_file: [app.env]\n    environment: [SHARED, TAG, NOWHERE]\n",
    )
    result = interpolate(load(path))
    env = result.data["services"]["web"]["environment"]
    assert env["SHARED"] == "file"
    assert env["TAG"] == "1.27"
    assert env["NOWHERE"] is None
    assert result.unset == (UnsetVariable("NOWHERE", (("services", "web", "environment", 2),)),)


def test_a_missing_required_env_file_is_an_issue(project: Path) -> None:
    path = _compose(project, "services:\n  web:\n    env_file: [nope.env]\n")
    result = interpolate(load(path))
    assert [issue.message for issue in result.issues] == ["env_file 'nope.env' not found"]
    assert result.issues[0].path == ("services", "web", "env_file", 0)


def test_an_optional_missing_env_file_is_skipped(project: Path) -> None:
    path = _compose(
        project,
        "services:\n  web:\n    env_file:\n      - path: nope.env\n        required: false\n",
    )
    assert interpolate(load(path)).issues == ()


def test_a_relative_env_file_without_a_directory_is_an_issue() -> None:
    result = interpolate(load("services:\n  web:\n    env_file: app.env\n"))
    assert "has no directory" in result.issues[0].message


def test_a_tilde_is_a_home_directory_only_before_a_slash(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = project / "home"
    home.mkdir()
    (home / "vars.env").write_text("FROM_HOME=1\n")
    (project / "~nosuchuser").mkdir()
    (project / "~nosuchuser" / "vars.env").write_text("LITERAL=1\n")
    monkeypatch.setenv("HOME", str(home))
    body = "services:\n  web:\n    env_file: [~/vars.env, ~nosuchuser/vars.env]\n"
    result = interpolate(load(_compose(project, body)))
    assert result.issues == ()
    assert result.data["services"]["web"]["environment"] == {"FROM_HOME": "1", "LITERAL": "1"}


def test_secret_values_never_appear_in_the_report(project: Path) -> None:
    path = _compose(
        project,
        "services:\n  db:\n    environment:\n      PASSWORD: ${PASSWORD}\n      OTHER: $UNSET\n",
    )
    result = interpolate(load(path))
    assert result.data["services"]["db"]["environment"]["PASSWORD"] == "hunter2"
    report = repr(result) + repr(result.unset) + repr(result.missing) + repr(result.issues)
    assert "hunter2" not in report
    assert "UNSET" in report


def test_env_file_quoting_and_bad_lines_follow_compose(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "A=1\nLITERAL='cost $5 ${A}'\nDOUBLE=\"${A}-x\"\nexport B=$A\nnot a binding\n"
    )
    path = _compose(tmp_path, "name: ${LITERAL}|${DOUBLE}|${B}\n")
    result = interpolate(load(path))
    assert result.data["name"] == "cost $5 ${A}|1-x|1"
    assert [issue.message for issue in result.issues] == [
        "line 5 of '.env' is not KEY=VALUE; ignored"
    ]
    assert result.issues[0].path == (".env",)


def test_a_variable_repeated_through_aliases_cannot_blow_up_memory() -> None:
    big = "x" * (1024 * 1024)
    text = "x-a: &a ${BIG}\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nx-c: [*b, *b, *b]\n"
    result = interpolate(load(text), variables={"BIG": big})
    # 33 appearances of ${BIG}; the 16 MiB budget holds the first 16, the rest stay as written.
    assert result.data["x-c"][0][6] == big
    assert result.data["x-c"][0][7] == result.data["x-c"][2][7] == "${BIG}"
    assert len(result.issues) == 33 - 16
    assert result.issues[0].message == "variable values make it longer than the length limit"
    assert result.issues[0].hint is not None and "16 MiB" in result.issues[0].hint


def test_a_plain_mapping_can_be_interpolated() -> None:
    result = interpolate({"name": "${A:-x}"})
    assert result.data == {"name": "x"}
