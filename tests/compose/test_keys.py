"""compose.keys: unknown keys at the top level, in services and their sections ("did you mean")."""

from __future__ import annotations

from scale_pilot_nb.compose.keys import find_unknown_keys
from scale_pilot_nb.compose.model import UnknownKey, format_path


def test_typos_get_the_closest_known_key() -> None:
    found = find_unknown_keys(
        {"servics": {}, "services": {"web": {"enviroment": {}, "restart_policy": "no"}}}
    )
    assert [(u.key, u.suggestion) for u in found] == [
        ("servics", "services"),
        ("enviroment", "environment"),
        ("restart_policy", "restart"),
    ]
    assert found[1].message == (
        "unknown key 'enviroment' in services.web (did you mean 'environment'?)"
    )


def test_unrelated_keys_get_no_suggestion() -> None:
    found = find_unknown_keys({"services": {"web": {"zzzz": 1}}})
    assert found == [UnknownKey(("services", "web", "zzzz"), "zzzz", None)]
    assert found[0].message == "unknown key 'zzzz' in services.web"


def test_known_and_extension_keys_are_not_reported() -> None:
    document = {
        "name": "app",
        "x-anything": 1,
        "services": {"web": {"image": "a", "x-note": 1, "deploy": {}, "healthcheck": {}}},
        "volumes": {},
    }
    assert find_unknown_keys(document) == []


def test_shapes_that_are_not_mappings_are_skipped() -> None:
    assert find_unknown_keys(["not", "a", "mapping"]) == []
    assert find_unknown_keys({"services": {"web": None}}) == []


def test_typos_inside_health_deploy_and_dependency_sections_are_reported() -> None:
    service = {
        "image": "a",
        "healthcheck": {"test": ["NONE"], "intervall": "5s", "x-note": 1},
        "deploy": {
            "resouces": {},
            "resources": {"limits": {"cpu": 1, "memory": "1g"}, "reservations": {"devices": []}},
        },
        "depends_on": {"db": {"condition": "service_healthy", "requierd": True}, "cache": None},
    }
    found = find_unknown_keys({"services": {"web": service, "odd": {"deploy": "x"}}})
    assert [(format_path(u.path), u.suggestion) for u in found] == [
        ("services.web.healthcheck.intervall", "interval"),
        ("services.web.deploy.resouces", "resources"),
        ("services.web.deploy.resources.limits.cpu", "cpus"),
        ("services.web.depends_on.db.requierd", "required"),
    ]
