"""Revision history of apps, kept locally in SQLite (TrueNAS keeps none for custom apps).

Before every create, update, delete, image update, upgrade or rollback the SDK records what the
app looked like *before* the change: its stored compose (``app.config``), the digest each image
tag resolved to (``app.image.query`` ``repo_digests``), which NAS, when, and who did it. So
revision -1 is always "how it was before the last change", and rolling back to it undoes that
change — with the images pinned to the recorded digests, so ``:latest`` cannot drift.

One file (default ``$XDG_DATA_HOME/scale-pilot/history.sqlite``, overridable with
``SCALE_PILOT_HISTORY`` or per manager) in WAL mode with a busy timeout, and every write is one
``BEGIN IMMEDIATE`` transaction: several processes and threads may record at once.

Secret values (see :mod:`scale_pilot_nb.compose.redaction`: secret-named keys anywhere, ix-app
``envs``, passwords inside URLs, secret-named labels and ``x-*`` keys) are stored only when the
user opts in (``secrets=True``); otherwise they are replaced by :data:`REDACTED` and a rollback
asks for them (:class:`SecretsRequiredError`).
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

from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.redaction import REDACTED, fill_secrets, redact
from scale_pilot_nb.errors import ComposeLoadError, ConfigError, TrueNASError
from scale_pilot_nb.records._base import iso_timestamp

__all__ = [
    "HISTORY_ENV",
    "REDACTED",
    "HistoryStore",
    "NasIdentity",
    "OtherNasRevisionError",
    "Revision",
    "RevisionNotFoundError",
    "SecretsRequiredError",
    "compose_images",
    "config_yaml",
    "default_history_path",
    "fill_secrets",
    "pin_images",
    "redact",
    "shown_config",
    "yaml_diff",
]

#: Environment variable naming the history file (``off`` disables recording).
HISTORY_ENV = "SCALE_PILOT_HISTORY"
#: Seconds a writer waits for another one holding the database.
BUSY_TIMEOUT = 30.0
#: Most characters one JSON column of a row may hold (a config is a few KiB); a longer one
#: is damage, and is refused before it is parsed.
MAX_ROW_TEXT = 1024 * 1024
#: Deepest nesting a stored config may have (a compose file nests about 6 levels).
MAX_ROW_DEPTH = 64
_JSON_COLUMNS = ("config", "digests", "redacted")
#: Every column, the JSON ones cut one character past the limit so no row loads unbounded.
_SELECT = "SELECT id, nas, nas_host, app, revision, recorded_at, action, actor, tool, " + (
    "custom_app, app_version, "
    + ", ".join(f"substr({c}, 1, {MAX_ROW_TEXT + 1}) AS {c}" for c in _JSON_COLUMNS)
    + " FROM revisions"
)

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


class OtherNasRevisionError(TrueNASError):
    """The revision was recorded on another NAS (or before NAS boxes were told apart)."""

    default_hint = (
        "Check its nas/nas_host in pilot.history(name); pass other_nas=True to restore it "
        "here anyway."
    )


@dataclass(frozen=True)
class NasIdentity:
    """Who a NAS is in the history: its serial, host name and address together.

    A serial alone does not tell boxes apart (cloned VMs and some boards share one, some
    report none); a revision restored on the wrong box recreates an app with another box's
    settings. Rows recorded before this identity stored the serial (or the address when
    there was none) alone: :attr:`legacy_key`, still read, numbered after, but never trusted
    for a rollback without ``other_nas=True``.
    """

    serial: str
    hostname: str
    address: str

    @property
    def key(self) -> str:
        """What new revisions store as their ``nas``."""
        return f"{self.serial}|{self.hostname}|{self.address}"

    @property
    def legacy_key(self) -> str:
        """What revisions recorded before this identity stored as their ``nas``."""
        return self.serial or self.address


#: What the store's methods accept as a NAS: an identity (its rows and its legacy rows), or a
#: stored ``nas`` value exactly.
NasSelector = NasIdentity | str


def _nas_keys(nas: NasSelector) -> tuple[str, ...]:
    return (nas.key, nas.legacy_key) if isinstance(nas, NasIdentity) else (nas,)


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
        nas: NAS identity, ``SERIAL|HOST|ADDRESS`` (:attr:`NasIdentity.key`); rows recorded
            before that hold the serial alone, or the address when the NAS had none.
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
        config = shown_config(self.config)
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
        body = {"config": shown_config(self.config), "digests": dict(sorted(self.digests.items()))}
        return _yaml(body)


def shown_config(config: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A copy of ``config`` fit for output: secret values redacted even if stored."""
    if config is None:
        return None
    shown: dict[str, Any] = redact(dict(config))[0]
    return shown


def config_yaml(config: Mapping[str, Any] | None) -> str:
    """``config`` as sorted YAML with its secret values redacted; empty for no app."""
    return "" if config is None else _yaml(shown_config(config))


