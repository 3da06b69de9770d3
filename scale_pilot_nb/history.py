"""Revision history of apps, kept locally in SQLite (TrueNAS keeps none for custom apps).

Before every create, update, delete, image update, upgrade or rollback the SDK records what the
app looked like *before* the change: its stored compose (``app.config``), the digest each image
tag resolved to (``app.image.query`` ``repo_digests``), which NAS, when, and who did it. So
revision -1 is always "how it was before the last change", and rolling back to it undoes that
change — with the images pinned to the recorded digests, so ``:latest`` cannot drift.

One file (default ``$XDG_DATA_HOME/scale-pilot/history.sqlite``, overridable with
``SCALE_PILOT_HISTORY`` or per manager) in WAL mode with a busy timeout, and every write is one
``BEGIN IMMEDIATE`` transaction: several processes and threads may record at once.

Secret environment values (``*_PASSWORD``, ``API_KEY`` …) are stored only when the user opts
in (``secrets=True``); otherwise they are replaced by :data:`REDACTED` and a rollback asks for
them (:class:`SecretsRequiredError`).
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import difflib
import getpass
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scale_pilot_nb.compose.rules_security import is_secret_key
from scale_pilot_nb.errors import ConfigError, TrueNASError
from scale_pilot_nb.records._base import iso_timestamp

__all__ = [
    "HISTORY_ENV",
    "REDACTED",
    "HistoryStore",
    "Revision",
    "RevisionNotFoundError",
    "SecretsRequiredError",
    "compose_images",
    "default_history_path",
    "fill_secrets",
    "pin_images",
    "redact_secrets",
    "redact_values",
]

#: Environment variable naming the history file (``off`` disables recording).
HISTORY_ENV = "SCALE_PILOT_HISTORY"
#: What a secret value is replaced with in a stored revision.
REDACTED = "<redacted>"
#: Seconds a writer waits for another one holding the database.
BUSY_TIMEOUT = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nas TEXT NOT NULL,
    nas_host TEXT NOT NULL,
    app TEXT NOT NULL,
    revision INTEGER NOT NULL,
    recorded_at REAL NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    tool TEXT NOT NULL,
    custom_app INTEGER,
    app_version TEXT,
    config TEXT,
    digests TEXT NOT NULL,
    redacted TEXT NOT NULL,
    UNIQUE (nas, app, revision)
);
"""


class SecretsRequiredError(TrueNASError):
    """A revision's secret values were not stored; pass them to restore it.

    Attributes:
        missing: ``service.VARIABLE`` names whose values are needed.
    """

    def __init__(self, message: str, *, missing: list[str], **kwargs: Any) -> None:
        kwargs.setdefault(
            "hint",
            "Pass them: rollback(name, secrets={'VARIABLE': value, …}) (or 'service.VARIABLE' "
            "keys); record with history_secrets=True to keep them next time.",
        )
        super().__init__(message, **kwargs)
        self.missing = list(missing)

    def to_dict(self) -> dict[str, Any]:
        return super().to_dict() | {"missing": self.missing}


class RevisionNotFoundError(TrueNASError):
    """No such revision of that app in the history."""

    default_hint = "List the revisions with pilot.history(name)."


@dataclass(frozen=True)
class Revision:
    """The state of one app just before one change.

    Attributes:
        app: app name.
        revision: 1, 2, … per app and NAS.
        recorded_at: epoch seconds (:attr:`recorded` is the same moment as a datetime).
        action: the change about to happen (``create``, ``update``, ``delete``, ``rollback`` …).
        actor: ``user@host`` that made the change.
        tool: ``sdk``, ``cli`` or ``ai``.
        nas: NAS identity (serial number, or the address when the NAS has none).
        nas_host: the NAS's host name.
        custom_app: a custom compose app (None when the app did not exist yet).
        app_version: catalog chart version (custom apps: ``1.0.0``).
        config: the stored configuration (compose dict for custom apps); None = no app.
        digests: image tag -> ``sha256:…`` digest it resolved to.
        redacted: ``service.VARIABLE`` names whose values were not stored.
    """

    app: str
    revision: int
    recorded_at: float
    action: str
    actor: str
    tool: str
    nas: str
    nas_host: str
    custom_app: bool | None
    app_version: str | None
    config: Mapping[str, Any] | None = field(repr=False)  # may hold secrets (opt-in)
    digests: Mapping[str, str] = field(default_factory=dict)
    redacted: tuple[str, ...] = ()

    @property
    def recorded(self) -> dt.datetime:
        """When the revision was recorded, as an aware UTC datetime."""
        return dt.datetime.fromtimestamp(self.recorded_at, dt.UTC)

    def to_dict(self, *, secrets: bool = False) -> dict[str, Any]:
        """Plain data (for JSON output, export files and AIHelper); ``recorded_at`` is ISO 8601.

        Args:
            secrets: keep secret values the store holds (export files with ``secrets=True``);
                by default they are redacted, as in every other output.
        """
        config = self._shown_config()
        if secrets and self.config is not None:
            config = copy.deepcopy(dict(self.config))
        return {
            "app": self.app,
            "revision": self.revision,
            "recorded_at": iso_timestamp(self.recorded),
            "action": self.action,
            "actor": self.actor,
            "tool": self.tool,
            "nas": self.nas,
            "nas_host": self.nas_host,
            "custom_app": self.custom_app,
            "app_version": self.app_version,
            "config": config,
            "digests": dict(self.digests),
            "redacted": list(self.redacted),
        }

    def as_yaml(self) -> str:
        """The config and digests as YAML (what :meth:`HistoryStore.diff` compares).

        Secret values are redacted even when the store kept them: a diff is output.
        """
        body = {"config": self._shown_config(), "digests": dict(sorted(self.digests.items()))}
        return yaml.safe_dump(json.loads(json.dumps(body)), sort_keys=True)

    def _shown_config(self) -> dict[str, Any] | None:
        """A copy of the config fit for output: secret values redacted even if stored."""
        if self.config is None:
            return None
        redact = redact_secrets if self.custom_app else redact_values
        shown: dict[str, Any] = redact(dict(self.config))[0]
        return shown


