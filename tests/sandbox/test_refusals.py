"""What each release refuses on app.create / app.update, over real sockets (issue 12, item 2).

Every test runs against ``Sandbox(version=...)`` through the endpoint a client of that release
uses (``/websocket`` on 24.10, ``/api/current`` later) and reads either the call's error or the
job's final ``core.get_jobs`` event. The expected texts come from the middleware's source at
TS-24.10.2.4, TS-25.04.2.6 and TS-25.10.5 (the issue-12 facts), not from the SDK.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sandbox_frames import Frame, Raw, job_events

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.compose_check import schema_path
from scale_pilot_nb.sandbox.payload import compose_refusal

MakeSandbox = Callable[..., Sandbox]
VERSIONS = ("24.10", "25.04", "25.10")
NAS_IPS = ("0.0.0.0", "::", "192.168.1.50", "fd00:1::50")
UP_FAILED = (
    "[EFAULT] Failed 'up' action for '{}' app. "
    "Please check /var/log/app_lifecycle.log for more details"
)
LOCK_ERROR = (
    "[EINVAL] Error handling job lock. This is most likely caused by invalid call arguments."
)
TMP_FILE = r"/tmp/tmp[a-z0-9_]{8}\.yaml"

INT_MEMORY = """
services:
  redis:
    image: redis:7
    deploy:
      resources:
        limits:
          memory: 536870912
"""
GOOD = "services:\n  web:\n    image: nginx:1.27\n"


@dataclass
class Outcome:
    """How a call ended: refused at call time (``call``) or through its job (``job``)."""

    call: dict[str, Any] | None = None
    code: int | None = None
    job: dict[str, Any] | None = None

    @property
    def succeeded(self) -> bool:
        """The call started a job and the job succeeded."""
        return self.job is not None and self.job["state"] == "SUCCESS"

    @property
    def triples(self) -> list[list[Any]]:
        """The ValidationErrors ``(attribute, message, errno)`` of the call or the job."""
        if self.job is not None:
            return list(self.job["exc_info"]["extra"])
        assert self.call is not None
        return list(self.call["extra"])


async def connect(sb: Sandbox, path: str | None = None) -> Raw:
    """Log in on the release's usual endpoint (or ``path``) and follow ``core.get_jobs``."""
    if sb.version == "24.10":
        raw = await Raw.open(sb.legacy_url)
    else:
        raw = await Raw.open(sb.url if path is None else sb.url.replace("/api/current", path))
    await raw.login(sb.api_key)
    if raw.legacy:
        await raw.send({"msg": "sub", "id": "jobs", "name": "core.get_jobs"})
        await raw.until(lambda f: f.get("msg") == "ready")
    else:
        await raw.result("core.subscribe", "core.get_jobs")
    return raw


def _finished(job_id: int) -> Callable[[Frame], bool]:
    def test(frame: Frame) -> bool:
        events = job_events([frame], job_id)
        return bool(events) and events[0]["fields"]["state"] in ("SUCCESS", "FAILED")

    return test


async def run(raw: Raw, method: str, *params: Any) -> Outcome:
    """Call ``method``; a job id is followed to its end."""
    frame = await raw.call(method, *params)
    if "error" in frame:
        error = frame["error"]
        return Outcome(call=error.get("data", error), code=error.get("code"))
    job_id = frame["result"]
    events = job_events(await raw.until(_finished(job_id)), job_id)
    return Outcome(job=events[-1]["fields"])


async def job_count(raw: Raw) -> int:
    return len(await raw.result("core.get_jobs"))


def custom(name: str, text: str = GOOD, **extra: Any) -> dict[str, Any]:
    return {"app_name": name, "custom_app": True, "custom_compose_config_string": text} | extra


def ix_app(name: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"app_name": name, "catalog_app": "ix-app", "train": "stable", "values": values}


# -- 1. docker compose's judgement of custom compose ------------------------------------


