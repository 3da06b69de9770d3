"""compose.schema and compose.loader_checks: the compose-spec schema and compose-go's own checks,
in our words (rule id, path, line:column, "did you mean"), never quoting a value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scale_pilot_nb.compose import load, validate
from scale_pilot_nb.compose.loader_checks import loader_problems
from scale_pilot_nb.compose.model import UnknownKey, format_path
from scale_pilot_nb.compose.schema import (
    FAST_PATH_SERVICES,
    allowed_keys,
    find_unknown_keys,
    schema_path,
    schema_problems,
)
from scale_pilot_nb.errors import ComposeLoadError

HEAD = "services:\n  web:\n    image: nginx:1.27\n"


def _errors(text: str) -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in validate(text).errors]


def test_the_schema_comes_from_the_installed_package_with_its_licence() -> None:
    path = schema_path()
    assert "check_jsonschema" in path.parts
    assert (path.parent / "licenses" / "LICENSE.compose-spec").is_file()
    schema = json.loads(path.read_text())
    assert schema["title"] == "Compose Specification"
    assert "environment" in allowed_keys(schema["definitions"]["service"])


def test_typos_anywhere_get_the_closest_allowed_key() -> None:
    found = find_unknown_keys(
        {
            "servics": {},
            "services": {
                "web": {
                    "image": "a",
                    "enviroment": {},
                    "healthcheck": {"test": ["NONE"], "intervall": "5s", "x-note": 1},
                    "deploy": {"resources": {"limits": {"cpu": 1}}},
                    "depends_on": {"db": {"condition": "service_started", "requierd": True}},
                }
            },
        }
    )
    assert sorted((format_path(u.path), u.suggestion) for u in found) == [
        ("services.web.depends_on.db.requierd", "required"),
        ("services.web.deploy.resources.limits.cpu", "cpus"),
        ("services.web.enviroment", "environment"),
        ("services.web.healthcheck.intervall", "interval"),
        ("servics", "services"),
    ]


def test_an_unknown_key_is_an_error_at_the_key_with_a_hint() -> None:
    report = validate(HEAD + "    enviroment:\n      A: '1'\n")
    (finding,) = report.errors
    assert (finding.rule, finding.path, finding.line, finding.column) == (
        "structure.unknown-key",
        "services.web.enviroment",
        4,
        5,
    )
    assert "did you mean 'environment'" in finding.message
    assert finding.hint == "Rename it to 'environment'."
    assert not report.valid


def test_an_unrelated_unknown_key_suggests_an_extension_field() -> None:
    (unknown,) = find_unknown_keys({"services": {"web": {"image": "a", "zzzz": 1}}})
    assert unknown == UnknownKey(("services", "web", "zzzz"), "zzzz", None)
    (finding,) = validate(HEAD + "    zzzz: 1\n").errors
    assert "x-" in finding.hint


def test_extension_fields_are_allowed_everywhere() -> None:
    text = "x-top: 1\n" + HEAD + "    x-note: {a: 1}\nnetworks:\n  n:\n    x-owner: me\n"
    assert _errors(text) == []


@pytest.mark.parametrize(
    ("body", "path", "expected"),
    [
        ("    image: [nginx]\n", "services.web.image", "must be a string."),
        ("    build: 5\n", "services.web.build", "must be a string or a mapping."),
        ("    restart: [always]\n", "services.web.restart", "must be a string."),
        ("    healthcheck:\n      test: {a: 1}\n", "services.web.healthcheck.test", "a string"),
    ],
)
def test_wrong_types_are_errors_naming_the_allowed_types(
    body: str, path: str, expected: str
) -> None:
    text = "services:\n  web:\n" + ("    image: nginx:1\n" if "image" not in body else "") + body
    findings = [f for f in validate(text).errors if f.rule == "structure.invalid-type"]
    assert [f.path for f in findings] == [path]
    assert expected in findings[0].message


def test_a_mapping_with_an_unknown_key_in_a_one_of_names_the_key_not_the_types() -> None:
    text = HEAD + "    ports:\n      - target: 80\n        foo: 1\n"
    assert _errors(text) == [("structure.unknown-key", "services.web.ports[0].foo")]


def test_a_missing_required_key_is_named() -> None:
    device = {"count": 1}
    document = {
        "services": {"w": {"deploy": {"resources": {"reservations": {"devices": [device]}}}}}
    }
    problems = schema_problems(document)
    assert [(p.rule, format_path(p.path)) for p in problems] == [
        ("structure.invalid-value", "services.w.deploy.resources.reservations.devices[0]")
    ]
    assert "needs 'capabilities'" in problems[0].message


def test_messages_never_quote_the_value_found() -> None:
    secret = "hunter2-hunter2"
    text = HEAD + f"    environment:\n      PASSWORD: [{secret}]\n    user: [{secret}]\n"
    report = validate(text)
    assert report.errors
    assert secret not in json.dumps(report.to_dict())


def test_non_string_keys_are_refused_like_compose() -> None:
    text = HEAD + "    environment:\n      1: a\n    labels:\n      true: b\n"
    found = [(f.rule, f.path) for f in validate(text).errors]
    assert ("structure.non-string-key", "services.web.environment.1") in found
    assert ("structure.non-string-key", "services.web.labels.true") in found


def test_problems_are_capped() -> None:
    services = {f"s{i}": {"image": "a", "bad": i} for i in range(200)}
    assert len(schema_problems({"services": services})) == 50


GPU = {"capabilities": ["gpu"]}


@pytest.mark.parametrize(
    ("document", "rule", "path"),
    [
        (
            {
                "services": {
                    "w": {
                        "image": "a",
                        "deploy": {
                            "resources": {
                                "reservations": {
                                    "devices": [{**GPU, "count": 1, "device_ids": ["0"]}]
                                }
                            }
                        },
                    }
                }
            },
            "structure.conflict",
            "services.w.deploy.resources.reservations.devices[0]",
        ),
        (
            {"volumes": {"v": {"external": True, "driver": "local"}}},
            "structure.conflict",
            "volumes.v.driver",
        ),
        (
            {"networks": {"n": {"name": "a", "external": {"name": "b"}}}},
            "structure.conflict",
            "networks.n.external.name",
        ),
        (
            {"secrets": {"s": {"file": "./a", "environment": "B"}}},
            "structure.conflict",
            "secrets.s",
        ),
        ({"secrets": {"s": {}}}, "structure.invalid-value", "secrets.s"),
        ({"secrets": {"s": {"driver": "vault"}}}, "structure.invalid-value", "secrets.s"),
        ({"secrets": {"s": {"external": False}}}, "structure.invalid-value", "secrets.s"),
        (
            {
                "services": {
                    "w": {
                        "deploy": {
                            "resources": {"reservations": {"devices": [{**GPU, "count": "some"}]}}
                        }
                    }
                }
            },
            "structure.invalid-value",
            "services.w.deploy.resources.reservations.devices[0].count",
        ),
        (
            {"services": {"w": {"image": "a", "models": ["llm"]}}},
            "structure.undefined-model",
            "services.w.models",
        ),
        (
            {"configs": {"c": {"content": "x", "file": "./c"}}},
            "structure.conflict",
            "configs.c",
        ),
    ],
)
def test_compose_go_checks_beyond_the_schema(document: dict, rule: str, path: str) -> None:
    assert [(p.rule, format_path(p.path)) for p in loader_problems(document)] == [(rule, path)]


@pytest.mark.parametrize(
    "document",
    [
        {"volumes": {"v": {"external": True, "name": "data", "x-note": 1}}},
        {"networks": {"n": {"external": True, "driver": "bridge"}}},  # Compose allows this
        {"secrets": {"s": {"external": True}}, "configs": {"c": {"content": "x"}}},
        {"services": {"w": {"models": {"llm": None}}}, "models": {"llm": {"model": "ai/x"}}},
        {
            "services": {
                "w": {
                    "deploy": {
                        "resources": {"reservations": {"devices": [{**GPU, "count": "all"}]}}
                    }
                }
            }
        },
    ],
)
def test_what_compose_go_accepts_passes(document: dict) -> None:
    assert loader_problems(document) == []


def _conformance_documents() -> list[object]:
    root = Path(__file__).resolve().parents[1] / "conformance" / "corpus"
    documents = []
    for path in sorted(root.rglob("*.y*ml")):
        if path.parent == root:
            continue  # SOURCES.yaml, labels.yaml
        try:
            documents.append(load(path).data)
        except ComposeLoadError:
            continue
    return documents


def test_the_compiled_fast_path_agrees_with_jsonschema_on_every_real_file() -> None:
    from scale_pilot_nb.compose.schema import _valid_fast, _validator, _with_string_keys

    documents = [_with_string_keys(d) for d in _conformance_documents()]
    verdicts = [(_valid_fast(d), not any(_validator().iter_errors(d))) for d in documents]
    assert len(verdicts) > 150
    assert all(fast == full for fast, full in verdicts)
    assert {full for _, full in verdicts} == {True, False}  # both kinds were seen


def test_a_big_document_takes_the_fast_path_and_still_names_its_problem() -> None:
    services = {f"s{i}": {"image": "a"} for i in range(FAST_PATH_SERVICES)}
    assert schema_problems({"services": services}) == []
    services["s7"] = {"image": "a", "enviroment": {}}
    (problem,) = schema_problems({"services": services})
    assert problem.unknown == UnknownKey(
        ("services", "s7", "enviroment"), "enviroment", "environment"
    )
