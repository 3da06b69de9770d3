"""plan(): create / update / noop / replace, with diffs that never show secret values."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.plan import plan
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.errors import ComposeError

STACK = """\
services:
  web:
    image: nginx:1.27
    ports: ["30080:80"]
    environment:
      DB_PASSWORD: ${PW}
  db:
    image: postgres:16.6
"""


def payload(text: str = STACK, pw: str = "first-secret", **kw: Any) -> dict[str, Any]:
    return convert(text, "shop", variables={"PW": pw}, **kw).payload


def live_of(p: dict[str, Any]) -> dict[str, Any]:
    data = yaml.safe_load(p["custom_compose_config_string"])
    assert isinstance(data, dict)
    return data


def test_create_when_there_is_no_live_app() -> None:
    result = plan(payload(), None)
    # nothing exists yet, so nothing is recreated
    assert (result.action, result.live_mode, result.recreates_containers) == ("create", None, False)
    assert result.services_added == ["web", "db"]
    assert result.diff.startswith("--- live\n+++ desired")
    assert "first-secret" not in str(result) and "first-secret" not in str(result.to_dict())


def test_noop_ignores_key_order_quoting_and_short_syntax() -> None:
    written_by_hand = {
        "services": {
            "db": {"image": "postgres:16.6"},
            "web": {
                "environment": ["DB_PASSWORD=first-secret"],
                "ports": ["30080:80/tcp"],
                "image": "nginx:1.27",
            },
        }
    }
    result = plan(payload(), written_by_hand)
    assert result.action == "noop" and not result.changed
    assert result.recreates_containers is False and result.diff == ""


def test_update_lists_images_ports_and_changed_services() -> None:
    live = live_of(payload())
    changed = STACK.replace("nginx:1.27", "nginx:1.28").replace("30080:80", "30081:80")
    result = plan(payload(changed), live, live_mode="compose")
    assert result.action == "update" and result.recreates_containers
    assert result.services_changed == ["web"] and result.services_added == []
    assert result.images_changed == {"web": ("nginx:1.27", "nginx:1.28")}
    assert result.ports_changed == {"web": (["30080:80/tcp"], ["30081:80/tcp"])}
    assert "-    image: nginx:1.27" in result.diff and "+    image: nginx:1.28" in result.diff


def test_update_of_a_stopped_app_recreates_nothing() -> None:
    live = live_of(payload())
    changed = payload(STACK.replace("nginx:1.27", "nginx:1.28"))
    assert plan(changed, live, live_state="RUNNING").recreates_containers is True
    stopped = plan(changed, live, live_state="STOPPED")
    assert stopped.action == "update" and stopped.recreates_containers is False


def test_added_and_removed_services() -> None:
    live = live_of(payload())
    fewer = STACK.split("  db:")[0] + "  cache:\n    image: redis:7.4\n"
    result = plan(payload(fewer), live)
    assert (result.services_added, result.services_removed) == (["cache"], ["db"])


def test_secret_change_is_named_but_never_shown() -> None:
    live = live_of(payload(pw="first-secret"))
    result = plan(payload(pw="second-secret"), live)
    assert result.action == "update"
    assert result.secrets_changed == ["services.web.environment.DB_PASSWORD"]
    text = f"{result}\n{result!r}\n{result.to_dict()}"
    assert "first-secret" not in text and "second-secret" not in text
    assert "<redacted>" not in result.diff  # masked on both sides: no visible change line


def test_mode_change_is_a_replace() -> None:
    single = "services:\n  web:\n    image: nginx:1.27\n"
    ix_payload = convert(single, "web", mode="ix-app").payload
    compose_live = live_of(convert(single, "web").payload)
    result = plan(ix_payload, compose_live)
    assert (result.action, result.mode, result.live_mode) == ("replace", "ix-app", "compose")
    back = plan(convert(single, "web").payload, ix_payload["values"])
    assert (back.action, back.live_mode) == ("replace", "ix-app")


def test_ix_app_noop_with_nas_keys_and_update_on_change() -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n    ports: ['30080:80']\n"
    desired = convert(text, "web", mode="ix-app").payload
    live = copy.deepcopy(desired["values"])
    live["ix_volumes"] = {}
    live["ix_context"] = {"app_name": "web", "operation": "INSTALL"}
    del live["notes"]  # a default the NAS may leave out
    assert plan(desired, live).action == "noop"
    newer = convert(text.replace("1.27", "1.28"), "web", mode="ix-app").payload
    result = plan(newer, live)
    assert result.action == "update"
    assert result.images_changed == {"web": ("nginx:1.27", "nginx:1.28")}


def test_payload_accepts_the_dict_form_and_rejects_others() -> None:
    compose = {"services": {"web": {"image": "nginx:1.27"}}}
    desired = {"custom_app": True, "app_name": "web", "custom_compose_config": compose}
    assert plan(desired, compose).action == "noop"
    with pytest.raises(ComposeError, match="payload"):
        plan({"app_name": "web", "values": {}}, None)


def test_url_password_and_ix_app_secrets_are_masked_in_the_diff() -> None:
    text = (
        "services:\n  web:\n    image: x:1\n    environment:\n"
        "      DB_URL: ${URL}\n      API_TOKEN: ${TOKEN}\n"
    )
    old = convert(
        text, "web", mode="ix-app", variables={"URL": "pg://u:pw-one@db/x", "TOKEN": "t-one"}
    )
    new = convert(
        text, "web", mode="ix-app", variables={"URL": "pg://u:pw-two@db/y", "TOKEN": "t-two"}
    )
    result = plan(new.payload, old.payload["values"])
    assert result.action == "update"
    assert result.secrets_changed == ["envs[0].DB_URL", "envs[1].API_TOKEN"]
    assert "pg://u:<redacted>@db/y" in result.diff
    for value in ("pw-one", "pw-two", "t-one", "t-two"):
        assert value not in f"{result} {result.to_dict()}"


NAMES = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
PORTS = st.lists(
    st.sampled_from(
        ["30080:80", "127.0.0.1:30081:81/udp", "9000-9002:9000-9002", "8080", "53/udp"]
    ),
    max_size=3,
    unique=True,
)
VOLUMES = st.lists(
    st.sampled_from(
        ["data:/data", "/mnt/tank/a:/a:ro", "/mnt/tank/b:/b:rw,z", "/cache", "./rel:/rel"]
    ),
    max_size=3,
    unique=True,
)
ENVIRONMENT = st.dictionaries(
    st.sampled_from(["A", "B_PASSWORD", "URL", "TZ", "EMPTY"]),
    st.one_of(st.none(), st.sampled_from(["", "1", "yes", "0755", "a$$b", "x:y", "https://u:p@h"])),
    max_size=4,
)
SERVICE = st.fixed_dictionaries(
    {"image": st.sampled_from(["nginx:1.27", "ghcr.io/o/a:2@sha256:" + "c" * 64, "redis"])},
    optional={
        "ports": PORTS,
        "volumes": VOLUMES,
        "environment": ENVIRONMENT,
        "restart": st.sampled_from(["no", "always", "on-failure:3"]),
        "command": st.sampled_from(["run --fast", ["a", "b c"]]),
        "healthcheck": st.sampled_from([{"test": "true"}, {"disable": True}]),
        "user": st.sampled_from(["1000:1000", "568"]),
        "deploy": st.just({"resources": {"limits": {"cpus": "0.5", "memory": "256M"}}}),
    },
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    services=st.dictionaries(NAMES, SERVICE, min_size=1, max_size=3),
    mode=st.sampled_from(["compose", "ix-app"]),
    split=st.booleans(),
)
def test_convert_then_plan_against_the_stored_config_is_always_noop(
    services: dict[str, Any], mode: Mode, split: bool
) -> None:
    document = {"services": services, "volumes": {"data": {}}}
    if mode == "ix-app" and len(services) > 1 and not split:
        return  # refused by design; covered elsewhere
    conversion = convert(
        document,
        "app",
        mode=mode,
        split=split,
        relative_paths="resolve",
        nas_base_dir="/mnt/tank/app",
    )
    for app in conversion.apps:
        live = app.payload["values"] if app.mode == "ix-app" else live_of(app.payload)
        assert plan(app.payload, live).action == "noop"


def test_secrets_outside_environment_are_masked_too() -> None:
    """A live ix-app's SMB password and a build arg token never reach the diff."""
    live = {
        "image": {"repository": "nginx", "tag": "1.27"},
        "storage": [
            {
                "type": "cifs",
                "mount_path": "/smb",
                "cifs_config": {"server": "nas", "path": "s", "username": "u", "password": "pw-9"},
            }
        ],
        "labels": [{"key": "com.example.team", "value": "ops"}],
    }
    desired = convert("services:\n  web:\n    image: nginx:1.27\n", "web", mode="ix-app")
    result = plan(desired.payload, live)
    assert result.secrets_changed == ["storage[0].cifs_config.password"]
    assert "pw-9" not in f"{result} {result.to_dict()}"
    assert "key: com.example.team" in result.diff  # a label's name is not a secret
    built = (
        "services:\n  web:\n    image: a:1\n"
        "    build: {context: /mnt/t/src, args: {NPM_TOKEN: t-7}}\n"
    )
    replaced = plan(convert(built, "web").payload, live)
    assert "services.web.build.args.NPM_TOKEN" in replaced.secrets_changed
    assert "t-7" not in f"{replaced} {replaced.to_dict()}"