async def test_25_10_refuses_an_integer_memory_limit_in_the_job(make_sandbox: MakeSandbox) -> None:
    raw = await connect(make_sandbox("25.10"))
    outcome = await run(raw, "app.create", custom("redis", INT_MEMORY))
    assert outcome.job is not None and outcome.job["state"] == "FAILED"
    [[attribute, message, number]] = outcome.triples
    assert (attribute, number) == ("app_create.custom_compose_config_string", 22)
    assert re.fullmatch(
        f"Invalid compose configuration: validating {TMP_FILE}: "
        r"services\.redis\.deploy\.resources\.limits\.memory must be a string",
        message,
    )
    assert await raw.result("app.query") == []


@pytest.mark.parametrize("version", ["24.10", "25.04"])
async def test_older_releases_store_an_integer_memory_limit_and_fail_at_up(
    make_sandbox: MakeSandbox, version: str
) -> None:
    raw = await connect(make_sandbox(version))
    outcome = await run(raw, "app.create", custom("redis", INT_MEMORY))
    assert outcome.call is None and outcome.job is not None
    assert outcome.job["state"] == "FAILED"
    assert outcome.job["error"] == UP_FAILED.format("redis")
    assert await raw.result("app.query") == []


async def test_25_10_names_the_dict_field_and_the_update_schema(make_sandbox: MakeSandbox) -> None:
    raw = await connect(make_sandbox("25.10"))
    typo = {"services": {"web": {"image": "nginx:1.27", "enviroment": {"A": "b"}}}}
    outcome = await run(raw, "app.create", {"app_name": "web", "custom_app": True,
                                            "custom_compose_config": typo})  # fmt: skip
    [[attribute, message, _]] = outcome.triples
    assert attribute == "app_create.custom_compose_config"
    assert re.fullmatch(
        f"Invalid compose configuration: validating {TMP_FILE}: "
        r"services\.web additional properties 'enviroment' not allowed",
        message,
    )
    assert (await run(raw, "app.create", custom("web"))).succeeded
    outcome = await run(raw, "app.update", "web", {"custom_compose_config_string": INT_MEMORY})
    assert outcome.triples[0][0] == "app_update.custom_compose_config_string"
    assert outcome.triples[0][1].startswith("Invalid compose configuration: validating /tmp/")


@pytest.mark.parametrize("version", ["24.10", "25.04"])
async def test_older_releases_fail_an_update_at_up_and_name_app_create_for_yaml(
    make_sandbox: MakeSandbox, version: str
) -> None:
    raw = await connect(make_sandbox(version))
    assert (await run(raw, "app.create", custom("web"))).succeeded
    no_image = "services:\n  web:\n    ports: ['8080:80']\n"
    outcome = await run(raw, "app.update", "web", {"custom_compose_config_string": no_image})
    assert outcome.job is not None and outcome.job["error"] == UP_FAILED.format("web")
    outcome = await run(raw, "app.update", "web", {"custom_compose_config_string": "a: [1"})
    assert outcome.triples == [
        ["app_create.custom_compose_config_string", "Invalid YAML provided", 22]
    ]


def test_an_empty_docker_stderr_doubles_the_message() -> None:
    assert compose_refusal("") == "Invalid compose configuration: Invalid compose configuration"
    assert compose_refusal("boom\n") == "Invalid compose configuration: boom"


# -- 2. app.ip_choices ------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_ip_choices_are_the_wildcards_and_the_static_addresses(
    make_sandbox: MakeSandbox, version: str
) -> None:
    raw = await connect(make_sandbox(version))
    choices = await raw.result("app.ip_choices")
    assert choices == {ip: ip for ip in NAS_IPS}
    assert "127.0.0.1" not in choices and "::1" not in choices


