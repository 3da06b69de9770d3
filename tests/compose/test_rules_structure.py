"""Structure rules on hand-written normalised compose dicts (long syntax)."""

from __future__ import annotations

from typing import Any

from scale_pilot_nb.compose import validate
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext
from scale_pilot_nb.compose.rules_structure import check


def run(compose: dict[str, Any], raw: dict[str, Any] | None = None) -> list[Finding]:
    return list(check(RuleContext(compose=compose, raw=raw or compose)))


def rules(compose: dict[str, Any], raw: dict[str, Any] | None = None) -> set[str]:
    return {f.rule for f in run(compose, raw)}


def svc(**extra: Any) -> dict[str, Any]:
    return {"image": "nginx:1.27", **extra}


def test_no_services_is_an_error() -> None:
    findings = run({"services": {}})
    assert [f.rule for f in findings] == ["structure.no-services"]
    assert findings[0].severity is Severity.ERROR


def test_service_without_image_or_build() -> None:
    assert rules({"services": {"web": {"command": ["x"]}}}) == {"structure.no-image"}


def test_build_is_a_warning_about_the_context() -> None:
    findings = run({"services": {"app": {"build": {"context": "/mnt/tank/src"}}}})
    assert [(f.rule, f.severity) for f in findings] == [("structure.build", Severity.WARNING)]
    assert "absolute" in findings[0].hint


def test_undefined_references() -> None:
    compose = {
        "services": {
            "web": svc(
                networks={"front": None, "default": None},
                volumes=[
                    {"type": "volume", "source": "data", "target": "/d"},
                    {"type": "volume", "target": "/anon"},
                ],
                secrets=[{"source": "pw"}],
                configs=[{"source": "cfg"}],
                depends_on={"db": {"condition": "service_started", "required": True}},
            )
        }
    }
    assert rules(compose) == {
        "structure.undefined-network",
        "structure.undefined-volume",
        "structure.undefined-secret",
        "structure.undefined-config",
        "structure.undefined-dependency",
    }


def test_declared_references_are_fine() -> None:
    compose = {
        "services": {
            "web": svc(
                networks={"front": None},
                volumes=[{"type": "volume", "source": "data", "target": "/d"}],
                depends_on={"db": {"condition": "service_healthy"}},
            ),
            "db": svc(healthcheck={"test": ["CMD", "true"]}),
        },
        "networks": {"front": {}},
        "volumes": {"data": {}},
    }
    assert rules(compose) == set()


def test_network_mode_with_networks_uses_what_was_written() -> None:
    compose = {"services": {"web": svc(network_mode="host", networks={"default": None})}}
    raw = {"services": {"web": {"network_mode": "host", "networks": ["default"]}}}
    assert "structure.network-mode-with-networks" in rules(compose, raw)
    # An implicit default network added by normalisation is not a conflict.
    assert rules(compose, {"services": {"web": {"network_mode": "host"}}}) == set()


def test_network_mode_service_must_exist() -> None:
    compose = {"services": {"web": svc(network_mode="service:vpn")}}
    assert rules(compose) == {"structure.undefined-service"}


def test_duplicate_container_name() -> None:
    compose = {"services": {"a": svc(container_name="x"), "b": svc(container_name="x")}}
    findings = run(compose)
    assert [f.rule for f in findings] == ["structure.duplicate-container-name"]
    assert findings[0].path == "services.b.container_name"


def test_container_name_that_is_not_a_string_is_reported_not_a_crash() -> None:
    compose = {"services": {"a": svc(container_name=["x"]), "b": svc(container_name={"y": 1})}}
    findings = run(compose)
    assert [(f.rule, f.path) for f in findings] == [
        ("structure.invalid-value", "services.a.container_name"),
        ("structure.invalid-value", "services.b.container_name"),
    ]


def test_invalid_ports() -> None:
    compose = {
        "services": {
            "web": svc(
                ports=[
                    {"target": 0, "published": "80", "protocol": "tcp"},
                    {"target": 80, "published": "70000", "protocol": "tcp"},
                    {"target": 80, "published": "9000", "protocol": "icmp"},
                    {"target": 80, "published": "0", "protocol": "tcp"},
                    {"target": 80, "published": "9000-8000", "protocol": "tcp"},
                ]
            )
        }
    }
    findings = run(compose)
    assert [f.path for f in findings] == [f"services.web.ports[{i}]" for i in range(5)]
    assert {f.rule for f in findings} == {"structure.invalid-port"}


def test_port_entries_left_as_written_are_skipped() -> None:
    # The normaliser reports unreadable entries itself and keeps them as strings.
    assert rules({"services": {"web": svc(ports=["bad:port:spec"])}}) == set()


