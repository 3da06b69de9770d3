"""convert(): compose-mode, ix-app and split payloads; datasets; relative paths; round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.plan import plan
from scale_pilot_nb.errors import ComposeError, ComposeLoadError

CORPUS = Path(__file__).resolve().parents[1] / "compose_corpus"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expected.yaml").read_text())
GOOD = sorted(k for k in EXPECTED if k.startswith("good/"))


def stored(payload: dict[str, Any]) -> dict[str, Any]:
    """What app.config returns after the NAS yaml.safe_load-ed and stored the compose string."""
    data = yaml.safe_load(payload["custom_compose_config_string"])
    assert isinstance(data, dict)
    return data


def test_compose_payload_shape_and_interpolation() -> None:
    text = "services:\n  web:\n    image: nginx:${TAG}\n    command: ['echo', '$$HOME']\n"
    conversion = convert(text, "web", variables={"TAG": "1.27"})
    payload = conversion.payload
    assert set(payload) == {"custom_app", "app_name", "custom_compose_config_string"}
    assert payload["custom_app"] is True and payload["app_name"] == "web"
    compose = stored(payload)
    assert compose["services"]["web"]["image"] == "nginx:1.27"
    # $$ became $ by interpolation and is escaped again, so the NAS does not interpolate it.
    assert compose["services"]["web"]["command"] == ["echo", "$$HOME"]
    assert conversion.datasets == [] and conversion.findings == []


@pytest.mark.parametrize("key", GOOD)
def test_every_good_file_round_trips_to_noop(key: str) -> None:
    options = EXPECTED[key]
    conversion = convert(
        CORPUS / key,
        options.get("name", "app"),
        mode=options.get("mode", "compose"),
        split=options.get("split", False),
        variables=options.get("variables"),
    )
    for app in conversion.apps:
        live = app.payload["values"] if app.mode == "ix-app" else stored(app.payload)
        result = plan(app.payload, live)
        assert result.action == "noop", result.diff


def test_round_trip_survives_the_25_10_quoted_dump() -> None:
    conversion = convert(CORPUS / "good/immich.yml", "immich", variables={"DB_PASSWORD": "pw"})

    class QuotedDumper(yaml.SafeDumper):
        pass

    def quoted(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')

    QuotedDumper.add_representer(str, quoted)
    text = yaml.dump(stored(conversion.payload), Dumper=QuotedDumper, sort_keys=True)
    assert plan(conversion.payload, yaml.safe_load(text)).action == "noop"


def test_missing_required_variable_and_bad_name_are_refused() -> None:
    text = "services:\n  db:\n    image: postgres:16\n    environment:\n      PW: ${PW:?x}\n"
    with pytest.raises(ComposeError, match="PW") as info:
        convert(text, "db")
    assert info.value.hint
    with pytest.raises(ComposeError, match=r"(?i)app name"):
        convert(text, "Bad_Name", variables={"PW": "x"})
    with pytest.raises(ComposeLoadError):
        convert("services: [unclosed", "db")


def test_unreadable_entries_are_refused() -> None:
    with pytest.raises(ComposeError, match="ports"):
        convert("services:\n  web:\n    image: x:1\n    ports: ['99999:80']\n", "web")


def test_relative_paths_rejected_or_resolved() -> None:
    text = "services:\n  web:\n    image: x:1\n    volumes: ['./html:/srv:ro']\n    build: .\n"
    with pytest.raises(ComposeError, match=r"services\.web\.volumes\[0\]") as info:
        convert(text, "web")
    assert "nas_base_dir" in str(info.value.hint)
    with pytest.raises(ComposeError):
        convert(text, "web", relative_paths="resolve")  # where on the NAS is unknown
    conversion = convert(text, "web", relative_paths="resolve", nas_base_dir="/mnt/tank/site")
    service = stored(conversion.payload)["services"]["web"]
    assert service["volumes"][0]["source"] == "/mnt/tank/site/html"
    assert service["build"]["context"] == "/mnt/tank/site"


def test_env_file_read_locally_is_inlined(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("FROM_FILE=1\n")
    (tmp_path / "c.yml").write_text(
        "services:\n  app:\n    image: x:1\n    env_file: app.env\n    environment:\n      A: b\n"
    )
    conversion = convert(tmp_path / "c.yml", "app")
    service = stored(conversion.payload)["services"]["app"]
    assert "env_file" not in service
    assert service["environment"] == {"FROM_FILE": "1", "A": "b"}
    assert [f.rule for f in conversion.findings] == ["convert.env-file-inlined"]


def test_env_file_in_the_home_directory_is_inlined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "vars.env").write_text("FROM_HOME=1\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    text = "services:\n  app:\n    image: x:1\n    env_file: ~/vars.env\n"
    conversion = convert(text, "app", base_dir=tmp_path / "elsewhere")
    assert stored(conversion.payload)["services"]["app"] == {
        "image": "x:1",
        "environment": {"FROM_HOME": "1"},
        "networks": {"default": None},
    }


def test_absolute_env_file_stays_for_the_nas_to_read() -> None:
    conversion = convert(CORPUS / "good/env-file-on-nas.yml", "miniflux")
    service = stored(conversion.payload)["services"]["miniflux"]
    assert service["env_file"] == [{"path": "/mnt/tank/secrets/miniflux.env", "required": True}]


def test_named_volumes_become_datasets() -> None:
    text = """\