def default_history_path() -> Path | None:
    """``$SCALE_PILOT_HISTORY``, else ``$XDG_DATA_HOME/scale-pilot/history.sqlite``.

    Returns None when ``SCALE_PILOT_HISTORY`` is ``off`` (recording disabled).
    """
    chosen = os.environ.get(HISTORY_ENV)
    if chosen:
        return None if chosen.lower() == "off" else Path(chosen).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "scale-pilot" / "history.sqlite"


def actor() -> str:
    """``user@host`` of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def _secret_slots(config: Any) -> Iterator[tuple[str, dict[Any, Any] | list[Any], Any, str]]:
    """(``service.KEY``, container, index, key) for each secret environment value."""
    services = config.get("services") if isinstance(config, Mapping) else None
    if not isinstance(services, Mapping):
        return
    for service_name, service in services.items():
        env = service.get("environment") if isinstance(service, Mapping) else None
        if isinstance(env, dict):
            for key in env:
                if is_secret_key(str(key)) and env[key] not in (None, ""):
                    yield f"{service_name}.{key}", env, key, str(key)
        elif isinstance(env, list):
            for index, item in enumerate(env):
                key, sep, value = str(item).partition("=")
                if sep and value and is_secret_key(key):
                    yield f"{service_name}.{key}", env, index, key


def redact_secrets(config: Any) -> tuple[Any, list[str]]:
    """A copy of a compose dict with secret environment values replaced by :data:`REDACTED`."""
    clean = copy.deepcopy(config)
    names = []
    for name, container, index, key in _secret_slots(clean):
        if isinstance(container, list):
            container[index] = f"{key}={REDACTED}"
        else:
            container[index] = REDACTED
        names.append(name)
    return clean, names


def redact_values(values: Any) -> tuple[Any, list[str]]:
    """A copy of catalog app values with every secret-named string replaced by :data:`REDACTED`.

    Returns the copy and the dotted paths of what was redacted.
    """
    names: list[str] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            result = {}
            for key, item in value.items():
                path = f"{where}.{key}" if where else str(key)
                if is_secret_key(str(key)) and isinstance(item, str) and item:
                    names.append(path)
                    result[key] = REDACTED
                else:
                    result[key] = walk(item, path)
            return result
        if isinstance(value, list):
            return [walk(item, f"{where}[{index}]") for index, item in enumerate(value)]
        return copy.deepcopy(value)

    return walk(values, ""), names


def fill_secrets(config: Any, secrets: Mapping[str, str] | None) -> tuple[Any, list[str]]:
    """Put ``secrets`` (``KEY`` or ``service.KEY`` -> value) into redacted slots.

    Returns the filled copy and the ``service.KEY`` names still missing.
    """
    filled = copy.deepcopy(config)
    given = dict(secrets or {})
    missing = []
    for name, container, index, key in _secret_slots(filled):
        current = container[index]
        if current not in (REDACTED, f"{key}={REDACTED}"):
            continue
        value = given.get(name, given.get(key))
        if value is None:
            missing.append(name)
        elif isinstance(container, list):
            container[index] = f"{key}={value}"
        else:
            container[index] = value
    return filled, missing


def pin_images(config: Any, digests: Mapping[str, str]) -> Any:
    """A copy of a compose dict whose images carry their recorded digest (``tag@sha256:…``)."""
    pinned = copy.deepcopy(config)
    services = pinned.get("services") if isinstance(pinned, dict) else None
    for service in (services or {}).values():
        image = service.get("image") if isinstance(service, dict) else None
        if not isinstance(image, str) or "@" in image:
            continue
        digest = digests.get(image) or digests.get(_with_tag(image))
        if digest:
            service["image"] = f"{image}@{digest}"
    return pinned


def compose_images(config: Any) -> list[str]:
    """Image tags a compose dict names, ``latest`` made explicit, in service order."""
    services = config.get("services") if isinstance(config, Mapping) else None
    images = []
    for service in (services or {}).values():
        image = service.get("image") if isinstance(service, Mapping) else None
        if isinstance(image, str):
            images.append(_with_tag(image))
    return images


def _with_tag(image: str) -> str:
    if "@" in image:
        return image
    return image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"


class HistoryStore:
    """The SQLite file holding revisions (see the module docstring).

    Args:
        path: the database file; created (with its directory) on first write.
        secrets: store secret environment values as they are (opt-in).
    """

    def __init__(self, path: str | os.PathLike[str], *, secrets: bool = False) -> None:
        self.path = Path(path)
        self.secrets = secrets

    def __repr__(self) -> str:
        return f"HistoryStore({str(self.path)!r}, secrets={self.secrets})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Owner-only from the start: revisions may hold secrets (opt-in) and always hold
            # configs; SQLite gives its -wal/-shm files the database file's permissions.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"Cannot open the history file {self.path}: {exc}",
                hint=f"Set {HISTORY_ENV} to a writable path (or 'off').",
            ) from None
        try:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            _use_wal(db)
            db.executescript(_SCHEMA)
            yield db
        except sqlite3.Error as exc:  # corrupt file, locked past the busy timeout, disk full …
            raise ConfigError(
                f"The history file {self.path} failed: {exc}",
                hint=f"Move a damaged file aside, or set {HISTORY_ENV}=off to stop recording.",
            ) from None
        finally:
            db.close()

    def record(
        self,
        *,
        app: str,
        action: str,
        nas: str,
        nas_host: str,
        config: Mapping[str, Any] | None,
        custom_app: bool | None,
        app_version: str | None,
        digests: Mapping[str, str],
        tool: str = "sdk",
        who: str | None = None,
    ) -> Revision:
        """Append one revision of ``app`` and return it (numbered atomically per app and NAS)."""
        redacted: list[str] = []
        stored = copy.deepcopy(dict(config)) if config is not None else None
        if stored is not None and not self.secrets:
            redact = redact_secrets if custom_app else redact_values
            stored, redacted = redact(stored)
        when = time.time()
        who = who or actor()
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                (number,) = db.execute(
                    "SELECT COALESCE(MAX(revision), 0) + 1 FROM revisions "
                    "WHERE nas = ? AND app = ?",
                    (nas, app),
                ).fetchone()
                db.execute(
                    "INSERT INTO revisions (nas, nas_host, app, revision, recorded_at, action, "
                    "actor, tool, custom_app, app_version, config, digests, redacted) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        nas,
                        nas_host,
                        app,
                        number,
                        when,
                        action,
                        who,
                        tool,
                        None if custom_app is None else int(custom_app),
                        app_version,
                        None if stored is None else json.dumps(stored, sort_keys=True),
                        json.dumps(dict(digests), sort_keys=True),
                        json.dumps(redacted),
                    ),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return Revision(
            app, number, when, action, who, tool, nas, nas_host, custom_app, app_version,
            stored, dict(digests), tuple(redacted),
        )  # fmt: skip

    def revisions(self, app: str | None = None, nas: str | None = None) -> list[Revision]:
        """Revisions (of ``app`` / on ``nas`` when given), oldest first."""
        query = "SELECT * FROM revisions"
        where, params = [], []
        for column, value in (("app", app), ("nas", nas)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY nas, app, revision"
        if not self.path.exists():
            return []
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(query, params).fetchall()
        return [_revision(row) for row in rows]

    def get(self, app: str, nas: str, revision: int = -1) -> Revision:
        """Revision number ``revision`` of ``app`` on ``nas``; negative counts from the end.

        Raises:
            RevisionNotFoundError: no such revision.
        """
        revisions = self.revisions(app, nas)
        if revision < 0 and -revision <= len(revisions):
            return revisions[revision]
        for candidate in revisions:
            if candidate.revision == revision:
                return candidate
        raise RevisionNotFoundError(
            f"App {app!r} has no revision {revision} in {self.path} "
            f"({len(revisions)} recorded on this NAS)"
        )

    def diff(self, app: str, nas: str, a: int, b: int) -> str:
        """Unified diff of revisions ``a`` and ``b`` (config and digests, as YAML)."""
        first, second = self.get(app, nas, a), self.get(app, nas, b)
        return "".join(
            difflib.unified_diff(
                first.as_yaml().splitlines(keepends=True),
                second.as_yaml().splitlines(keepends=True),
                fromfile=f"{app}@{first.revision}",
                tofile=f"{app}@{second.revision}",
            )
        )


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting out a concurrent switch.

    SQLite answers "database is locked" at once, without its busy wait, when two connections
    switch a new file to WAL together; the switch is retried until :data:`BUSY_TIMEOUT`.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _revision(row: sqlite3.Row) -> Revision:
    custom = row["custom_app"]
    return Revision(
        app=row["app"],
        revision=row["revision"],
        recorded_at=row["recorded_at"],
        action=row["action"],
        actor=row["actor"],
        tool=row["tool"],
        nas=row["nas"],
        nas_host=row["nas_host"],
        custom_app=None if custom is None else bool(custom),
        app_version=row["app_version"],
        config=json.loads(row["config"]) if row["config"] is not None else None,
        digests=json.loads(row["digests"]),
        redacted=tuple(json.loads(row["redacted"])),
    )
