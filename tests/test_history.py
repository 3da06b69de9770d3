"""Revision history: the SQLite store (restarts, concurrent writers, secrets) and rollback of
custom apps against the sandbox over real sockets, pinned to the recorded digests."""

from __future__ import annotations

import functools
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from scale_pilot_nb import AppNotFoundError, ConfigError, JobFailedError
from scale_pilot_nb.manager.history import (
    REDACTED,
    HistoryStore,
    RevisionNotFoundError,
    SecretsRequiredError,
    default_history_path,
    pin_images,
)
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox

V1 = """
services:
  web:
    image: nginx:1.27.3
    ports: ["18080:80"]
    environment:
      POSTGRES_PASSWORD: hunter2
      MODE: blue
"""
V2 = V1.replace("blue", "green")


def record(store: HistoryStore, app: str = "web", **overrides: object) -> None:
    fields: dict[str, object] = {
        "app": app,
        "action": "update",
        "nas": "S1",
        "nas_host": "truenas",
        "config": {"services": {"web": {"image": "nginx:1.27.3"}}},
        "custom_app": True,
        "app_version": "1.0.0",
        "digests": {"nginx:1.27.3": "sha256:" + "a" * 64},
    }
    fields.update(overrides)
    store.record(**fields)  # type: ignore[arg-type]


