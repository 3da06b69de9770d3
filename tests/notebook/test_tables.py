"""Inventory DataFrames: fixed columns and dtypes, contents checked against the sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping

import pandas as pd
import pytest

from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.notebook import tables
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

FRAMES = {
    "apps": tables.APP_COLUMNS,
    "containers": tables.CONTAINER_COLUMNS,
    "ports": tables.PORT_COLUMNS,
    "images": tables.IMAGE_COLUMNS,
    "volumes": tables.VOLUME_COLUMNS,
}


def connect(sb: Sandbox) -> Pilot:
    return Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username))


@pytest.fixture
def pilot(make_sandbox: Callable[..., Sandbox]) -> Iterator[Pilot]:
    """The demo NAS with ``app.stats`` rounds 100x faster than real time."""
    sb = make_sandbox("25.10", "demo", test_methods=False, timing=Timing(stats_scale=0.01))
    with connect(sb) as p:
        yield p


def assert_schema(frame: pd.DataFrame, columns: Mapping[str, str]) -> None:
    """Columns in the declared order, each with its declared dtype."""
    assert list(frame.columns) == list(columns)
    for name, dtype in columns.items():
        actual = frame[name].dtype
        if dtype == "category":
            assert isinstance(actual, pd.CategoricalDtype), name
        elif dtype == "string":
            assert isinstance(actual, pd.StringDtype), name
        else:
            assert actual == pd.api.types.pandas_dtype(dtype), (name, actual)


@pytest.mark.parametrize("method", sorted(FRAMES))
def test_every_frame_has_its_documented_schema(pilot: Pilot, method: str) -> None:
    frame = getattr(pilot, method)()
    assert not frame.empty
    assert_schema(frame, FRAMES[method])
    assert f"``{method}()``" in (tables.__doc__ or "")


def test_an_empty_nas_gives_empty_frames_with_the_same_schema(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    with connect(make_sandbox("25.10", "empty", test_methods=False)) as p:
        for method, columns in FRAMES.items():
            frame = getattr(p, method)()
            assert frame.empty, method
            assert_schema(frame, columns)
    empty_stats = tables.stats_frame([])
    assert_schema(empty_stats, tables.STATS_COLUMNS)
    assert (
        empty_stats.index.name == "time" and str(empty_stats.index.dtype) == "datetime64[ns, UTC]"
    )


def test_ports_are_every_host_binding_of_every_container(pilot: Pilot) -> None:
    ports = pilot.ports()
    assert set(ports["host_port"]) == set(pilot.used_ports())
    assert set(ports["host_ip"]) >= {"0.0.0.0", "::"}
    jellyfin = ports[ports["app"] == "jellyfin"]
    assert set(jellyfin["host_port"]) == {30013}
    assert set(jellyfin["container_port"]) == {8096}
    assert len(jellyfin) == 2  # one IPv4 and one IPv6 binding


def test_images_know_which_apps_use_them(pilot: Pilot) -> None:
    images = pilot.images()
    apps = pilot.apps().set_index("name")
    used = images[images["used_by"].map(len) > 0]
    assert not used.empty
    for tags, users in zip(used["repo_tags"], used["used_by"], strict=True):
        for app in users:
            assert set(tags) & set(apps.loc[app, "images"])
    in_use = {ref for refs in apps["images"] for ref in refs}
    unused = images[images["used_by"].map(len) == 0]
    assert all(not set(tags) & in_use for tags in unused["repo_tags"])
    assert images["size"].min() > 0
    assert images["created"].notna().all()
    assert images["update_available"].any()


def test_volume_kinds_say_where_the_data_lives(pilot: Pilot) -> None:
    volumes = pilot.volumes()
    assert {"ix-volume", "pool", "docker-volume"} <= set(volumes["kind"])
    ix = volumes[volumes["kind"] == "ix-volume"]
    assert ix["source"].str.startswith("/mnt/.ix-apps/").all()
    assert (volumes.loc[volumes["kind"] == "docker-volume", "type"] == "volume").all()


def test_volume_kinds_of_every_source_shape() -> None:
    entry = {
        "name": "a",
        "active_workloads": {
            "volumes": [
                {"source": "/mnt/.ix-apps/app_mounts/a/data", "destination": "/d", "type": "bind"},
                {"source": "/mnt/tank/media", "destination": "/m", "type": "bind", "mode": "ro"},
                {"source": "/mnt/tank/../../etc", "destination": "/e", "type": "bind"},
                {"source": "/srv/x", "destination": "/x", "type": "bind"},
                {"source": "cache", "destination": "/c", "type": "volume"},
            ]
        },
    }
    frame = tables.volumes_frame([entry])
    assert list(frame["kind"]) == ["ix-volume", "pool", "system", "system", "docker-volume"]
    assert list(frame["read_only"]) == [False, True, False, False, False]


def test_stats_are_time_indexed_rounds_of_every_app(pilot: Pilot) -> None:
    stats = pilot.stats(samples=3)
    apps = pilot.apps()
    assert_schema(stats, tables.STATS_COLUMNS)
    assert stats.index.name == "time" and stats.index.is_monotonic_increasing
    assert stats.index.nunique() == 3
    assert len(stats) == 3 * len(apps)
    running = set(apps.loc[apps["state"] == "RUNNING", "name"])
    busy = stats[stats["app"].isin(running)]
    assert (busy["memory_bytes"] > 0).all() and (busy["rx_bytes_per_s"] > 0).all()
    for _, rounds in busy.groupby("app"):
        assert rounds["blkio_read_bytes"].is_monotonic_increasing  # cumulative counters


def test_stats_needs_at_least_one_sample(pilot: Pilot) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        pilot.stats(samples=0)


def test_stats_frame_sums_interfaces_and_keeps_arrival_times() -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    item = {
        "app_name": "a",
        "cpu_usage": 1.5,
        "memory": 10,
        "networks": [{"rx_bytes": 3, "tx_bytes": 4}, {"rx_bytes": 5, "tx_bytes": 6}],
        "blkio": {"read": 7, "write": 8},
    }
    frame = tables.stats_frame([(when, [item])])
    row = frame.iloc[0]
    assert frame.index[0] == pd.Timestamp(when)
    assert (row["rx_bytes_per_s"], row["tx_bytes_per_s"]) == (8.0, 10.0)
    assert (row["blkio_read_bytes"], row["blkio_write_bytes"]) == (7, 8)


def test_frames_cover_the_thousand_app_nas(make_sandbox: Callable[..., Sandbox]) -> None:
    with connect(make_sandbox("25.10", 1000, test_methods=False)) as p:
        apps, containers, ports = p.apps(), p.containers(), p.ports()
    assert len(apps) == 1000
    assert len(containers) == apps["containers"].sum()
    published = {int(spec.split(":")[0]) for specs in apps["published_ports"] for spec in specs}
    assert set(ports["host_port"]) == published
