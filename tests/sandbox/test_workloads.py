"""Compose services → containers: ports, mounts, triggers, conflicts."""

from __future__ import annotations

import pytest

from scale_pilot_nb.sandbox.workloads import (
    EPHEMERAL_PORT_BASE,
    ComposeUpError,
    PortBinding,
    parse_services,
    port_conflict,
)


def ports_of(*specs: object, taken: set[int] | None = None) -> list[PortBinding]:
    compose = {"services": {"s": {"image": "x:1", "ports": list(specs)}}}
    return list(parse_services("app", compose, taken)[0].ports)


def test_short_and_long_port_syntax() -> None:
    assert ports_of("127.0.0.1:8080:80/udp") == [PortBinding("127.0.0.1", 8080, 80, "udp")]
    assert ports_of("[::1]:8080:80") == [PortBinding("::1", 8080, 80, "tcp")]
    assert [b.host_ip for b in ports_of("8080:80")] == ["0.0.0.0", "::"]
    assert [b.host_port for b in ports_of("9000-9001:9000-9001")] == [9000, 9000, 9001, 9001]
    long = ports_of({"target": 80, "published": "8081", "host_ip": "10.0.0.1"})
    assert long == [PortBinding("10.0.0.1", 8081, 80, "tcp")]


def test_container_only_ports_get_free_ephemeral_host_ports() -> None:
    taken = {EPHEMERAL_PORT_BASE}
    bindings = ports_of("80", {"target": 81}, taken=taken)
    assert {b.host_port for b in bindings} == {EPHEMERAL_PORT_BASE + 1, EPHEMERAL_PORT_BASE + 2}


def test_triggers_for_exit_codes_and_health() -> None:
    compose = {
        "services": {
            "a": {"image": "x", "command": ["false"]},
            "b": {"image": "x", "entrypoint": "/bin/true"},
            "c": {"image": "x", "command": ["sh", "-c", "exit 3"]},
            "d": {"image": "x", "labels": ["sandbox.health=unhealthy"]},
            "e": {"build": {"context": "."}},
        }
    }
    specs = {s.name: s for s in parse_services("app", compose)}
    assert (specs["a"].exit_code, specs["b"].exit_code, specs["c"].exit_code) == (1, 0, 3)
    assert specs["d"].unhealthy and specs["d"].image == "x:latest"
    assert specs["e"].built and specs["e"].image == "ix-app-e:latest"


@pytest.mark.parametrize(
    ("command", "exit_code", "output"),
    [
        (["sh", "-c", "echo 'no db'; echo second line && exit 4"], 4, ("no db", "second line")),
        ("sh -c 'exit 0'", 0, ()),
        (["false"], 1, ()),
        (["sh", "-c", "echo hi; sleep 5; exit 1"], None, ()),  # uncertain: it runs on
        (["sh", "-c", "exit 1; echo after"], None, ()),
        (["nginx", "-g", "daemon off;"], None, ()),
    ],
)
def test_a_container_that_stops_by_itself_logs_only_what_its_script_echoed(
    command: object, exit_code: int | None, output: tuple[str, ...]
) -> None:
    (spec,) = parse_services("app", {"services": {"s": {"image": "x", "command": command}}})
    assert (spec.exit_code, spec.output) == (exit_code, output)


@pytest.mark.parametrize(
    "compose",
    [["not", "a", "mapping"], {"services": ["x"]}, {"services": {"x": {"ports": ["1:1"]}}}],
)
def test_documents_docker_cannot_start(compose: object) -> None:
    with pytest.raises(ComposeUpError):
        parse_services("app", compose)


def test_port_conflicts_respect_address_families() -> None:
    v4 = PortBinding("0.0.0.0", 80, 80, "tcp")
    v6 = PortBinding("::", 80, 80, "tcp")
    assert port_conflict([v4, v6], []) is None
    assert port_conflict([PortBinding("10.0.0.1", 80, 80, "tcp")], [v4]) is not None
    assert port_conflict([PortBinding("10.0.0.1", 80, 80, "udp")], [v4]) is None
    assert port_conflict([v4, v4], []) is not None


def test_variables_resolve_like_docker_with_an_empty_environment() -> None:
    compose = {
        "services": {
            "s": {
                "image": "nginx:${TAG:-1.27}",
                "ports": ["${PORT:-8080}:80", "${UNSET}9090:90"],
                "volumes": ["$$HOME:/h"],
            }
        }
    }
    spec = parse_services("app", compose)[0]
    assert spec.image == "nginx:1.27"
    assert {b.host_port for b in spec.ports} == {8080, 9090}
    assert spec.mounts[0][1] == "/h"