def test_history_survives_a_new_process(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    code = (
        "from scale_pilot_nb.manager.history import HistoryStore\n"
        f"HistoryStore({str(path)!r}).record(app='web', action='create', nas='S1', "
        "nas_host='truenas', config=None, custom_app=None, app_version=None, digests={})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    record(HistoryStore(path))
    revisions = HistoryStore(path).revisions("web", "S1")
    assert [(r.revision, r.action) for r in revisions] == [(1, "create"), (2, "update")]
    assert revisions[1].digests == {"nginx:1.27.3": "sha256:" + "a" * 64}


def in_threads(count: int, work: Callable[[], object]) -> list[str]:
    """Run ``work`` in ``count`` threads started together; the errors they raised."""
    errors: list[str] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        barrier.wait()
        try:
            work()
        except Exception as exc:  # collected: a thread's exception is otherwise lost
            errors.append(str(exc))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_a_new_file_opened_by_many_writers_at_once_loses_nothing(tmp_path: Path) -> None:
    # Switching a new file to WAL from several connections at once used to fail one of them
    # ("database is locked") in about one try in ten; 60 tries.
    for attempt in range(60):
        path = tmp_path / f"h{attempt}.sqlite"
        assert in_threads(6, functools.partial(record, HistoryStore(path))) == []
        assert len(HistoryStore(path).revisions("web", "S1")) == 6


def test_concurrent_writers_get_distinct_revision_numbers(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    code = (
        "from scale_pilot_nb.manager.history import HistoryStore\n"
        f"s = HistoryStore({str(path)!r})\n"
        "for _ in range(10):\n"
        "    s.record(app='web', action='update', nas='S1', nas_host='t', config={}, "
        "custom_app=True, app_version='1.0.0', digests={})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(2)]

    def ten_records() -> None:
        for _ in range(10):
            record(HistoryStore(path))

    assert in_threads(3, ten_records) == []
    assert all(p.wait(60) == 0 for p in procs)
    numbers = [r.revision for r in HistoryStore(path).revisions("web", "S1")]
    assert numbers == list(range(1, 51))


def test_secrets_are_redacted_unless_opted_in(tmp_path: Path) -> None:
    config = {"services": {"db": {"environment": ["POSTGRES_PASSWORD=hunter2", "TZ=UTC"]}}}
    record(HistoryStore(tmp_path / "a.sqlite"), config=config)
    record(HistoryStore(tmp_path / "b.sqlite", secrets=True), config=config)
    hidden = HistoryStore(tmp_path / "a.sqlite").get("web", "S1")
    kept = HistoryStore(tmp_path / "b.sqlite").get("web", "S1")
    assert hidden.config == {
        "services": {"db": {"environment": [f"POSTGRES_PASSWORD={REDACTED}", "TZ=UTC"]}}
    }
    assert hidden.redacted == ("db.POSTGRES_PASSWORD",)
    assert "hunter2" not in (tmp_path / "a.sqlite").read_bytes().decode("latin-1")
    assert kept.config == config and kept.redacted == ()


def test_diff_and_missing_revisions(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    record(store)
    record(store, config={"services": {"web": {"image": "nginx:1.28.0"}}})
    diff = store.diff("web", "S1", 1, -1)
    assert "-      image: nginx:1.27.3" in diff and "+      image: nginx:1.28.0" in diff
    with pytest.raises(RevisionNotFoundError):
        store.get("web", "S1", 7)
    assert store.revisions("other") == []


def test_pin_images_keeps_tags_and_already_pinned_images() -> None:
    digest = "sha256:" + "b" * 64
    config = {"services": {"a": {"image": "nginx"}, "b": {"image": f"redis:7@{digest}"}}}
    pinned = pin_images(config, {"nginx:latest": digest})
    assert pinned["services"]["a"]["image"] == f"nginx@{digest}"
    assert pinned["services"]["b"]["image"] == f"redis:7@{digest}"
    assert config["services"]["a"]["image"] == "nginx"  # the input is not touched


def test_default_path_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCALE_PILOT_HISTORY")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_history_path() == tmp_path / "scale-pilot" / "history.sqlite"
    monkeypatch.setenv("SCALE_PILOT_HISTORY", "off")
    assert default_history_path() is None


# -- against the sandbox -------------------------------------------------------------------


@pytest.fixture
def nas(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox("25.10", "empty", test_methods=False)


@pytest.fixture
async def manager(nas: Sandbox, tmp_path: Path) -> AsyncIterator[TrueNASDockerManager]:
    async with TrueNASDockerManager(nas.url, nas.api_key, history=tmp_path / "h.sqlite") as m:
        yield m


async def test_each_change_records_the_state_before_it(manager: TrueNASDockerManager) -> None:
    await manager.deploy(V1, "web")
    await manager.deploy(V1, "web")  # no-op: nothing recorded
    await manager.deploy(V2, "web")
    await manager.delete_app("web")
    revisions = await manager.history("web")
    assert [r.action for r in revisions] == ["create", "update", "delete"]
    assert revisions[0].config is None
    assert revisions[1].config is not None
    assert revisions[1].config["services"]["web"]["environment"]["MODE"] == "blue"
    assert revisions[2].config is not None
    assert revisions[2].config["services"]["web"]["environment"]["MODE"] == "green"
    assert revisions[1].digests["nginx:1.27.3"].startswith("sha256:")
    assert revisions[1].nas_host == "truenas" and revisions[1].tool == "sdk"
    assert "+        MODE: green" in await manager.diff("web", 2, 3)


async def test_rollback_pins_the_digest_after_the_tag_moved(
    manager: TrueNASDockerManager, nas: Sandbox
) -> None:
    await manager.deploy(V1, "web")
    old = (await manager.history("web"))[-1]  # nothing recorded yet but the create
    assert old.action == "create"
    before = {i.repo_tags[0]: i.repo_digests for i in await manager.images() if i.repo_tags}
    old_digest = before["nginx:1.27.3"][0].partition("@")[2]
    new_digest = nas.call_in_loop(lambda: nas.model.publish_image("nginx:1.27.3"))
    assert new_digest != old_digest
    await manager.update_images("web")  # now runs the new image under the same tag
    assert (await manager.history("web"))[-1].digests == {"nginx:1.27.3": old_digest}

    with pytest.raises(SecretsRequiredError) as caught:
        await manager.rollback("web")
    assert caught.value.missing == ["web.POSTGRES_PASSWORD"]

    result = await manager.rollback("web", secrets={"POSTGRES_PASSWORD": "hunter2"})
    assert result.ok and result["web"].action == "updated"
    config = await manager.app_config("web")
    pinned = f"nginx:1.27.3@{old_digest}"
    assert config["services"]["web"]["image"] == pinned
    assert config["services"]["web"]["environment"]["POSTGRES_PASSWORD"] == "hunter2"
    app = await manager.get_app("web")
    assert app.containers[0].image == pinned
    assert [r.action for r in await manager.history("web")] == [
        "create",
        "update_images",
        "rollback",
    ]


async def test_rollback_of_a_deleted_app_recreates_it(manager: TrueNASDockerManager) -> None:
    await manager.deploy(V2.replace("POSTGRES_PASSWORD: hunter2", "TZ: UTC"), "web")
    await manager.delete_app("web")
    result = await manager.rollback("web", pin_digests=False)
    assert result["web"].action == "created"
    assert (await manager.app_config("web"))["services"]["web"]["image"] == "nginx:1.27.3"
    with pytest.raises(RevisionNotFoundError):
        await manager.rollback("web", revision=1)  # before the create: there was no app


async def test_a_change_to_a_missing_app_records_nothing(manager: TrueNASDockerManager) -> None:
    with pytest.raises(AppNotFoundError):
        await manager.update_app("ghost", {"custom_compose_config_string": V1})
    assert await manager.history("ghost") == []


def test_catalog_values_are_redacted_too(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite")
    values = {"db": {"password": "pw", "user": "u"}, "apiToken": "t", "items": [{"secret": "s"}]}
    record(store, config=values, custom_app=False)
    stored = store.get("web", "S1")
    assert stored.config == {
        "db": {"password": REDACTED, "user": "u"},
        "apiToken": REDACTED,
        "items": [{"secret": REDACTED}],
    }
    assert stored.redacted == ("db.password", "apiToken", "items[0].secret")


def test_the_history_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "h.sqlite"
    record(HistoryStore(path))
    assert path.stat().st_mode & 0o077 == 0


def test_a_damaged_history_file_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"not a database, " * 256)
    with pytest.raises(ConfigError, match="history file") as caught:
        record(HistoryStore(path))
    assert "off" in (caught.value.hint or "")


def test_kept_secrets_stay_out_of_reprs_and_diffs(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite", secrets=True)
    env = {"POSTGRES_PASSWORD": "hunter2", "MODE": "blue"}
    record(store, config={"services": {"web": {"image": "nginx:1.27.3", "environment": env}}})
    record(store, config={"services": {"web": {"image": "nginx:1.28.0", "environment": env}}})
    kept = store.get("web", "S1")
    assert kept.config is not None  # still there for a rollback …
    assert kept.config["services"]["web"]["environment"]["POSTGRES_PASSWORD"] == "hunter2"
    diff = store.diff("web", "S1", 1, 2)
    assert "+      image: nginx:1.28.0" in diff  # … but never shown
    assert "hunter2" not in diff and "hunter2" not in repr(kept)
    assert "hunter2" not in str(kept.to_dict())  # JSON output of `history --json`
    assert "hunter2" in str(kept.to_dict(secrets=True))  # export files with secrets=True


async def test_a_failed_change_keeps_the_revision_recorded_before_it(
    manager: TrueNASDockerManager,
) -> None:
    await manager.deploy(V1, "web")
    with pytest.raises(JobFailedError):
        await manager.deploy(V1.replace("nginx:1.27.3", "acme/app:doesnotexist"), "web")
    revisions = await manager.history("web")
    assert [r.action for r in revisions] == ["create", "update"]
    assert revisions[-1].config is not None
    assert revisions[-1].config["services"]["web"]["image"] == "nginx:1.27.3"


# -- damaged rows ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("config", "{not json"),
        ("config", "[1, 2]"),
        ("digests", '{"nginx:1": 7}'),
        ("redacted", '"web.X"'),
        ("revision", "'three'"),
        ("config", "'" + "[" * 3000 + "]" * 3000 + "'"),  # RecursionError in json
        ("config", "'" + '{"a":' * 200 + "1" + "}" * 200 + "'"),  # too deep to copy or show
        ("config", '\'{"a": "' + "x" * (2 * 1024 * 1024) + "\"}'"),  # too large to parse
    ],
    ids=["json", "shape", "digest", "redacted", "number", "recursion", "depth", "size"],
)
def test_a_damaged_row_is_a_typed_error_naming_it(tmp_path: Path, column: str, value: str) -> None:
    import sqlite3

    store = HistoryStore(tmp_path / "h.sqlite")
    record(store)
    quoted = value if value.startswith("'") else "'" + value.replace("'", "''") + "'"
    with sqlite3.connect(store.path) as db:
        db.execute(f"UPDATE revisions SET {column} = {quoted}")
    with pytest.raises(ConfigError, match=r"damaged revision \(row 1\)") as caught:
        store.revisions("web")
    assert "DELETE FROM revisions WHERE id = 1" in (caught.value.hint or "")


# -- telling NAS boxes apart -------------------------------------------------------------------


async def test_two_boxes_with_one_serial_keep_their_own_history(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    first, second = (make_sandbox("25.10", "empty", test_methods=False) for _ in range(2))
    path = tmp_path / "shared.sqlite"
    async with TrueNASDockerManager(first.url, first.api_key, history=path) as m:
        await m.deploy(V1, "web")
        await m.deploy(V2, "web")
        [mine] = [r for r in await m.history("web") if r.config is not None]
    async with TrueNASDockerManager(second.url, second.api_key, history=path) as m:
        assert await m.history("web") == []  # the same serial, another box
        with pytest.raises(RevisionNotFoundError):
            await m.rollback("web", secrets={"POSTGRES_PASSWORD": "x"})
    assert mine.nas.startswith("S4N-DB0X-2025|truenas|")


async def test_a_revision_recorded_under_the_serial_alone_needs_consent(
    manager: TrueNASDockerManager, tmp_path: Path
) -> None:
    from scale_pilot_nb.manager import updates
    from scale_pilot_nb.manager.history import OtherNasRevisionError

    old = {"services": {"web": {"image": "nginx:1.27.3", "environment": {"MODE": "old"}}}}
    record(HistoryStore(tmp_path / "h.sqlite"), nas="S4N-DB0X-2025", config=old)  # before 0.x
    await manager.deploy(V2.replace("POSTGRES_PASSWORD: hunter2", "TZ: UTC"), "web")
    assert [r.revision for r in await manager.history("web")] == [1, 2]  # numbered after it
    with pytest.raises(OtherNasRevisionError, match="recorded on NAS 'S4N-DB0X-2025'"):
        await manager.rollback("web", revision=1)
    options = {"wait": True, "timeout": 60.0, "progress": None, "pin_digests": False}
    result = await updates.rollback(manager, "web", revision=1, other_nas=True, **options)
    assert result.ok
    assert (await manager.app_config("web"))["services"]["web"]["environment"]["MODE"] == "old"