services:
  db:
    image: postgres:16
    volumes: ["pg:/var/lib/postgresql/data", "shared:/shared:ro", "ext:/ext"]
volumes:
  pg: {}
  shared: {}
  ext: {external: true}
"""
    conversion = convert(text, "db", volumes="datasets", dataset_parent="/mnt/tank/apps/")
    assert conversion.datasets == ["tank/apps/db", "tank/apps/db/pg", "tank/apps/db/shared"]
    compose = stored(conversion.payload)
    mounts = compose["services"]["db"]["volumes"]
    assert mounts[0] == {
        "type": "bind",
        "source": "/mnt/tank/apps/db/pg",
        "target": "/var/lib/postgresql/data",
    }
    assert mounts[1]["read_only"] is True and mounts[2]["source"] == "ext"
    assert compose["volumes"] == {"ext": {"external": True}}
    for parent in (None, "", "..", "tank/../x"):
        with pytest.raises(ComposeError, match="parent dataset"):
            convert(text, "db", volumes="datasets", dataset_parent=parent)


def test_ix_app_refuses_several_services_without_split() -> None:
    with pytest.raises(ComposeError, match="split=True"):
        convert(CORPUS / "good/gitea-postgres.yml", "gitea", mode="ix-app")


def test_split_orders_by_depends_on_and_names_apps() -> None:
    conversion = convert(CORPUS / "good/paperless-ngx.yml", "paper", split=True)
    names = [app.app_name for app in conversion.apps]
    assert names == [
        "paper-broker",
        "paper-db",
        "paper-gotenberg",
        "paper-tika",
        "paper-webserver",
    ]
    web = stored(conversion.apps[-1].payload)
    assert (
        list(web["services"]) == ["webserver"] and "depends_on" not in web["services"]["webserver"]
    )
    warned = {f.path for f in conversion.findings if f.rule == "mode.split-cross-reference"}
    assert warned == {"services.webserver"}
    with pytest.raises(ComposeError):
        _ = conversion.payload  # several apps: there is no single payload


def test_split_ix_app_gives_one_values_payload_per_service() -> None:
    conversion = convert(CORPUS / "good/split-stack.yml", "stack", mode="ix-app", split=True)
    assert [a.app_name for a in conversion.apps] == ["stack-db", "stack-api"]
    assert all(a.payload["catalog_app"] == "ix-app" for a in conversion.apps)
    dropped = {f.path for f in conversion.findings if f.rule == "mode.ix-app-dropped"}
    assert "services.api.healthcheck" in dropped
    # located like validation's findings, so a caller showing both can tell them apart
    assert all(f.line is not None for f in conversion.findings)


def test_split_with_invalid_derived_name_or_cycle_is_refused() -> None:
    with pytest.raises(ComposeError, match=r"(?i)app name"):
        convert(CORPUS / "bad/split-invalid-derived-name.yml", "shop", split=True)
    with pytest.raises(ComposeError, match="cycle"):
        convert(CORPUS / "bad/dependency-cycle.yml", "loop", split=True)


def test_ix_app_needs_an_image_and_options_are_checked() -> None:
    text = "services:\n  app:\n    build: {context: /mnt/tank/src}\n"
    with pytest.raises(ComposeError, match="image"):
        convert(text, "app", mode="ix-app")
    assert convert(text, "app").payload["custom_app"] is True  # compose mode can build
    with pytest.raises(ValueError, match="mode"):
        convert(text, "app", mode="helm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="volumes"):
        convert(text, "app", volumes="zfs")  # type: ignore[arg-type]


def test_summary_and_repr_never_carry_the_payload() -> None:
    text = "services:\n  db:\n    image: postgres:16\n    environment:\n      PW: ${PW}\n"
    conversion = convert(text, "db", variables={"PW": "top-secret-pw"})
    assert "top-secret-pw" in conversion.payload["custom_compose_config_string"]
    summary = f"{conversion.to_dict()} {conversion!r} {conversion.apps!r}"
    assert "top-secret-pw" not in summary
    assert conversion.to_dict()["apps"] == [
        {"app_name": "db", "mode": "compose", "services": ["db"], "datasets": []}
    ]


def test_split_apps_share_the_datasets_of_the_stack() -> None:
    text = """\
services:
  app:
    image: a:1
    volumes: ["media:/media"]
  worker:
    image: w:1
    volumes: ["media:/media:ro"]
volumes:
  media: {}
"""
    conversion = convert(text, "stack", split=True, volumes="datasets", dataset_parent="tank/apps")
    assert conversion.datasets == ["tank/apps/stack", "tank/apps/stack/media"]
    sources = [
        stored(app.payload)["services"][app.services[0]]["volumes"][0]["source"]
        for app in conversion.apps
    ]
    assert sources == ["/mnt/tank/apps/stack/media"] * 2