def _nginx_payload(image: str = "nginx:1.27.3-alpine") -> dict[str, Any]:
    compose = f"services:\n  web:\n    image: {image}\n"
    return convert(compose, "web").payload


@pytest.mark.parametrize(
    ("live_state", "wording", "untrue"),
    [
        ("RUNNING", "containers will be recreated", "stopped"),
        ("STOPPED", "no container will be recreated, it stays stopped", "containers will be"),
    ],
)
def test_update_wording_says_what_happens_to_containers(
    live_state: str, wording: str, untrue: str
) -> None:
    stored = yaml.safe_load(_nginx_payload()["custom_compose_config_string"])
    result = plan(_nginx_payload("nginx:1.28.0-alpine"), stored, live_state=live_state)
    assert result.action == "update"
    assert wording in result.summary()
    assert untrue not in result.summary()


def test_create_noop_and_replace_wording() -> None:
    created = plan(_nginx_payload(), None).summary()
    assert "a new app: its containers will be created" in created
    assert "recreated" not in created
    stored = yaml.safe_load(_nginx_payload()["custom_compose_config_string"])
    unchanged = plan(_nginx_payload(), stored).summary()
    assert "no changes: nothing will be touched" in unchanged
    assert "recreated" not in unchanged
    replaced = plan(_nginx_payload(), stored, live_mode="ix-app").summary()
    assert "the ix-app app will be deleted and created again as compose" in replaced
