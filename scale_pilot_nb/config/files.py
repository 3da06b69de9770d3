"""The config file: where it lives, reading it, warning about loose permissions, writing it."""

from __future__ import annotations

import os
import re
import stat
import tomllib
import warnings
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import tomlkit

from scale_pilot_nb.config.address import candidate_urls
from scale_pilot_nb.config.atomic import replace_file
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

    Other profiles, top-level settings, comments and layout in the file are kept (tomlkit
    round-trips it). The file is written to a temporary file with mode 0600 and renamed into
    place, so a crash never leaves half a file and the key is never world-readable, not even
    briefly.

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
    document = _read_document(target)
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    if not isinstance(profiles, MutableMapping):
        raise ConfigError(f"{target}: 'profiles' is not a table.", hint="Fix the file by hand.")
    profile = tomlkit.table()
    profile.update({"url": url.strip(), "api_key": key.strip()})
    profiles[name] = profile
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    replace_file(target.parent, target.name, tomlkit.dumps(document), private=True)
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


def _read_document(path: Path) -> tomlkit.TOMLDocument:
    """The config file as a document that keeps its comments and layout when written back."""
    if not path.exists():
        return tomlkit.document()
    read_toml(path)  # the same ConfigError as readers get for a broken file
    return tomlkit.parse(path.read_text(encoding="utf-8"))


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