# -- 3. ix-app values against the questions ---------------------------------------------


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (
            "24.10",
            [
                "values.ports",
                "Item#0 is not valid per list types: [EINVAL] port.host_ips: Item#0 is not valid "
                "per list types: [host_ip] Invalid choice: 127.0.0.1\n",
                22,
            ],
        ),
        (
            "25.04",
            [
                "values.ports",
                "Item#0 is not valid per list types: [EINVAL] port.host_ips: Item#0 is not valid "
                "per list types: [host_ip] Invalid choice: 127.0.0.1\n",
                22,
            ],
        ),
        (
            "25.10",
            [
                "ports.0.host_ips.0",
                "Input should be '0.0.0.0', '::', '192.168.1.50' or 'fd00:1::50'",
                22,
            ],
        ),
    ],
)
async def test_ix_app_host_ips_must_be_ip_choices(
    make_sandbox: MakeSandbox, version: str, expected: list[Any]
) -> None:
    raw = await connect(make_sandbox(version))
    port = {"port_number": 30080, "container_port": 80, "host_ips": ["127.0.0.1"]}
    values = {"image": {"repository": "traefik/whoami"}, "ports": [port]}
    outcome = await run(raw, "app.create", ix_app("web", values))
    assert outcome.triples == [expected]
    port["host_ips"] = ["192.168.1.50"]
    assert (await run(raw, "app.create", ix_app("web", values))).succeeded


# -- 4. string limits and error paths ---------------------------------------------------


@pytest.mark.parametrize(
    ("version", "too_long", "empty_version"),
    [
        ("24.10", "The value may not be longer than 1024 characters", None),
        ("25.04", "String should have at most 1024 characters", "at least 1 character"),
        ("25.10", "String should have at most 1024 characters", "at least 1 character"),
    ],
)
async def test_string_limits(
    make_sandbox: MakeSandbox, version: str, too_long: str, empty_version: str | None
) -> None:
    raw = await connect(make_sandbox(version))
    outcome = await run(raw, "app.create", custom("a", train="x" * 1025))
    assert outcome.triples == [["app_create.train", too_long, 22]]
    outcome = await run(raw, "app.create", {"app_name": "b", "catalog_app": "c" * 1025})
    assert outcome.triples == [["app_create.catalog_app", too_long, 22]]
    outcome = await run(raw, "app.create", {"app_name": "b", "catalog_app": ""})
    assert outcome.triples == [["app_create.catalog_app", "This field is required", 22]]
    outcome = await run(raw, "app.create", custom("c", version=""))
    if empty_version is None:  # 24.10's Str accepts "" (and a custom app ignores the version)
        assert outcome.job is not None and outcome.job["state"] == "SUCCESS"
    else:
        assert outcome.triples == [
            ["app_create.version", f"String should have {empty_version}", 22]
        ]


@pytest.mark.parametrize(
    ("version", "prefix", "extra"),
    [
        ("24.10", "app_update", "Field was not expected"),
        ("25.04", "update", "Extra inputs are not permitted"),
        ("25.10", "update", "Extra inputs are not permitted"),
    ],
)
async def test_update_argument_errors_name_app_name_and_the_update_argument(
    make_sandbox: MakeSandbox, version: str, prefix: str, extra: str
) -> None:
    raw = await connect(make_sandbox(version))
    outcome = await run(raw, "app.update", "web", {"bogus": 1, "values": None})
    null = "null not allowed" if version == "24.10" else "Input should be a valid dictionary"
    assert sorted(map(tuple, outcome.triples)) == sorted(
        [(f"{prefix}.bogus", extra, 22), (f"{prefix}.values", null, 22)]
    )
    outcome = await run(raw, "app.update", True, {})
    message = "Not a string" if version == "24.10" else "Input should be a valid string"
    assert outcome.triples == [["app_name", message, 22]]


def test_the_compose_text_limit_is_long_string_from_25_04() -> None:
    # 2,048,001 characters cannot cross the 64 KiB frame limit, so the model is asked directly
    from scale_pilot_nb.sandbox.apps import CREATE_ARGS
    from scale_pilot_nb.sandbox.args import check_object

    data = custom("web", "x" * 2_048_001)
    _, errors = check_object("25.10", "app_create", data, CREATE_ARGS)
    assert errors == [
        (
            "app_create.custom_compose_config_string",
            "String should have at most 2048000 characters",
            22,
        )
    ]
    assert check_object("24.10", "app_create", data, CREATE_ARGS)[1] == []


