"""Security rules on hand-written normalised compose dicts."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext
from scale_pilot_nb.compose.rules_security import check, is_secret_key, is_secret_setting


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


def test_is_secret_setting() -> None:
    assert is_secret_setting("DB_PASSWORD", "hunter2")
    assert not is_secret_setting("DB_PASSWORD", "1")  # a switch, not a password
    assert not is_secret_setting("DB_PASSWORD", None)
    assert not is_secret_setting("PORT", 8080)


def test_findings_name_the_risk() -> None:
    compose = one(privileged=True, cap_add=["SYS_ADMIN", "ALL"], network_mode="host", pid="host")
    messages = {f.path: f.message for f in run(compose)}
    assert "every disk of every pool" in messages["services.app.privileged"]
    assert "mount filesystems" in messages["services.app.cap_add[0]"]
    assert "take over the NAS" in messages["services.app.cap_add[1]"]
    assert "localhost" in messages["services.app.network_mode"]
    assert "kill any of them" in messages["services.app.pid"]
    assert not any("upgrade" in text.lower() for text in messages.values())


def bind(source: str, read_only: bool = False) -> dict[str, Any]:
    return one(volumes=[{"type": "bind", "source": source, "target": "/x", "read_only": read_only}])


@pytest.mark.parametrize(
    ("source", "read_only", "severity", "says"),
    [
        ("/", False, Severity.ERROR, "take over the NAS"),
        ("/", True, Severity.WARNING, "read every file"),
        ("/etc", False, Severity.ERROR, "take over the NAS"),
        ("/etc", True, Severity.WARNING, "/etc/shadow"),
        ("/etc/ssh", False, Severity.ERROR, "rewrite /etc/ssh"),
        ("/usr/bin", False, Severity.ERROR, "rewrite /usr/bin"),
        ("/var/lib", True, Severity.WARNING, "read /var/lib"),
        ("/boot", False, Severity.ERROR, "next boot"),
        ("/root", True, Severity.WARNING, "SSH keys"),
        ("/proc", True, Severity.WARNING, "every process"),
        ("/sys", False, Severity.ERROR, "kernel"),
        ("/dev", False, Severity.ERROR, "destroy every pool"),
        ("/dev/sda", True, Severity.WARNING, "read /dev/sda"),
        ("/bin", False, Severity.ERROR, "programs"),
        ("/sbin", False, Severity.ERROR, "programs"),
        ("/lib64", False, Severity.ERROR, "programs"),
        ("/run", True, Severity.WARNING, "socket"),
        ("/run/dbus", True, Severity.WARNING, "socket"),
        ("/var/run", False, Severity.ERROR, "sockets"),
        ("/mnt", False, Severity.ERROR, "every pool"),
        ("/mnt/.ix-apps", False, Severity.ERROR, "compose files"),
        ("/mnt/.ix-apps/app_configs", False, Severity.ERROR, "take over the NAS"),
        ("/mnt/tank/../../etc", False, Severity.ERROR, "really /etc"),
        ("~/data", False, Severity.ERROR, "rewrite /root/data, part of root's home"),
    ],
)
def test_system_binds(source: str, read_only: bool, severity: Severity, says: str) -> None:
    (finding,) = run(bind(source, read_only))
    assert (finding.rule, finding.severity) == ("security.system-bind", severity)
    assert says in finding.message
    assert ("read-only" if read_only else "read-write") in finding.message


def test_tilde_is_explained_as_the_home_of_root_not_yours() -> None:
    (finding,) = run(bind("~/config", read_only=True))
    assert finding.message.startswith("Service 'app' binds '~/config' read-only:")
    assert "On the NAS '~/config' is /root/config" in finding.message
    assert "running as root, never you" in finding.message


@pytest.mark.parametrize(
    ("source", "read_only"),
    [
        ("/mnt/tank/media", False),
        ("/mnt/tank", False),
        ("./data", False),
        ("/etc/localtime", True),
        ("/usr/share/zoneinfo/Europe/Berlin", True),
        ("/lib/modules", True),
        ("/dev/dri", False),
        ("/dev/net/tun", False),
        ("/dev/serial/by-id/usb-x", False),
        ("/data", False),
    ],
)
def test_binds_that_are_not_the_nas_system(source: str, read_only: bool) -> None:
    assert run(bind(source, read_only)) == []


def test_system_bind_with_privileged_is_still_an_error() -> None:
    compose = bind("/etc")
    compose["services"]["app"]["privileged"] = True
    rules = {(f.rule, f.severity) for f in run(compose)}
    assert ("security.system-bind", Severity.ERROR) in rules


def test_docker_socket_is_not_reported_twice() -> None:
    assert [f.rule for f in run(bind("/var/run/docker.sock", True))] == ["security.docker-socket"]


def test_secret_reference_inherited_through_extends_is_not_plain() -> None:
    compose = {
        "services": {
            "base": {"image": "x:1", "environment": {"DB_PASSWORD": "resolved"}},
            "app": {"image": "x:1", "environment": {"DB_PASSWORD": "resolved"}},
        }
    }
    raw = {
        "services": {
            "base": {"image": "x:1", "environment": ["DB_PASSWORD=${DB_PASSWORD}"]},
            "app": {"extends": "base"},
        }
    }
    assert run(compose, raw) == []
    raw["services"]["app"]["environment"] = {"DB_PASSWORD": "hunter2"}
    assert [f.path for f in run(compose, raw)] == ["services.app.environment.DB_PASSWORD"]
