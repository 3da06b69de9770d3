"""Fleets: several sandboxes at once, one of them down, over real sockets."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scale_pilot_nb import ConfigError
from scale_pilot_nb.pilot.fleets import fleet
from scale_pilot_nb.sandbox import Sandbox


def host(sb: Sandbox, label: str) -> dict[str, str]:
    return {"label": label, "url": sb.url, "api_key": sb.api_key}


def test_fleet_frames_have_a_host_column_and_survive_a_down_host(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    one = make_sandbox("25.10", "demo", test_methods=False)
    two = make_sandbox("25.04", 3, test_methods=False)
    gone = make_sandbox("25.10", "empty", test_methods=False)
    gone_host = host(gone, "gone")
    gone.stop()
    with fleet([host(one, "one"), gone_host, host(two, "two")]) as fl:
        status = fl.status().set_index("host")
        assert list(status.index) == ["one", "gone", "two"]
        assert status.loc["one", "connected"] and status.loc["two", "connected"]
        assert not status.loc["gone", "connected"] and status.loc["gone", "error"]
        assert status.loc["two", "version"].startswith("25.04")

        apps = fl.apps()
        assert list(apps.columns[:2]) == ["host", "name"]
        assert set(apps["host"]) == {"one", "two"}
        assert (apps["host"] == "two").sum() == 3
        assert (apps["host"] == "one").sum() == status.loc["one", "apps"]
        assert set(fl.containers()["host"]) == {"one", "two"}
        assert "jellyfin" in set(fl.updates().query("host == 'one'")["app"])

        one.stop()  # a host going down later is reported, the others still answer
        apps = fl.apps()
        assert set(apps["host"]) == {"two"}
        assert fl.status().set_index("host").loc["one", "error"]


def test_fleet_needs_distinct_hosts(make_sandbox: Callable[..., Sandbox]) -> None:
    with pytest.raises(ConfigError):
        fleet([])
    sb = make_sandbox("25.10", "empty", test_methods=False)
    with pytest.raises(ConfigError, match="distinct"):
        fleet([host(sb, "a"), host(sb, "a")])


def test_fleet_is_exported_lazily() -> None:
    import scale_pilot_nb

    assert scale_pilot_nb.fleet is fleet


def test_a_host_failing_with_a_foreign_error_does_not_break_the_others(
    make_sandbox: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    one = make_sandbox("25.10", "empty", test_methods=False)
    two = make_sandbox("25.04", 2, test_methods=False)
    with fleet([host(one, "one"), host(two, "two")]) as fl:

        async def broken() -> None:
            raise RuntimeError("unexpected shape")

        monkeypatch.setattr(fl.manager("one"), "system_status", broken)
        status = fl.status().set_index("host")
        assert not status.loc["one", "connected"]
        assert status.loc["one", "error"] == "RuntimeError: unexpected shape"
        assert status.loc["two", "connected"] and status.loc["two", "apps"] == 2
        with pytest.raises(ConfigError, match="not one of"):
            fl.manager("three")


def test_a_host_label_never_repeats_credentials_in_its_url() -> None:
    from scale_pilot_nb.pilot.fleets import _label

    label, kwargs = _label({"url": "wss://root:hunter2@nas.local/api/current"})
    assert label == "wss://nas.local/api/current" and "hunter2" in kwargs["url"]
    assert _label("root:hunter2@nas.local")[0] == "nas.local"
