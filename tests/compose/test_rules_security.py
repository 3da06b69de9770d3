"""Security rules on hand-written normalised compose dicts."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext
from scale_pilot_nb.compose.rules_security import check, is_secret_key, mask_secrets


def run(compose: dict[str, Any], raw: dict[str, Any] | None = None, **kw: Any) -> list[Finding]:
    return list(check(RuleContext(compose=compose, raw=raw or compose, **kw)))


def one(**service: Any) -> dict[str, Any]:
    return {"services": {"app": {"image": "x:1", **service}}}


def test_privileged_caps_namespaces_unconfined() -> None:
    compose = one(
        privileged=True,
        cap_add=["CAP_SYS_ADMIN", "NET_ADMIN", "CHOWN", "all"],
        network_mode="host",
        pid="host",
        ipc="host",
        security_opt=["seccomp=unconfined", "no-new-privileges:true"],
    )
    findings = run(compose)
    assert [(f.rule, f.path) for f in findings] == [
        ("security.privileged", "services.app.privileged"),
        ("security.dangerous-capability", "services.app.cap_add[0]"),
        ("security.dangerous-capability", "services.app.cap_add[1]"),
        ("security.dangerous-capability", "services.app.cap_add[3]"),
        ("security.unconfined", "services.app.security_opt[0]"),
        ("security.host-network", "services.app.network_mode"),
        ("security.host-pid", "services.app.pid"),
        ("security.host-ipc", "services.app.ipc"),
    ]
    assert all(f.severity is Severity.WARNING for f in findings)


@pytest.mark.parametrize("source", ["/var/run/docker.sock", "/run/docker.sock"])
def test_docker_socket_is_an_error_unless_allowed(source: str) -> None:
    compose = one(volumes=[{"type": "bind", "source": source, "target": "/var/run/docker.sock"}])
    (finding,) = run(compose)
    assert (finding.rule, finding.severity) == ("security.docker-socket", Severity.ERROR)
    (allowed,) = run(compose, allow_docker_socket=True)
    assert allowed.severity is Severity.WARNING


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("POSTGRES_PASSWORD", True),
        ("MYSQL_ROOT_PASSWORD", True),
        ("API_KEY", True),
        ("jwtSecret", True),
        ("GITHUB_TOKEN", True),
        ("DB_PASS", True),
        ("POSTGRES_PASSWORD_FILE", False),
        ("PUID", False),
        ("KEYBOARD_LAYOUT", False),
        ("TZ", False),
    ],
)
def test_secret_key_names(key: str, secret: bool) -> None:
    assert is_secret_key(key) is secret


def test_plain_secret_names_the_key_never_the_value() -> None:
    value = "hunter2-very-secret"
    compose = one(environment={"DB_PASSWORD": value, "FROM_VAR": value, "EMPTY_TOKEN": ""})
    compose["services"]["app"]["environment"]["FROM_VAR_PASSWORD"] = value
    raw = {
        "services": {
            "app": {
                "environment": [f"DB_PASSWORD={value}", "FROM_VAR_PASSWORD=${PW}", "EMPTY_TOKEN="]
            }
        }
    }
    findings = run(compose, raw)
    assert [f.path for f in findings] == ["services.app.environment.DB_PASSWORD"]
    text = str(findings[0]) + repr(findings[0]) + str(findings[0].to_dict())
    assert value not in text and "DB_PASSWORD" in text


def test_escaped_dollar_is_still_a_literal_secret() -> None:
    compose = one(environment={"ADMIN_PASSWORD": "pa$word"})
    raw = {"services": {"app": {"environment": {"ADMIN_PASSWORD": "pa$$word"}}}}
    assert [f.rule for f in run(compose, raw)] == ["security.plain-secret"]


def test_password_inside_a_url_is_flagged_without_showing_it() -> None:
    compose = one(
        environment={
            "DATABASE_URL": "postgres://app:s3cr3t@db:5432/app",
            "CACHE_URL": "redis://cache:6379/0",
            "USER_ONLY": "postgresql://shop@db/shop",
        }
    )
    findings = run(compose)
    assert [(f.rule, f.path) for f in findings] == [
        ("security.url-password", "services.app.environment.DATABASE_URL")
    ]
    assert "s3cr3t" not in str(findings[0].to_dict())


def test_mask_secrets() -> None:
    assert mask_secrets("DB_PASSWORD", "hunter2", "***") == "***"
    assert mask_secrets("DB_PASSWORD", "1", "***") == "1"
    assert mask_secrets("URL", "https://u:p4ss@h/x", "***") == "https://u:***@h/x"
    assert mask_secrets("URL", "https://h/x", "***") == "https://h/x"
    assert mask_secrets("PORT", 8080, "***") == 8080
