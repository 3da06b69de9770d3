"""Tests for scale_pilot_nb.records.system: system.info, docker.status, pool.query, summary."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records import (
    App,
    DockerState,
    DockerStatus,
    Pool,
    SystemInfo,
    SystemStatus,
)

from .entries import custom_app, jellyfin, pool, stopped_app, system_info


@pytest.mark.parametrize(
    ("series", "version", "raw"),
    [
        ("24.10", "24.10.2.4", "TrueNAS-SCALE-24.10.2.4"),
        ("25.04", "25.04.2.6", "25.04.2.6"),
        ("25.10", "25.10.6", "25.10.6"),
    ],
)
def test_system_info_version_is_short_in_every_release(series: str, version: str, raw: str) -> None:
    info = SystemInfo.from_api(system_info(series))
    assert (info.version, info.version_string, info.series) == (version, raw, series)


def test_system_info_fields() -> None:
    info = SystemInfo.from_api(system_info("25.10"))
    assert info.hostname == "truenas"
    assert (info.cores, info.physical_cores, info.physmem) == (16, 8, 68719476736)
    assert info.loadavg == (0.31, 0.42, 0.40)
    assert info.uptime_seconds == 273906.12
    assert info.buildtime == dt.datetime(2025, 6, 15, 15, 6, 40, tzinfo=dt.UTC)
    assert info.system_time == info.buildtime
    assert info.boottime is not None and info.boottime < info.system_time
    assert info.timezone == "America/Los_Angeles"
    assert info.model == "AMD Ryzen 7 5700G with Radeon Graphics"
    assert repr(info) == "SystemInfo('truenas', version='25.10.6', cores=16, memory='64.0 GiB')"


def test_system_info_accepts_decoded_datetimes() -> None:
    entry = system_info("25.04")
    entry["buildtime"] = dt.datetime(2025, 6, 15, 15, 6, 40, tzinfo=dt.UTC)
    assert SystemInfo.from_api(entry) == SystemInfo.from_api(system_info("25.04"))


def test_docker_status_states() -> None:
    running = DockerStatus.from_api(
        {"status": "RUNNING", "description": "Application(s) are currently running"}
    )
    assert running.running and running.configured
    unconfigured = DockerStatus.from_api(
        {"status": "UNCONFIGURED", "description": "Application(s) are not configured"}
    )
    assert not unconfigured.running and not unconfigured.configured
    failed = DockerStatus.from_api(
        {
            "status": "FAILED",
            "description": "Application(s) have failed to start:\n"
            "Could not validate applications setup",
        }
    )
    assert failed.state is DockerState.FAILED
    assert failed.description.endswith("Could not validate applications setup")
    assert DockerStatus.from_api({"status": "MIGRATING"}).state is DockerState.MIGRATING
    assert DockerStatus.from_api({"status": "SOMETHING_NEW"}).state is DockerState.UNKNOWN
    assert repr(running) == "DockerStatus(RUNNING)"


@pytest.mark.parametrize("series", ["24.10", "25.04", "25.10"])
def test_pool(series: str) -> None:
    tank = Pool.from_api(pool(series))
    assert (tank.name, tank.status, tank.healthy, tank.warning) == ("tank", "ONLINE", True, False)
    assert (tank.id, tank.path, tank.fragmentation) == (1, "/mnt/tank", "3")
    assert tank.size == 3985729650688 and tank.free == 2886218022912
    assert tank.used_fraction == pytest.approx(1099511627776 / 3985729650688)
    assert repr(tank) == "Pool('tank', ONLINE, healthy, free='2.6 TiB' of '3.6 TiB')"


def test_degraded_pool_with_unknown_sizes() -> None:
    entry = {"name": "backup", "status": "DEGRADED", "healthy": False, "size": None}
    degraded = Pool.from_api(entry)
    assert degraded.used_fraction is None
    assert repr(degraded) == "Pool('backup', DEGRADED, unhealthy, free='?' of '?')"
    with pytest.raises(TrueNASError):
        Pool.from_api({"status": "ONLINE"})


def test_system_status_from_raw_answers() -> None:
    status = SystemStatus.build(
        info=system_info("25.10"),
        docker={"status": "RUNNING", "description": "Application(s) are currently running"},
        pools=[pool("25.10")],
        apps=[jellyfin("25.10"), App.from_api(custom_app()), stopped_app()],
    )
    assert status.app_count == 3
    assert status.running_apps == 1
    assert status.app_states == {"DEPLOYING": 1, "RUNNING": 1, "STOPPED": 1}
    assert [p.name for p in status.pools] == ["tank"]
    assert repr(status) == (
        "SystemStatus('truenas', version='25.10.6', docker=RUNNING, apps=3 (1 running), "
        "pools=['tank'])"
    )
    data = status.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["docker"] == {
        "state": "RUNNING",
        "description": "Application(s) are currently running",
    }
    assert data["info"]["version"] == "25.10.6"


def test_system_status_without_apps_pool() -> None:
    status = SystemStatus.build(
        info=SystemInfo.from_api(system_info("24.10")),
        docker=DockerStatus.from_api({"status": "UNCONFIGURED"}),
    )
    assert (status.app_count, status.running_apps, status.pools) == (0, 0, ())
    assert not status.docker.configured