def yaml_diff(old: str, new: str, fromfile: str, tofile: str) -> str:
    """Unified diff of two YAML texts: what ``history --diff`` and rollback plans show."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=fromfile,
            tofile=tofile,
        )
    )


def _yaml(body: Any) -> str:
    return yaml.safe_dump(json.loads(json.dumps(body)), sort_keys=True)


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
        nas: NasSelector,
        nas_host: str,
        config: Mapping[str, Any] | None,
        custom_app: bool | None,
        app_version: str | None,
        digests: Mapping[str, str],
        tool: str = "sdk",
        who: str | None = None,
    ) -> Revision:
        """Append one revision of ``app`` and return it (numbered atomically per app and NAS,
        after the NAS's legacy rows when ``nas`` is an identity)."""
        redacted: list[str] = []
        stored = copy.deepcopy(dict(config)) if config is not None else None
        if stored is not None and not self.secrets:
            stored, redacted = redact(stored)
        when = time.time()
        who = who or actor()
        keys = _nas_keys(nas)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                (number,) = db.execute(
                    "SELECT COALESCE(MAX(revision), 0) + 1 FROM revisions "
                    f"WHERE nas IN ({_marks(keys)}) AND app = ?",
                    (*keys, app),
                ).fetchone()
                db.execute(
                    "INSERT INTO revisions (nas, nas_host, app, revision, recorded_at, action, "
                    "actor, tool, custom_app, app_version, config, digests, redacted) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        keys[0],
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
            app, number, when, action, who, tool, keys[0], nas_host, custom_app, app_version,
            stored, dict(digests), tuple(redacted),
        )  # fmt: skip

    def revisions(self, app: str | None = None, nas: NasSelector | None = None) -> list[Revision]:
        """Revisions (of ``app`` / on ``nas`` when given), oldest first.

        Raises:
            ConfigError: the file, or one of its rows, is damaged.
        """
        query = _SELECT
        where, params = [], []
        if app is not None:
            where.append("app = ?")
            params.append(app)
        if nas is not None:
            keys = _nas_keys(nas)
            where.append(f"nas IN ({_marks(keys)})")
            params.extend(keys)
        if where:
            query += " WHERE " + " AND ".join(where)
        query += (
            " ORDER BY app, revision, id" if nas is not None else " ORDER BY nas, app, revision"
        )
        if not self.path.exists():
            return []
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(query, params).fetchall()
        return [read_row(row, self.path) for row in rows]

    def get(self, app: str, nas: NasSelector, revision: int = -1) -> Revision:
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

    def diff(self, app: str, nas: NasSelector, a: int, b: int) -> str:
        """Unified diff of revisions ``a`` and ``b`` (config and digests, as YAML)."""
        first, second = self.get(app, nas, a), self.get(app, nas, b)
        return yaml_diff(
            first.as_yaml(),
            second.as_yaml(),
            fromfile=f"{app}@{first.revision}",
            tofile=f"{app}@{second.revision}",
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


def _marks(keys: tuple[str, ...]) -> str:
    return ", ".join("?" * len(keys))


def read_row(row: sqlite3.Row, path: Path) -> Revision:
    """The revision a row holds, every column checked for type, size and depth.

    SQLite keeps whatever was written (another tool, a disk error, a hostile file): a damaged
    row is a :class:`ConfigError` naming it, never a raw exception or an unbounded parse.
    """
    try:
        custom = _column(row, "custom_app", int, type(None))
        return Revision(
            app=_column(row, "app", str),
            revision=_column(row, "revision", int),
            recorded_at=float(_column(row, "recorded_at", int, float)),
            action=_column(row, "action", str),
            actor=_column(row, "actor", str),
            tool=_column(row, "tool", str),
            nas=_column(row, "nas", str),
            nas_host=_column(row, "nas_host", str),
            custom_app=None if custom is None else bool(custom),
            app_version=_column(row, "app_version", str, type(None)),
            config=None if row["config"] is None else _json_column(row, "config", dict),
            digests=_text_items(_json_column(row, "digests", dict), "digests"),
            redacted=tuple(_text_items(_json_column(row, "redacted", list), "redacted")),
        )
    except (ValueError, TypeError, RecursionError, ComposeLoadError) as exc:
        raise ConfigError(
            f"The history file {path} has a damaged revision (row {row['id']}): {exc}",
            hint=f"Delete that row (sqlite3 {path} 'DELETE FROM revisions WHERE id = "
            f"{row['id']}'), or move the file aside.",
        ) from None


def _column(row: sqlite3.Row, name: str, *types: type) -> Any:
    value = row[name]
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError(f"{name} holds a {type(value).__name__}")
    return value


def _json_column(row: sqlite3.Row, name: str, kind: type) -> Any:
    """A JSON column's value: its size checked before parsing, its depth after."""
    text = _column(row, name, str)
    if len(text) > MAX_ROW_TEXT:
        raise ValueError(f"{name} is longer than {MAX_ROW_TEXT} characters")
    value = json.loads(text)
    if not isinstance(value, kind):
        raise TypeError(f"{name} is not a JSON {'object' if kind is dict else 'array'}")
    load({name: value}, max_depth=MAX_ROW_DEPTH, max_nodes=MAX_ROW_TEXT)
    return value


def _text_items(value: Any, name: str) -> Any:
    """``value`` when every key and item of it is text (digests, redacted names)."""
    items = [*value.items()] if isinstance(value, dict) else [("", item) for item in value]
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in items):
        raise TypeError(f"{name} holds something other than text")
    return value