# -- 5. call-time failures vs job failures ----------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_non_object_argument_fails_the_call_and_creates_no_job(
    make_sandbox: MakeSandbox, version: str
) -> None:
    raw = await connect(make_sandbox(version))
    before = await job_count(raw)
    outcome = await run(raw, "app.create", "web")
    assert outcome.call is not None and outcome.call["error"] == 22
    if version == "24.10":  # the lock lambda indexes the raw argument
        assert outcome.call["reason"] == "string indices must be integers, not 'str'"
        assert outcome.call["trace"]["class"] == "TypeError"
    else:
        assert outcome.code == -32001
        assert outcome.call["reason"] == LOCK_ERROR
    assert await job_count(raw) == before


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_missing_app_name_is_a_job_failure_from_25_04_and_a_key_error_before(
    make_sandbox: MakeSandbox, version: str
) -> None:
    raw = await connect(make_sandbox(version))
    before = await job_count(raw)
    outcome = await run(raw, "app.create", {"custom_app": True})
    if version == "24.10":
        assert outcome.call is not None and outcome.call["reason"] == "'app_name'"
        assert outcome.call["trace"]["class"] == "KeyError"
        assert await job_count(raw) == before
    else:
        assert outcome.job is not None and outcome.job["state"] == "FAILED"
        assert outcome.triples == [["app_create.app_name", "Field required", 22]]


@pytest.mark.parametrize(
    ("version", "create_counts", "update_counts"),
    [("24.10", (4, 5), (5, 6)), ("25.04", (4, 5), (5, 6)), ("25.10", (5, 6), (6, 7))],
)
async def test_a_wrong_argument_count_is_a_type_error_of_the_call(
    make_sandbox: MakeSandbox,
    version: str,
    create_counts: tuple[int, int],
    update_counts: tuple[int, int],
) -> None:
    raw = await connect(make_sandbox(version))
    before = await job_count(raw)
    outcome = await run(raw, "app.create", custom("web"), {})
    assert outcome.call is not None and outcome.call["trace"]["class"] == "TypeError"
    assert outcome.call["reason"] == (
        f"CRUDService.create() takes {create_counts[0]} positional arguments "
        f"but {create_counts[1]} were given"
    )
    outcome = await run(raw, "app.update", "web", {}, {})
    assert outcome.call is not None and outcome.call["reason"] == (
        f"CRUDService.update() takes {update_counts[0]} positional arguments "
        f"but {update_counts[1]} were given"
    )
    outcome = await run(raw, "app.update", "web")
    assert outcome.call is not None and outcome.call["reason"] == (
        "CRUDService.update() missing 1 required positional argument: 'data'"
    )
    if version != "24.10":
        assert outcome.code == -32001
    assert await job_count(raw) == before


@pytest.mark.parametrize(
    ("version", "path"), [("25.04", "/api/v25.04.0"), ("25.10", "/api/v25.10.4")]
)
async def test_pinned_endpoints_check_arguments_at_call_time(
    make_sandbox: MakeSandbox, version: str, path: str
) -> None:
    sb = make_sandbox(version)
    raw = await connect(sb, path)
    before = await job_count(raw)
    outcome = await run(raw, "app.create", custom("web"), {})
    assert outcome.code == -32602
    assert outcome.triples == [["", "Too many arguments (expected 1, found 2)", 22]]
    outcome = await run(raw, "app.create", custom("Web"))
    assert outcome.code == -32602
    assert outcome.triples == [
        ["app_create.app_name", "String should match pattern '^[a-z]([-a-z0-9]*[a-z0-9])?$'", 22]
    ]
    assert await job_count(raw) == before
    # the model's default for ``update`` applies there (the current API needs both arguments):
    # the call starts a job, which the custom app's payload check then fails
    assert (await run(raw, "app.create", custom("web"))).succeeded
    outcome = await run(raw, "app.update", "web")
    assert outcome.job is not None
    assert outcome.triples == [["app_update.custom_compose_config", "This field is required", 22]]
    current = await connect(sb)
    outcome = await run(current, "app.create", custom("Web"))
    assert outcome.job is not None and outcome.job["state"] == "FAILED"


