"""Mode rules: what ix-app cannot carry, and what splitting breaks."""

from __future__ import annotations

from typing import Any

import pytest

from scale_pilot_nb.compose import validate
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import Mode, RuleContext
from scale_pilot_nb.compose.rules_mode import check


def run(compose: dict[str, Any], mode: Mode = "ix-app", split: bool = False) -> list[Finding]:
    return list(check(RuleContext(compose=compose, raw=compose, mode=mode, split=split)))


def test_compose_mode_has_no_mode_findings() -> None:
    compose = {"services": {"a": {"image": "x:1", "sysctls": {"a": "1"}}, "b": {"image": "y:1"}}}
    assert run(compose, mode="compose") == []


def test_ix_app_with_several_services_needs_split() -> None:
    compose = {"services": {"a": {"image": "x:1"}, "b": {"image": "y:1"}}}
    findings = run(compose)
    assert [(f.rule, f.severity) for f in findings] == [
        ("mode.ix-app-multi-service", Severity.ERROR)
    ]
    assert run(compose, split=True) == []


def test_ix_app_lists_everything_it_drops() -> None:
    service = {
        "image": "x:1",
        "build": {"context": "/mnt/tank/src"},
        "healthcheck": {"test": ["CMD", "true"], "interval": "30s"},
        "sysctls": {"net.core.somaxconn": "1024"},
        "secrets": [{"source": "pw"}],
        "configs": [{"source": "cfg"}],
        "ulimits": {"nofile": {"soft": 1, "hard": 2}},
        "user": "www-data",
        "network_mode": "bridge",
        "deploy": {"replicas": 2, "resources": {"limits": {"cpus": "1", "pids": 10}}},
        "networks": {"backend": None, "proxy": None},
        "volumes": [{"type": "volume", "target": "/anon"}],
        "x-custom": 1,
    }
    compose = {
        "services": {"app": service},
        "networks": {"backend": {}, "proxy": {"external": True}},
    }
    findings = run(compose)
    assert {f.rule for f in findings} == {"mode.ix-app-dropped"}
    assert [f.path for f in findings] == [
        "services.app.build",
        "services.app.sysctls",
        "services.app.secrets",
        "services.app.configs",
        "services.app.ulimits",
        "services.app.healthcheck",
        "services.app.user",
        "services.app.network_mode",
        "services.app.deploy.replicas",
        "services.app.deploy.resources.limits.pids",
        "services.app.networks.backend",
        "services.app.volumes[0]",
    ]


def test_ix_app_keeps_single_tcp_udp_ports_and_lists_the_rest() -> None:
    service = {
        "image": "x:1",
        "ports": [
            {"target": 80, "published": "8080", "protocol": "tcp"},
            {"target": 9, "published": "9", "protocol": "sctp"},
        ],
        "expose": ["7000", "7001/udp", "7100-7102", "7200/sctp"],
    }
    assert [f.path for f in run({"services": {"app": service}})] == [
        "services.app.ports[1]",
        "services.app.expose[2]",
        "services.app.expose[3]",
    ]


def test_disabled_healthcheck_and_numeric_user_are_expressible() -> None:
    service = {"image": "x:1", "healthcheck": {"disable": True}, "user": "1000:1000"}
    assert run({"services": {"app": service}}) == []


def test_split_warns_for_each_cross_reference() -> None:
    compose = {
        "services": {
            "web": {
                "image": "w:1",
                "depends_on": {"api": {"condition": "service_started"}},
                "environment": {
                    "DB_URL": "postgres://u@db:5432/x",
                    "NOTE": "/data/dbx",
                    "API_USER": "api",
                },
            },
            "api": {"image": "a:1", "links": ["db:database"], "environment": {"WEB_HOST": "web"}},
            "db": {"image": "p:16"},
        }
    }
    findings = run(compose, mode="compose", split=True)
    assert {f.rule for f in findings} == {"mode.split-cross-reference"}
    pairs = sorted((f.path, f.message.split("reaches ")[1].split(" ")[0]) for f in findings)
    assert pairs == [
        ("services.api", "'db'"),
        ("services.api", "'web'"),
        ("services.web", "'api'"),
        ("services.web", "'db'"),
    ]


def test_ix_app_keeps_env_files_that_were_inlined() -> None:
    service = {"image": "x:1", "env_file": [{"path": "app.env"}, {"path": "/mnt/tank/b.env"}]}
    compose = {"services": {"app": service}}
    ctx = RuleContext(compose=compose, raw=compose, mode="ix-app", local_env_files=frozenset())
    assert [f.path for f in check(ctx)] == ["services.app.env_file"]
    inlined = frozenset({"app.env", "/mnt/tank/b.env"})
    ctx = RuleContext(compose=compose, raw=compose, mode="ix-app", local_env_files=inlined)
    assert list(check(ctx)) == []


def test_split_warns_for_a_shared_named_volume() -> None:
    vol = {"type": "volume", "source": "media", "target": "/m"}
    compose = {
        "services": {
            "a": {"image": "a:1", "volumes": [vol]},
            "b": {"image": "b:1", "volumes": [vol]},
        },
        "volumes": {"media": {}},
    }
    findings = run(compose, mode="compose", split=True)
    assert [(f.rule, f.path) for f in findings] == [("mode.split-shared-volume", "volumes.media")]
    assert run(compose, mode="compose", split=False) == []


CHOICES = ("0.0.0.0", "::", "192.168.1.100")
BOUND = (
    "services:\n  web:\n    image: nginx:1.27\n    ports:\n"
    "      - '{ip}:8080:80'\n      - '9090:90'\n"
)


def test_an_ix_app_port_on_an_address_the_nas_does_not_offer_is_an_error() -> None:
    report = validate(BOUND.format(ip="10.0.0.9"), mode="ix-app", host_ips=CHOICES)
    (finding,) = [f for f in report.errors if f.rule == "mode.ix-app-host-ip"]
    assert finding.path == "services.web.ports[0]"
    assert "0.0.0.0, 192.168.1.100, ::" in finding.message
    assert "192.168.1.100" in finding.hint


@pytest.mark.parametrize("ip", ["127.0.0.1", "127.1.2.3", "[::1]"])
def test_loopback_gets_its_own_hint(ip: str) -> None:
    report = validate(BOUND.format(ip=ip), mode="ix-app", host_ips=CHOICES)
    (finding,) = [f for f in report.errors if f.rule == "mode.ix-app-host-ip"]
    assert "loopback" in finding.hint


def test_offered_addresses_and_offline_validation_pass() -> None:
    for ip in CHOICES[::2]:
        report = validate(BOUND.format(ip=ip), mode="ix-app", host_ips=CHOICES)
        assert "mode.ix-app-host-ip" not in {f.rule for f in report.findings}
    offline = validate(BOUND.format(ip="127.0.0.1"), mode="ix-app")
    assert "mode.ix-app-host-ip" not in {f.rule for f in offline.findings}
    compose_mode = validate(BOUND.format(ip="127.0.0.1"), host_ips=CHOICES)
    assert "mode.ix-app-host-ip" not in {f.rule for f in compose_mode.findings}
