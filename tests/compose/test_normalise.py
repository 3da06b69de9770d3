"""compose.normalise: short → long syntax with real defaults; idempotent; issues reported."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.model import Issue
from scale_pilot_nb.compose.normalise import normalise, normalise_lenient
from scale_pilot_nb.errors import ComposeError


def _service(text: str, **kwargs: Any) -> dict[str, Any]:
    """Normalise a one-service document given as the service body (YAML, 4-space indent)."""
    data = load("services:\n  web:\n" + text).data
    result: dict[str, Any] = normalise(data, **kwargs)["services"]["web"]
    return result


def test_ports_become_long_syntax_with_ranges_expanded() -> None:
    web = _service("    ports: [80, '8080:80', '127.0.0.1:53:53/udp', '9000-9001']\n")
    assert web["ports"] == [
        {"target": 80, "protocol": "tcp", "mode": "ingress"},
        {"target": 80, "published": "8080", "protocol": "tcp", "mode": "ingress"},
        {
            "target": 53,
            "published": "53",
            "host_ip": "127.0.0.1",
            "protocol": "udp",
            "mode": "ingress",
        },
        {"target": 9000, "protocol": "tcp", "mode": "ingress"},
        {"target": 9001, "protocol": "tcp", "mode": "ingress"},
    ]


def test_volumes_become_long_syntax() -> None:
    web = _service("    volumes: ['./html:/usr/share/nginx/html:ro', 'data:/data', '/cache']\n")
    assert web["volumes"] == [
        {
            "type": "bind",
            "source": "./html",
            "target": "/usr/share/nginx/html",
            "read_only": True,
            "bind": {"create_host_path": True},
        },
        {"type": "volume", "source": "data", "target": "/data", "read_only": False, "volume": {}},
        {"type": "volume", "target": "/cache", "read_only": False, "volume": {}},
    ]


def test_environment_list_and_mapping_give_the_same_mapping() -> None:
    as_list = _service("    environment: ['A=1', 'B=x=y', 'C=', 'D']\n")["environment"]
    as_map = _service("    environment: {A: 1, B: x=y, C: '', D: null}\n")["environment"]
    assert as_list == as_map == {"A": "1", "B": "x=y", "C": "", "D": None}


def test_bare_environment_keys_take_values_from_the_given_environment() -> None:
    env = _service("    environment: [TZ, NOPE]\n", environment={"TZ": "UTC"})["environment"]
    assert env == {"TZ": "UTC", "NOPE": None}


def test_environment_scalars_are_written_as_compose_writes_them() -> None:
    env = _service("    environment: {DEBUG: true, N: 3, F: 1.5}\n")["environment"]
    assert env == {"DEBUG": "true", "N": "3", "F": "1.5"}


def test_env_file_forms_become_a_list_of_path_and_required() -> None:
    assert _service("    env_file: a.env\n")["env_file"] == [{"path": "a.env", "required": True}]
    long = _service("    env_file: [a.env, {path: b.env, required: false, format: raw}]\n")
    assert long["env_file"] == [
        {"path": "a.env", "required": True},
        {"path": "b.env", "required": False, "format": "raw"},
    ]


def test_depends_on_list_and_mapping_get_condition_required_and_restart() -> None:
    short = _service("    depends_on: [db]\n")["depends_on"]
    long = _service("    depends_on: {db: {condition: service_healthy, restart: true}}\n")
    assert short == {"db": {"condition": "service_started", "required": True, "restart": False}}
    assert long["depends_on"] == {
        "db": {"condition": "service_healthy", "required": True, "restart": True}
    }


def test_healthcheck_test_string_becomes_cmd_shell_and_durations_stay_text() -> None:
    health = _service(
        "    healthcheck:\n      test: curl -f http://localhost\n"
        "      interval: 30s\n      retries: '3'\n"
    )["healthcheck"]
    assert health == {
        "test": ["CMD-SHELL", "curl -f http://localhost"],
        "interval": "30s",
        "retries": 3,
    }


def test_legacy_cpus_and_memory_move_to_deploy_resources_in_bytes() -> None:
    web = _service("    cpus: '0.5'\n    mem_limit: 512m\n    mem_reservation: 1g\n")
    assert "cpus" not in web and "mem_limit" not in web
    assert web["deploy"] == {
        "resources": {
            "limits": {"cpus": 0.5, "memory": str(512 * 1024**2)},
            "reservations": {"memory": str(1024**3)},
        }
    }


def test_deploy_resources_memory_is_converted_to_bytes() -> None:
    web = _service("    deploy:\n      resources:\n        limits: {memory: 2GiB, cpus: 2}\n")
    assert web["deploy"]["resources"]["limits"] == {"memory": str(2 * 1024**3), "cpus": 2.0}


def test_conflicting_legacy_and_deploy_limits_are_an_issue() -> None:
    data = load(
        "services:\n  web:\n    cpus: 1\n    deploy: {resources: {limits: {cpus: 2}}}\n"
    ).data
    result = normalise_lenient(data)
    assert result.issues == (
        Issue(
            ("services", "web", "cpus"),
            "'cpus' conflicts with deploy.resources.limits.cpus",
            "Keep only deploy.resources.",
        ),
    )


def test_a_service_without_networks_joins_the_implicit_default_network() -> None:
    data = normalise(
        load("services:\n  web: {image: a}\n  db: {image: b, network_mode: host}\n").data
    )
    assert data["services"]["web"]["networks"] == {"default": None}
    assert "networks" not in data["services"]["db"]
    assert data["networks"] == {"default": {}}


def test_network_lists_become_mappings_and_null_definitions_become_empty() -> None:
    data = normalise(
        load(
            "services:\n  web:\n    networks: [front]\nnetworks:\n  front:\nvolumes:\n  db:\n"
        ).data
    )
    assert data["services"]["web"]["networks"] == {"front": None}
    assert data["networks"] == {"front": {}}
    assert data["volumes"] == {"db": {}}


def test_commands_become_word_lists_and_build_gets_its_defaults() -> None:
    web = _service("    command: nginx -g 'daemon off;'\n    entrypoint: [sh, -c]\n    build: .\n")
    assert web["command"] == ["nginx", "-g", "daemon off;"]
    assert web["entrypoint"] == ["sh", "-c"]
    assert web["build"] == {"context": ".", "dockerfile": "Dockerfile"}


def test_flags_numbers_and_sizes_are_cast_from_interpolated_text() -> None:
    web = _service(
        "    privileged: 'false'\n    read_only: 'yes'\n    shm_size: 64m\n    scale: '2'\n"
    )
    assert (web["privileged"], web["read_only"], web["shm_size"], web["scale"]) == (
        False,
        True,
        64 * 1024**2,
        2,
    )


def test_restart_labels_and_short_lists() -> None:
    web = _service(
        "    restart: on-failure:3\n    labels: [a=1, b]\n    dns: 1.1.1.1\n    secrets: [token]\n"
    )
    assert web["restart"] == "on-failure:3"
    assert web["labels"] == {"a": "1", "b": ""}
    assert web["dns"] == ["1.1.1.1"]
    assert web["secrets"] == [{"source": "token"}]


def test_normalising_twice_changes_nothing_and_never_touches_the_input() -> None:
    data = load(
        "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    volumes: [d:/d]\n"
        "    environment: [A=1]\n    depends_on: [db]\n    cpus: 1\n    command: a b\n"
        "  db:\n    image: postgres\n    healthcheck: {test: pg_isready}\nvolumes:\n  d:\n"
    ).data
    before = copy.deepcopy(data)
    once = normalise(data)
    assert normalise(once) == once
    assert data == before


def test_short_and_long_syntax_normalise_to_equal_documents() -> None:
    short = load("services:\n  web:\n    ports: ['8080:80']\n    volumes: ['db:/d']\n").data
    long = load(
        "services:\n  web:\n"
        "    ports: [{target: 80, published: 8080}]\n"
        "    volumes: [{type: volume, source: db, target: /d}]\n"
    ).data
    assert normalise(short) == normalise(long)


def test_lenient_mode_keeps_invalid_entries_and_reports_each() -> None:
    data = load(
        "services:\n  web:\n    ports: ['99999:80', '80:80', 'x']\n    restart: sometimes\n"
    ).data
    result = normalise_lenient(data)
    web = result.data["services"]["web"]
    assert web["ports"][0] == "99999:80"
    assert web["ports"][1]["published"] == "80"
    assert web["restart"] == "sometimes"
    assert [issue.path for issue in result.issues] == [
        ("services", "web", "ports", 0),
        ("services", "web", "ports", 2),
        ("services", "web", "restart"),
    ]


def test_strict_mode_raises_listing_every_issue_with_its_path() -> None:
    data = load("services:\n  web:\n    ports: ['99999:80']\n    restart: sometimes\n").data
    with pytest.raises(ComposeError) as caught:
        normalise(data)
    message = caught.value.message
    assert message.startswith("2 invalid entries: services.web.ports[0]: invalid port")
    assert "services.web.restart: restart 'sometimes' is not valid" in message


def test_port_ranges_cannot_expand_without_bound() -> None:
    services = {f"s{i}": {"ports": ["1-65535"]} for i in range(3)}
    result = normalise_lenient({"services": services})
    assert len(result.data["services"]["s0"]["ports"]) == 65535
    assert result.data["services"]["s1"]["ports"] == ["1-65535"]
    assert [issue.path for issue in result.issues] == [
        ("services", "s1", "ports", 0),
        ("services", "s2", "ports", 0),
    ]
    assert "more than 65536 mappings" in result.issues[0].message


def test_a_service_that_is_not_a_mapping_is_an_issue() -> None:
    result = normalise_lenient({"services": {"web": None}})
    assert result.issues[0].path == ("services", "web")


def test_unknown_keys_are_kept_for_the_schema_to_report() -> None:
    result = normalise_lenient(load("services:\n  web:\n    imgae: nginx\n    x-ok: 1\n").data)
    assert result.data["services"]["web"]["imgae"] == "nginx"
    assert result.issues == ()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("    environment: [[1]]\n", "'environment' must be a list"),
        ("    env_file: 5\n", "'env_file' must be a path"),
        ("    depends_on: db\n", "'depends_on' must be a list"),
        ("    depends_on: {db: {condition: started}}\n", "condition 'started'"),
        ("    healthcheck: {test: [curl]}\n", "must start with NONE, CMD or CMD-SHELL"),
        ('    command: "echo \'unclosed"\n', "cannot be split into words"),
        ("    privileged: maybe\n", "'privileged' must be true or false"),
        ("    mem_limit: lots\n", "'mem_limit' must be a size"),
        ("    ports: '80:80'\n", "'ports' must be a list"),
    ],
)
def test_wrong_shapes_are_issues_naming_the_field(body: str, fragment: str) -> None:
    result = normalise_lenient(load("services:\n  web:\n" + body).data)
    assert len(result.issues) == 1
    assert fragment in result.issues[0].message


def test_entries_after_a_port_range_remember_where_they_were_written() -> None:
    result = normalise_lenient(
        {"services": {"web": {"image": "a:1", "ports": ["8000-8001:80-81", "9000:90", "bad"]}}}
    )
    ports = ("services", "web", "ports")
    assert len(result.data["services"]["web"]["ports"]) == 4
    assert result.written_paths == {
        (*ports, 1): (*ports, 0),
        (*ports, 2): (*ports, 1),
        (*ports, 3): (*ports, 2),
    }
    assert [issue.path for issue in result.issues] == [(*ports, 2)]


@pytest.mark.parametrize(
    ("dockerfile", "context"),
    [
        ("FROM alpine\nRUN apk add curl\n", None),
        ("FROM alpine\nCOPY --from=builder /app /app\n", None),
        ("FROM alpine\nADD https://example.com/x.tgz /x.tgz\n", None),
        ("FROM alpine\nCOPY <<EOF /etc/motd\nhello\nEOF\n", None),
        ("# COPY . /app\nFROM alpine\n", None),
        ("FROM alpine\nRUN --mount=type=cache,target=/root/.cache pip install x\n", None),
        ("FROM alpine\nCOPY . /app\n", "."),
        ("FROM alpine\ncopy app.py /app/\n", "."),
        ("FROM alpine\nADD local.tgz /\n", "."),
        ('FROM alpine\nCOPY ["a b", "/x"]\n', "."),
        ("FROM alpine\nRUN --mount=type=bind,source=req.txt,target=/r pip install -r /r\n", "."),
        ("FROM alpine\nRUN echo a \\\n  && echo b\nCOPY \\\n  src /src\n", "."),
    ],
)
def test_inline_dockerfile_gets_a_context_only_when_it_copies_from_one(
    dockerfile: str, context: str | None
) -> None:
    (web,) = normalise({"services": {"web": {"build": {"dockerfile_inline": dockerfile}}}})[
        "services"
    ].values()
    assert web["build"].get("context") == context
    assert "dockerfile" not in web["build"]


def test_written_context_stays_with_an_inline_dockerfile() -> None:
    build = {"context": "./src", "dockerfile_inline": "FROM alpine\n"}
    (web,) = normalise({"services": {"web": {"build": build}}})["services"].values()
    assert web["build"] == build


def test_extra_hosts_forms_become_sorted_host_colon_ip() -> None:
    listed = _service(
        "    extra_hosts: ['nas=192.168.1.10', 'host.docker.internal:host-gateway']\n"
    )
    mapped = _service(
        "    extra_hosts: {nas: 192.168.1.10, v6: '[::1]', two: [10.0.0.1, 10.0.0.2]}\n"
    )
    assert listed["extra_hosts"] == ["host.docker.internal:host-gateway", "nas:192.168.1.10"]
    assert mapped["extra_hosts"] == [
        "nas:192.168.1.10",
        "two:10.0.0.1",
        "two:10.0.0.2",
        "v6:::1",
    ]
    assert normalise({"services": {"a": copy.deepcopy(mapped)}})["services"]["a"] == mapped
    result = normalise_lenient({"services": {"a": {"extra_hosts": ["nohost"]}}})
    assert [i.path for i in result.issues] == [("services", "a", "extra_hosts")]
