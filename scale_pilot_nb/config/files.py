"""The config file: where it lives, reading it, warning about loose permissions, writing it."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
import tomllib
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from scale_pilot_nb.config.address import candidate_urls
from scale_pilot_nb.config.secret import Secret
from scale_pilot_nb.errors import ConfigError

__all__ = [
    "InsecureConfigWarning",
    "default_config_path",
    "read_toml",
    "warn_if_exposed",
    "write_profile",
]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class InsecureConfigWarning(UserWarning):
    """A file holding credentials can be read by other users of this machine."""


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """Return ``$XDG_CONFIG_HOME/scale-pilot/config.toml`` (``~/.config`` when unset).

    Args:
        env: environment to read ``XDG_CONFIG_HOME``/``HOME`` from (default ``os.environ``).
    """
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or ""
    if not os.path.isabs(base):  # the XDG spec says to ignore relative values
        home = env.get("HOME")
        base = os.path.join(home if home else str(Path.home()), ".config")
    return Path(base) / "scale-pilot" / "config.toml"


def write_profile(
    name: str,
    url: str,
    api_key: str | Secret,
    path: str | os.PathLike[str] | None = None,
) -> Path:
    """Create or replace one profile in the config file, readable only by its owner.

    Other profiles and top-level settings in the file are kept. The file is written to a
    temporary file with mode 0600 and renamed into place, so a crash never leaves half a file
    and the key is never world-readable, not even briefly.

    Args:
        name: profile name (letters, digits, ``_`` and ``-``).
        url: address of the NAS, checked with :func:`candidate_urls`.
        api_key: API key to store.
        path: config file (default :func:`default_config_path`).

    Returns:
        The path written.

    Raises:
        ConfigError: bad name, URL or key, or an existing file this function cannot rewrite.
    """
    if not _BARE_KEY.match(name):
        raise ConfigError(
            f"Invalid profile name {name!r}.",
            hint="Use letters, digits, '_' and '-' only.",
        )
    candidate_urls(url)
    key = api_key.reveal() if isinstance(api_key, Secret) else api_key
    if not key.strip():
        raise ConfigError("The API key is empty.", hint="Paste the key shown by TrueNAS.")
    target = Path(path) if path is not None else default_config_path()
    document = read_toml(target) if target.exists() else {}
    profiles = document.setdefault("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{target}: 'profiles' is not a table.", hint="Fix the file by hand.")
    profiles[name] = {"url": url.strip(), "api_key": key.strip()}
    _write_private(target, _dump_toml(document, target))
    return target


def warn_if_exposed(path: Path) -> None:
    """Warn (InsecureConfigWarning) when a file holding credentials is open to other users."""
    if os.name == "nt":
        return  # POSIX mode bits mean nothing there
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        warnings.warn(
            f"{path} holds credentials but other users can access it (mode {mode:o}); "
            f"run: chmod 600 {path}",
            InsecureConfigWarning,
            stacklevel=4,
        )


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax and I/O errors into ConfigError."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.", hint="Fix the file.") from None
    except OSError as exc:
        raise ConfigError(
            f"Cannot read {path} ({exc.strerror}).", hint="Check the file's permissions."
        ) from None


def _dump_toml(document: Mapping[str, Any], path: Path) -> str:
    """Serialise the config file's shape: top-level scalars plus ``[profiles.NAME]`` tables."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in document.items():
        if key == "profiles":
            tables.extend((f"profiles.{_toml_key(n)}", t) for n, t in value.items())
        else:
            lines.append(f"{_toml_key(key)} = {_toml_scalar(value, path)}")
    for header, table in tables:
        if not isinstance(table, Mapping):
            raise ConfigError(f"{path}: [{header}] is not a table.", hint="Fix it by hand.")
        lines.extend(["", f"[{header}]"])
        lines.extend(f"{_toml_key(k)} = {_toml_scalar(v, path)}" for k, v in table.items())
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_string(text: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes; DEL must be escaped too.
    return json.dumps(text).replace("\x7f", "\\u007f")


def _toml_scalar(value: Any, path: Path) -> str:
    encoders: dict[type, Callable[[Any], str]] = {
        bool: lambda v: "true" if v else "false",
        int: str,
        float: repr,
        str: _toml_string,
    }
    encode = encoders.get(type(value))
    if encode is None:
        raise ConfigError(
            f"{path} holds a {type(value).__name__} value this tool cannot rewrite.",
            hint="Edit the file by hand, or move the profile to a new file.",
        )
    return encode(value)


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