# -- 6. 24.10's legacy schema -----------------------------------------------------------


async def test_24_10_legacy_wording_and_coercions(make_sandbox: MakeSandbox) -> None:
    raw = await connect(make_sandbox("24.10"))
    outcome = await run(raw, "app.create", custom("web", values=None, bogus=1))
    assert outcome.triples == [
        ["app_create.values", "null not allowed", 22],
        ["app_create.bogus", "Field was not expected", 22],
    ]
    outcome = await run(raw, "app.create", custom("web", values="x"))
    assert outcome.triples == [["app_create.values", "A dict was expected", 22]]
    outcome = await run(raw, "app.create", custom("web", custom_app=1))
    assert outcome.triples == [["app_create.custom_app", "Not a boolean", 22]]
    outcome = await run(raw, "app.create", {"app_name": True})
    assert outcome.triples == [["app_create.app_name", "Not a string", 22]]
    outcome = await run(raw, "app.create", {"app_name": 5})  # "5": a string now, but no name
    [[attribute, message, _]] = outcome.triples
    assert attribute == "app_create.app_name"
    assert message.startswith("\nApplication name must have the following:")
    outcome = await run(raw, "app.update", "web", None)
    assert outcome.triples == [["app_update", "null not allowed", 22]]
    # integers become strings: a numeric version is accepted where 25.04+ refuses it
    outcome = await run(raw, "app.create", custom("web", version=1, train=2))
    assert outcome.job is not None and outcome.job["state"] == "SUCCESS"


async def test_25_x_refuses_what_24_10_coerces(make_sandbox: MakeSandbox) -> None:
    raw = await connect(make_sandbox("25.04"))
    outcome = await run(raw, "app.create", custom("web", version=1))
    assert outcome.triples == [["app_create.version", "Input should be a valid string", 22]]


# -- the simulator stays independent of the client ----------------------------------------


def test_the_compose_check_reads_the_vendored_schema_without_the_sdk() -> None:
    module = Path(__file__).resolve().parents[2] / "scale_pilot_nb/sandbox/compose_check.py"
    imported = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {name for name in imported if name.startswith("scale_pilot_nb.compose")}
    assert "check_jsonschema" not in imported  # only its data file is read
    assert schema_path().name == "compose-spec.json" and schema_path().is_file()


# -- docker compose's stderr, as the docker-compose 2.40.3 binary printed it --------------


@pytest.mark.parametrize(
    ("text", "stderr"),
    [
        (
            "services:\n  web:\n    image: nginx\n    environment: 'A=b'\n",
            "validating F: services.web.environment must be a mapping",
        ),
        (
            "services2:\n  web: {}\n",
            "validating F:  additional properties 'services2' not allowed",
        ),
        (
            "services:\n  web:\n    image: nginx\n    privileged: 5\n",
            "validating F: services.web.privileged must be a boolean or string",
        ),
        (
            "services:\n  web:\n    image: nginx\n    volumes: ['data:/data']\n",
            'service "web" refers to undefined volume data: invalid compose project',
        ),
        (
            "services:\n  web:\n    image: nginx\n    depends_on: [db]\n",
            'service "web" depends on undefined service "db": invalid compose project',
        ),
        (
            "services:\n  web:\n    image: x\n    volumes: [{type: volume}]\n",
            "service volume services.web.volumes.[0] is missing a mount target",
        ),
        ("services:\n  web: 5\n", "services.web must be a mapping"),
        (
            "# c\nhello\n",
            "yaml: unmarshal errors:\n  line 2: cannot unmarshal !!str `hello` into cli.named",
        ),
        ("\n", "empty compose file"),
        ("services:\n  web:\n    image: nginx\n    tty: yes\n", None),
    ],
)
def test_compose_check_speaks_like_docker_compose(text: str, stderr: str | None) -> None:
    import yaml

    from scale_pilot_nb.sandbox.compose_check import config_error

    assert config_error(yaml.safe_load(text), "F", text) == stderr