def test_published_collision_inside_the_file() -> None:
    compose = {
        "services": {
            "a": svc(ports=[{"target": 80, "published": "8080", "protocol": "tcp"}]),
            "b": svc(ports=[{"target": 81, "published": "8000-8090", "protocol": "tcp"}]),
        }
    }
    findings = run(compose)
    assert [f.rule for f in findings] == ["structure.port-collision"]
    assert "services.a.ports[0]" in findings[0].message


def test_same_port_on_other_protocol_or_address_is_fine() -> None:
    compose = {
        "services": {
            "a": svc(ports=[{"target": 53, "published": "53", "protocol": "tcp"}]),
            "b": svc(
                ports=[
                    {"target": 53, "published": "53", "protocol": "udp"},
                    {"target": 80, "published": "8080", "host_ip": "127.0.0.1"},
                    {"target": 80, "published": "8080", "host_ip": "192.168.1.5"},
                ]
            ),
        }
    }
    assert rules(compose) == set()


def test_wildcard_address_collides_with_a_specific_one() -> None:
    compose = {
        "services": {
            "a": svc(ports=[{"target": 80, "published": "8080", "host_ip": "0.0.0.0"}]),
            "b": svc(ports=[{"target": 80, "published": "8080", "host_ip": "127.0.0.1"}]),
        }
    }
    assert rules(compose) == {"structure.port-collision"}


def test_dependency_cycle_and_healthy_condition() -> None:
    compose = {
        "services": {
            "a": svc(depends_on={"b": {"condition": "service_healthy"}}),
            "b": svc(depends_on={"a": {"condition": "service_started"}}),
        }
    }
    findings = run(compose)
    assert {f.rule for f in findings} == {
        "structure.dependency-cycle",
        "structure.healthy-without-healthcheck",
    }
    cycle = next(f for f in findings if f.rule == "structure.dependency-cycle")
    assert "a -> b -> a" in cycle.message


def test_findings_are_located_through_the_source_map() -> None:
    compose = {"services": {"web": {"command": ["x"]}}}
    ctx = RuleContext(compose=compose, source_map={("services", "web"): (3, 3)})
    (finding,) = check(ctx)
    assert (finding.line, finding.column) == (3, 3)


def test_bind_without_source() -> None:
    compose = {"services": {"web": svc(volumes=[{"type": "bind", "target": "/x"}])}}
    assert [(f.rule, f.path) for f in run(compose)] == [
        ("structure.invalid-volume", "services.web.volumes[0]")
    ]


def test_self_dependency_is_a_cycle() -> None:
    compose = {"services": {"a": svc(depends_on={"a": {"condition": "service_started"}})}}
    (finding,) = run(compose)
    assert (finding.rule, finding.severity) == ("structure.dependency-cycle", Severity.ERROR)
    assert finding.path == "services.a.depends_on.a"
    assert "depends on itself" in finding.message


def test_dependency_on_a_missing_service_is_an_error_even_when_not_required() -> None:
    """Compose: service "a" depends on undefined service "b": invalid compose project."""
    compose = {"services": {"a": svc(depends_on={"b": {"required": False}})}}
    (finding,) = run(compose)
    assert (finding.rule, finding.severity) == ("structure.undefined-dependency", Severity.ERROR)


def test_unmerged_extends_is_not_also_reported_as_missing_image() -> None:
    compose = {"services": {"a": {"extends": {"service": "b", "file": "other.yml"}}}}
    assert rules(compose) == set()


def test_inline_dockerfile_without_context_gets_its_own_hint() -> None:
    compose = {"services": {"a": {"build": {"dockerfile_inline": "FROM alpine\n"}}}}
    (finding,) = run(compose)
    assert finding.rule == "structure.build" and "needs no build context" in finding.hint


def test_network_mode_with_networks_written_in_the_base_service() -> None:
    compose = {"services": {"a": svc(network_mode="host"), "b": svc(networks={"n": None})}}
    raw = {
        "services": {
            "a": {"extends": "b", "network_mode": "host"},
            "b": {"image": "x", "networks": ["n"]},
        }
    }
    assert "structure.network-mode-with-networks" in rules(compose, raw)
    raw["services"]["a"]["networks"] = None  # `networks: !reset`
    assert "structure.network-mode-with-networks" not in rules(compose, raw)


def test_a_service_run_by_a_provider_needs_no_image() -> None:
    text = "services:\n  model:\n    provider:\n      type: model\n      options: {model: ai/x}\n"
    assert "structure.no-image" not in {f.rule for f in validate(text).errors}


def test_x_names_at_the_top_level_are_extensions_not_declarations() -> None:
    text = (
        "services:\n  web:\n    image: nginx:1.27\n    networks: [x-net]\nnetworks:\n  x-net: {}\n"
    )
    assert "structure.undefined-network" in {f.rule for f in validate(text).errors}
