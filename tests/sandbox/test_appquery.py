"""Read-only ``app.*`` methods: choices, ports, host IPs, space, containers."""

from __future__ import annotations

from modelkit import nas

from scale_pilot_nb.sandbox.contract import SandboxValidationErrors


async def test_used_ports_and_used_host_ips_cover_all_apps() -> None:
    n = nas(seed="demo")
    ports = await n.call("app.used_ports")
    assert ports == sorted(ports) and {2283, 30013, 30080, 9200} <= set(ports)
    by_ip = await n.call("app.used_host_ips")
    assert "whoami" in by_ip["0.0.0.0"] and "whoami" in by_ip["::"]


async def test_ip_choices_and_available_space() -> None:
    n = nas(seed="demo")
    choices = await n.call("app.ip_choices")
    assert choices["0.0.0.0"] == "0.0.0.0" and all(k == v for k, v in choices.items())
    tank = await n.call("pool.query", [["name", "=", "tank"]], {"get": True})
    assert await n.call("app.available_space") == tank["free"]


async def test_container_ids_alive_only_and_console_choices() -> None:
    n = nas(seed="demo")
    crashed_all = await n.call("app.container_ids", "nightly-report", {"alive_only": False})
    assert [c["state"] for c in crashed_all.values()] == ["crashed"]
    assert await n.call("app.container_ids", "nightly-report") == {}
    console = await n.call("app.container_console_choices", "photos")
    assert len(console) == 4


async def test_custom_compose_config_as_dict_is_stored_as_given() -> None:
    n = nas()
    compose = {"services": {"cache": {"image": "redis:7", "ports": ["6379:6379"]}}}
    entry = await n.call(
        "app.create", {"custom_app": True, "app_name": "cache", "custom_compose_config": compose}
    )
    assert entry["active_workloads"]["images"] == ["redis:7"]
    assert await n.call("app.config", "cache") == compose


async def test_non_string_names_are_validation_errors() -> None:
    error = await nas().fails("app.config", 5)
    assert isinstance(error, SandboxValidationErrors)
    assert error.errors == [("app_config.app_name", "Input should be a valid string", 22)]
