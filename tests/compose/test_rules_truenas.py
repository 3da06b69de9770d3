"""TrueNAS rules on hand-written normalised compose dicts."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.compose.model import MissingVariable, UnsetVariable
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext
from scale_pilot_nb.compose.rules_truenas import app_name_problem, check, variable_findings

HEALTHY = {"test": ["CMD", "true"]}


def run(compose: dict[str, Any], **options: Any) -> list[Finding]:
    return list(check(RuleContext(compose=compose, raw=compose, **options)))


def rules(compose: dict[str, Any], **options: Any) -> set[str]:
    return {f.rule for f in run(compose, **options)}


def one(**service: Any) -> dict[str, Any]:
    return {"services": {"web": {"image": "nginx:1.27", "healthcheck": HEALTHY, **service}}}


def bind(source: str) -> dict[str, Any]:
    return {"type": "bind", "source": source, "target": "/data"}


@pytest.mark.parametrize("name", ["a", "my-app2", "x" * 40, "a1-b2"])
def test_valid_app_names(name: str) -> None:
    assert app_name_problem(name) is None
    assert rules(one(), app_name=name) == set()


@pytest.mark.parametrize("name", ["", "x" * 41, "My-App", "1app", "app-", "app_x", "-a", "ap p"])
def test_invalid_app_names(name: str) -> None:
    assert app_name_problem(name)
    findings = run(one(), app_name=name)
    assert [(f.rule, f.severity) for f in findings] == [("truenas.app-name", Severity.ERROR)]


def test_split_checks_derived_names() -> None:
    compose = {"services": {"web": one()["services"]["web"], "d" * 40: one()["services"]["web"]}}
    findings = run(compose, app_name="stack", split=True)
    assert [f.path for f in findings] == [f"services.{'d' * 40}"]


def test_relative_paths_are_errors() -> None:
    compose = one(
        volumes=[bind("./data")],
        env_file=[{"path": ".env.web", "required": True}],
        build={"context": "."},
    )
    compose["secrets"] = {"pw": {"file": "pw.txt"}}
    findings = run(compose)
    relative = [f.path for f in findings if f.rule == "truenas.relative-path"]
    assert relative == [
        "services.web.volumes[0]",
        "services.web.env_file[0]",
        "services.web.build.context",
        "secrets.pw.file",
    ]


def test_git_build_context_is_not_relative() -> None:
    assert "truenas.relative-path" not in rules(one(build={"context": "https://x/y.git"}))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("/mnt/tank/media", set()),
        ("/mnt/tank", {"truenas.bind-outside-pool"}),
        ("/home/me/data", {"truenas.system-path"}),
        ("/data", {"truenas.bind-outside-pool"}),
        ("/etc/ssl", {"truenas.system-path"}),
        ("/", {"truenas.system-path"}),
        ("/mnt/.ix-apps/app_configs/x", {"truenas.bind-ix-apps"}),
        ("/mnt/tank/../../etc", {"truenas.path-traversal", "truenas.system-path"}),
        ("/mnt/tank/a/../b", {"truenas.path-traversal"}),
        ("/var/run/docker.sock", set()),  # the security rule owns it
    ],
)
def test_bind_sources(source: str, expected: set[str]) -> None:
    assert rules(one(volumes=[bind(source)])) == expected


def test_traversal_message_shows_the_real_path() -> None:
    (finding, _) = run(one(volumes=[bind("/mnt/tank/../../etc")]))
    assert "'/etc'" in finding.message and finding.severity is Severity.ERROR


def test_reserved_and_used_ports() -> None:
    compose = one(
        ports=[
            {"target": 80, "published": "80", "protocol": "tcp"},
            {"target": 80, "published": "9000-9002", "protocol": "tcp"},
            {"target": 80, "published": "8443", "protocol": "tcp"},
        ]
    )
    findings = run(compose, used_ports=frozenset({9001}))
    assert [(f.rule, f.path) for f in findings] == [
        ("truenas.reserved-port", "services.web.ports[0]"),
        ("truenas.port-in-use", "services.web.ports[1]"),
    ]


def test_host_network_ports_are_not_judged() -> None:
    compose = one(network_mode="host", ports=[{"target": 80, "published": "80"}])
    assert rules(compose) == set()


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx:1.27", set()),
        ("nginx", {"truenas.latest-tag"}),
        ("ghcr.io/org/app:latest", {"truenas.latest-tag"}),
        ("nginx@sha256:" + "a" * 64, set()),
        ("localhost:5000/app:2", set()),
    ],
)
def test_image_tags(image: str, expected: set[str]) -> None:
    assert rules(one(image=image)) == expected


def test_missing_healthcheck_is_an_info() -> None:
    compose = {"services": {"web": {"image": "nginx:1.27"}}}
    findings = run(compose)
    assert [(f.rule, f.severity) for f in findings] == [("truenas.no-healthcheck", Severity.INFO)]


def test_a_service_in_a_profile_never_starts_on_truenas() -> None:
    findings = run(one(profiles=["debug"]))
    assert [(f.rule, f.path, f.severity) for f in findings] == [
        ("truenas.profile-never-started", "services.web.profiles", Severity.WARNING)
    ]
    assert "debug" in findings[0].message
    assert run(one(profiles=[])) == []


def test_external_network_and_volume_and_ignored_name() -> None:
    compose = one()
    compose["name"] = "stack"
    compose["networks"] = {"proxy": {"external": True, "name": "traefik"}}
    compose["volumes"] = {"media": {"external": True}}
    findings = run(compose)
    assert {f.rule: f.severity for f in findings} == {
        "truenas.external-network": Severity.WARNING,
        "truenas.external-volume": Severity.WARNING,
        "truenas.project-name-ignored": Severity.INFO,
    }
    assert any("'traefik'" in f.message for f in findings)


def test_variable_findings_name_variables_never_values() -> None:
    source_map = {("services", "db", "environment", "PW"): (7, 9)}
    findings = list(
        variable_findings(
            source_map,
            (UnsetVariable("TAG", (("services", "db", "image"),)),),
            (MissingVariable("PW", "set PW", (("services", "db", "environment", "PW"),)),),
        )
    )
    assert [(f.rule, f.severity) for f in findings] == [
        ("interpolate.required-missing", Severity.ERROR),
        ("truenas.unset-variable", Severity.WARNING),
    ]
    assert (findings[0].line, findings[0].column) == (7, 9)
    assert "PW" in findings[0].message and "TAG" in findings[1].message


def test_an_unset_variable_inside_a_secret_value_is_not_named() -> None:
    """``DB_PASSWORD: hunter2-$ecret`` reads variable ``ecret``: naming it leaks the password."""
    env = ("services", "db", "environment")
    unset = (
        UnsetVariable("ecret", ((*env, "DB_PASSWORD"),)),
        UnsetVariable("API_TOKEN", ((*env, "API_TOKEN"),)),  # `API_TOKEN: ${API_TOKEN}`
        UnsetVariable("HOST", ((*env, "DB_HOST"),)),
    )
    messages = [f.message for f in variable_findings({}, unset, ())]
    assert "ecret" not in messages[0] and "DB_PASSWORD" in messages[0]
    assert messages[1].startswith("Variable API_TOKEN is not set")
    assert messages[2].startswith("Variable HOST is not set")


def test_x_portals_follow_the_truenas_schema() -> None:
    good = {"name": "Web UI", "scheme": "http", "host": "0.0.0.0", "port": 30080, "path": "/"}
    compose = one()
    compose["x-portals"] = [
        good,
        {**good, "scheme": "ftp"},
        {**good, "port": "30080"},
        {**good, "path": "admin"},
        {**good, "color": "red"},
        {"scheme": "http", "host": "x", "port": 1},
        "http://nas:30080",
    ]
    findings = run(compose)
    assert {f.rule for f in findings} == {"truenas.invalid-portal"}
    assert [f.path for f in findings] == [f"x-portals[{i}]" for i in range(1, 7)]


def test_read_only_time_zone_files_are_fine() -> None:
    ro = {"type": "bind", "source": "/etc/localtime", "target": "/etc/localtime", "read_only": True}
    assert rules(one(volumes=[ro])) == set()
    assert rules(one(volumes=[{**ro, "read_only": False}])) == {"truenas.system-path"}


def test_random_host_port_is_a_warning() -> None:
    findings = run(one(ports=[{"target": 8080, "protocol": "tcp"}, "garbage"]))
    assert [(f.rule, f.path) for f in findings] == [
        ("truenas.random-host-port", "services.web.ports[0]")
    ]
