"""compose.unicity: repeated sequence entries fold as compose-go folds them (before its schema)."""

from __future__ import annotations

from scale_pilot_nb.compose import validate
from scale_pilot_nb.compose.unicity import enforce_unicity


def _service(**fields: object) -> dict:
    return {"services": {"web": {"image": "a", **fields}}}


def test_identical_ports_fold_into_one_and_are_no_schema_error() -> None:
    data = _service(ports=["8080:80", "8080:80", {"target": 80, "published": 81}])
    assert enforce_unicity(data)["services"]["web"]["ports"] == [
        "8080:80",
        {"target": 80, "published": 81},
    ]
    text = "services:\n  web:\n    image: nginx:1\n    ports: ['8080:80', '8080:80']\n"
    assert validate(text).errors == []


def test_ports_written_differently_stay_two_entries() -> None:
    data = _service(ports=["8080:80", "8080:80/tcp"])
    assert enforce_unicity(data) is data


def test_a_later_volume_with_the_same_target_replaces_the_earlier_in_place() -> None:
    data = _service(volumes=["/a:/x", "/c:/y", {"type": "bind", "source": "/b", "target": "/x"}])
    assert enforce_unicity(data)["services"]["web"]["volumes"] == [
        {"type": "bind", "source": "/b", "target": "/x"},
        "/c:/y",
    ]


def test_secrets_configs_expose_and_environment_lists_fold_by_their_keys() -> None:
    data = _service(
        secrets=["s", {"source": "s"}, {"source": "t", "target": "/run/secrets/s"}],
        configs=["c", {"source": "c", "target": "/c"}],
        expose=[80, "80"],
        environment=["A=1", "A=2", "B"],
    )
    web = enforce_unicity(data)["services"]["web"]
    assert web["secrets"] == [{"source": "t", "target": "/run/secrets/s"}]
    assert web["configs"] == [{"source": "c", "target": "/c"}]
    assert web["expose"] == ["80"]
    assert web["environment"] == ["A=2", "B"]


def test_the_input_is_never_changed() -> None:
    data = _service(ports=["1:1", "1:1"])
    enforce_unicity(data)
    assert data["services"]["web"]["ports"] == ["1:1", "1:1"]


def test_odd_shapes_are_left_for_the_schema() -> None:
    assert enforce_unicity({"services": ["web"]}) == {"services": ["web"]}
    data = _service(volumes=["not a volume:::", "not :: either", "/a:/x"])
    assert enforce_unicity(data) is data
