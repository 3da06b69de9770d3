"""Backups (25.04+), the clear refusal on 24.10, and export/import between two NAS boxes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from scale_pilot_nb import ConfigError, UnsupportedError
from scale_pilot_nb.manager.history import REDACTED, HistoryStore
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.sandbox import Sandbox

DB = """
services:
  db:
    image: postgres:16.9
    environment:
      POSTGRES_PASSWORD: hunter2
"""


def manager_for(sb: Sandbox, history: Path) -> TrueNASDockerManager:
    url = sb.legacy_url if sb.version == "24.10" else sb.url
    return TrueNASDockerManager(url, sb.api_key, username=sb.username, history=history)


async def test_backup_restore_round_trip(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = make_sandbox("25.10", "demo", test_methods=False)
    async with manager_for(sb, tmp_path / "h.sqlite") as m:
        before = {a.name: a.state for a in await m.list_apps()}
        name = (await m.backup("before-cleanup")).details["backup"]
        assert name == "before-cleanup"
        [row] = await m.backups()
        assert row["name"] == name and row["app_count"] == len(before)
        assert row["apps"] == sorted(before)
        await m.delete_app("whoami")
        restored = await m.restore_backup(name)
        after = {a.name: a.state for a in await m.list_apps()}
        # TrueNAS redeploys only the apps that were RUNNING; the others come back STOPPED
        assert after == {n: s if s == "RUNNING" else "STOPPED" for n, s in before.items()}
        assert {o.app_name: o.action for o in restored.outcomes} == dict.fromkeys(
            before, "restored"
        )
        assert len(restored.job_ids) == 1 and restored.started_at is not None
        await m.delete_backup(name)
        assert await m.backups() == []


async def test_backups_are_refused_clearly_on_2410(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = make_sandbox("24.10", "demo", test_methods=False)
    async with manager_for(sb, tmp_path / "h.sqlite") as m:
        for call in (m.backup(), m.backups(), m.restore_backup("x"), m.delete_backup("x")):
            with pytest.raises(UnsupportedError) as caught:
                await call
            assert "not supported on this version" in str(caught.value)
            assert "export" in (caught.value.hint or "")


async def test_export_then_import_on_another_nas(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    source = make_sandbox("25.10", "demo", test_methods=False)
    target = make_sandbox("25.04", "empty", test_methods=False)
    out = tmp_path / "export"
    async with manager_for(source, tmp_path / "a.sqlite") as m:
        await m.deploy(DB, "db")
        await m.deploy(DB.replace("16.9", "16.10"), "db")
        apps = sorted(a.name for a in await m.list_apps())
        files = await m.export(out)
    assert sorted(f.stem for f in files) == apps
    db = yaml.safe_load((out / "db.yaml").read_text())
    assert db["custom_app"] and db["format"] == 1
    assert db["config"]["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == REDACTED
    assert [r["action"] for r in db["history"]] == ["create", "update"]
    assert "hunter2" not in "".join(f.read_text() for f in files)

    async with manager_for(target, tmp_path / "b.sqlite") as m:
        plan = await m.import_(out)
        actions = {o.app_name: o.action for o in plan.outcomes}
        assert actions["whoami"] == "planned" and actions["jellyfin"] == "planned"
        assert actions["db"] == "failed"
        assert "db.POSTGRES_PASSWORD" in str(plan["db"].error)
        assert await m.list_apps() == []  # a dry run changes nothing

        secrets = {"POSTGRES_PASSWORD": "s3cret"}
        done = await m.import_(out, dry_run=False, secrets=secrets, timeout=1)
        # the demo's never-healthy app fails its wait; the others go on
        assert done["search"].action == "failed" and done["search"].error
        assert done["search"].error["type"] == "AppNotReadyError"
        assert done["whoami"].action == "created"
        assert done["jellyfin"].action == "created"
        installed = {a.name for a in await m.list_apps()}
        assert {"whoami", "jellyfin", "photos", "db"} <= installed
        states = {a.name: a.state.value for a in await m.list_apps()}
        assert states["syncthing"] == states["backup-sync"] == "STOPPED"  # as exported
        assert states["whoami"] == "RUNNING"
        config = await m.app_config("db")
        assert config["services"]["db"]["environment"]["POSTGRES_PASSWORD"] == "s3cret"


async def test_export_and_import_refuse_unusable_directories(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    (tmp_path / "junk.yaml").write_text("just: text\n")
    async with manager_for(sb, tmp_path / "h.sqlite") as m:
        with pytest.raises(ConfigError, match="Cannot write the export"):
            await m.export(tmp_path / "junk.yaml")  # a file, not a directory
        with pytest.raises(ConfigError):
            await m.import_(tmp_path / "missing")
        with pytest.raises(ConfigError, match="not a scale-pilot export"):
            await m.import_(tmp_path)


async def test_export_redacts_history_secrets_even_when_the_history_kept_them(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    store = HistoryStore(tmp_path / "h.sqlite", secrets=True)
    async with TrueNASDockerManager(sb.url, sb.api_key, history=store) as m:
        await m.deploy(DB, "db")
        await m.deploy(DB.replace("16.9", "16.10"), "db")
        [redacted] = await m.export(tmp_path / "plain")
        [kept] = await m.export(tmp_path / "full", secrets=True)
    assert "hunter2" not in redacted.read_text()
    assert yaml.safe_load(redacted.read_text())["history"][1]["config"] is not None
    assert "hunter2" in kept.read_text() and kept.stat().st_mode & 0o077 == 0


# -- a hostile NAS, hostile files ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/absolute", "web\n"])
async def test_export_refuses_app_names_that_are_no_app_names(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path, name: str
) -> None:
    from scale_pilot_nb import TrueNASError

    sb = make_sandbox("25.10", "empty", test_methods=False)
    async with manager_for(sb, tmp_path / "h.sqlite") as m:
        await m.deploy(DB, "db")

        def rename() -> None:  # what a hostile NAS would list
            app = sb.model.apps.pop("db")
            app.name = name
            sb.model.apps[name] = app
            sb.model.forget_entries()

        sb.call_in_loop(rename)
        with pytest.raises(TrueNASError, match="cannot name a file after"):
            await m.export(tmp_path / "out" / "deep")
    assert list((tmp_path / "out" / "deep").iterdir()) == []
    assert not (tmp_path / "escaped.yaml").exists() and not Path("/tmp/absolute.yaml").exists()


async def test_export_replaces_a_symlink_instead_of_writing_through_it(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    victim = tmp_path / "victim.yaml"
    victim.write_text("precious: true\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "db.yaml").symlink_to(victim)
    async with manager_for(sb, tmp_path / "h.sqlite") as m:
        await m.deploy(DB, "db")
        [written] = await m.export(out)
    assert victim.read_text() == "precious: true\n"
    assert not written.is_symlink() and yaml.safe_load(written.read_text())["app"] == "db"
    assert sorted(p.name for p in out.iterdir()) == ["db.yaml"]  # no temporary file left


GOOD = {"format": 1, "app": "web", "custom_app": True, "config": {"services": {}}}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (yaml.safe_dump({k: v for k, v in GOOD.items() if k != "custom_app"}), "custom_app"),
        (yaml.safe_dump(GOOD | {"app": "../x"}), "no valid app name"),
        (yaml.safe_dump(GOOD | {"custom_app": False}), "catalog_app"),
        (b"format: 1\napp: \xff\xfe\n", "UTF-8"),
        ("config: " + "[" * 3000 + "]" * 3000 + "\n", "nesting depth"),
        ("format: 1\nblob: " + "x" * (8 * 1024 * 1024) + "\n", "byte limit"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{n}: &{n} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                for p, n in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "expands",
        ),
    ],
    ids=["missing-key", "bad-name", "no-catalog-app", "not-utf8", "deep", "large", "laughs"],
)
async def test_import_refuses_damaged_export_files_with_a_typed_error(
    make_sandbox: Callable[..., Sandbox], tmp_path: Path, content: str | bytes, expected: str
) -> None:
    import time

    sb = make_sandbox("25.10", "empty", test_methods=False)
    file = tmp_path / "export" / "web.yaml"
    file.parent.mkdir()
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    async with manager_for(sb, tmp_path / "h.sqlite") as m:
        started = time.monotonic()
        with pytest.raises(ConfigError, match=expected) as caught:
            await m.import_(file.parent)
        assert time.monotonic() - started < 5
    assert caught.value.hint and "pilot.export" in caught.value.hint
