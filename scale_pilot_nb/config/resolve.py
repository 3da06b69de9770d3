"""Resolve settings from arguments, environment, profile and ``.env`` (see the package doc)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from scale_pilot_nb.config.address import candidate_urls
from scale_pilot_nb.config.files import default_config_path, read_toml, warn_if_exposed
from scale_pilot_nb.config.secret import Secret
from scale_pilot_nb.config.settings import ConnectionSettings, check_transport_safety
from scale_pilot_nb.errors import ConfigError

__all__ = ["DEFAULT_PROFILE", "ENV_VARIABLES", "resolve_settings"]

DEFAULT_PROFILE = "default"
"""Profile read from the config file when none is named."""

ENV_URL = "TRUENAS_URL"
ENV_HOST = "TRUENAS_HOST"
ENV_API_KEY = "TRUENAS_API_KEY"
ENV_API_KEY_FILE = "TRUENAS_API_KEY_FILE"
ENV_USERNAME = "TRUENAS_USERNAME"
ENV_PASSWORD = "TRUENAS_PASSWORD"
ENV_VERIFY_SSL = "TRUENAS_VERIFY_SSL"
ENV_CA_FILE = "TRUENAS_CA_FILE"

ENV_VARIABLES: Mapping[str, str] = {
    ENV_URL: "url",
    ENV_HOST: "host",
    ENV_API_KEY: "api_key",
    ENV_API_KEY_FILE: "api_key_file",
    ENV_USERNAME: "username",
    ENV_PASSWORD: "password",
    ENV_VERIFY_SSL: "verify_ssl",
    ENV_CA_FILE: "ca_file",
}
"""Environment / ``.env`` variable -> the settings key it sets (also the profile key)."""

_PROFILE_KEYS = frozenset(ENV_VARIABLES.values())
_CREDENTIAL_KEYS = ("api_key", "api_key_file", "username", "password")
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def resolve_settings(
    url: str | None = None,
    api_key: str | Secret | None = None,
    *,
    username: str | None = None,
    password: str | Secret | None = None,
    verify_ssl: bool | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    allow_insecure: bool = False,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    config_path: str | os.PathLike[str] | None = None,
) -> ConnectionSettings:
    """Resolve connection settings from arguments, environment, profile and ``.env``.

    See the package docstring for the precedence rules and how credentials are bound to
    their address. ``None`` means "not given here, look further down"; the result is checked
    with :func:`check_transport_safety`.

    Args:
        url: host, host:port or URL (see :func:`candidate_urls`).
        api_key: API key.
        username: user for password login.
        password: password for ``username``.
        verify_ssl: verify TLS certificates (default: true).
        ca_file: CA bundle for TLS verification.
        profile: profile name in the config file (default ``"default"``, optional).
        allow_insecure: allow credentials over ``ws://`` to a host that is not loopback.
        env: environment mapping (default ``os.environ``); injectable for tests.
        cwd: directory whose ``.env`` is read (default: the working directory).
        config_path: config file (default :func:`default_config_path`).

    Returns:
        Frozen settings with secrets wrapped in :class:`Secret`.

    Raises:
        ConfigError: no address, no or contradictory credentials, credentials that would go
            to an address from a layer they outrank, malformed values, unreadable files, or
            an explicitly named profile that does not exist.
        InsecureTransportError: see :func:`check_transport_safety`.
    """
    env = os.environ if env is None else env
    path = Path(config_path) if config_path is not None else default_config_path(env)
    directory = Path(cwd) if cwd is not None else Path.cwd()
    arguments = {
        "url": url,
        "api_key": api_key,
        "username": username,
        "password": password,
        "verify_ssl": verify_ssl,
        "ca_file": os.fspath(ca_file) if ca_file is not None else None,
    }
    dotenv = _dotenv_layer(directory)
    layers = [
        _Layer("arguments", arguments, directory),
        _Layer("environment", _from_env_names(env), directory),
        _profile_layer(path, profile),
        dotenv,
    ]
    layers = [layer for layer in layers if layer.values]

    url_layer = _first(layers, ("url", "host"))
    if url_layer is None:
        raise ConfigError(
            "No TrueNAS address is configured.",
            hint=f"Pass url=..., set {ENV_URL} or {ENV_HOST}, add a profile to {path}, "
            f"or put {ENV_HOST}=... in ./.env.",
        )
    urls = url_layer.urls()
    host = urlsplit(urls[0]).hostname
    credential_layer = _credential_layer(layers, url_layer, host, path)
    verify_layer = _first(layers, ("verify_ssl",))
    ca_layer = _first(layers, ("ca_file",))
    for trust_layer in (verify_layer, ca_layer):
        _refuse_borrowed_trust(trust_layer, dotenv, credential_layer)
    verify = verify_layer.verify_ssl() if verify_layer else True
    settings = ConnectionSettings(
        urls=urls,
        **credential_layer.credentials(),
        verify_ssl=verify,
        ca_file=ca_layer.path_value("ca_file") if ca_layer and verify else None,
        allow_insecure=allow_insecure,
        sources={
            "url": url_layer.label,
            "credentials": credential_layer.label,
            "verify_ssl": verify_layer.label if verify_layer else "default",
        },
    )
    check_transport_safety(settings)
    return settings


class _Layer:
    """One source of settings: its label for messages, its values, and its base directory."""

    def __init__(self, label: str, values: Mapping[str, Any], base_dir: Path) -> None:
        self.label = label
        self.values = {
            key: value for key, value in values.items() if value is not None and value != ""
        }
        self.base_dir = base_dir

    def has_any(self, keys: tuple[str, ...]) -> bool:
        return any(key in self.values for key in keys)

    def urls(self) -> tuple[str, ...]:
        if "url" in self.values and "host" in self.values:
            raise ConfigError(
                f"Both a URL and a host are set in {self.label}.",
                hint=f"Keep one of {ENV_URL} / {ENV_HOST} (url / host).",
            )
        return candidate_urls(str(self.values.get("url") or self.values["host"]))

    def may_lend_credentials_to(self, host: str | None) -> bool:
        """Credentials stored next to an address belong to that address's host only."""
        if not self.has_any(("url", "host")):
            return True
        return urlsplit(self.urls()[0]).hostname == host

    def credentials(self) -> dict[str, Any]:
        values = self.values
        if "api_key" in values and "api_key_file" in values:
            raise ConfigError(
                f"Both an API key and an API key file are set in {self.label}.",
                hint=f"Keep one of {ENV_API_KEY} / {ENV_API_KEY_FILE}.",
            )
        has_key = "api_key" in values or "api_key_file" in values
        if has_key and "password" in values:
            raise ConfigError(
                f"Both an API key and a password are set in {self.label}.",
                hint="Use one login method.",
            )
        if has_key:
            key = values.get("api_key")
            if key is None:
                key = self._read_key_file(self.path_value("api_key_file"))
            credentials: dict[str, Any] = {
                "api_key": key if isinstance(key, Secret) else Secret(str(key))
            }
            if "username" in values:
                # The key's owner: TrueNAS 25.04+ logs in with auth.login_ex API_KEY_PLAIN,
                # which names the user the key belongs to.
                credentials["username"] = str(values["username"])
            return credentials
        if "username" not in values or "password" not in values:
            given, missing = (
                ("username", "password") if "username" in values else ("password", "username")
            )
            raise ConfigError(
                f"{self.label} sets a {given} but no {missing}.",
                hint=f"Set {ENV_USERNAME} and {ENV_PASSWORD} together (username and password).",
            )
        password = values["password"]
        return {
            "username": str(values["username"]),
            "password": password if isinstance(password, Secret) else Secret(str(password)),
        }

    def verify_ssl(self) -> bool:
        value = self.values["verify_ssl"]
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
        raise ConfigError(
            f"verify_ssl in {self.label} is {value!r}, not a yes/no value.",
            hint=f"{ENV_VERIFY_SSL} accepts 1/0, true/false, yes/no, on/off.",
        )

    def path_value(self, key: str) -> Path:
        path = Path(str(self.values[key])).expanduser()
        path = path if path.is_absolute() else self.base_dir / path
        if not path.is_file():
            raise ConfigError(
                f"The {key} {str(path)!r} from {self.label} is not a readable file.",
                hint="Check the path.",
            )
        return path

    def _read_key_file(self, path: Path) -> Secret:
        warn_if_exposed(path)
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read the API key file {str(path)!r} ({type(exc).__name__}).",
                hint="Check the file's permissions and that it holds the key as text.",
            ) from None
        if not key:
            raise ConfigError(f"The API key file {str(path)!r} is empty.", hint="Check the file.")
        return Secret(key)


def _credential_layer(
    layers: list[_Layer], url_layer: _Layer, host: str | None, path: Path
) -> _Layer:
    """The layer whose credentials go to ``host``: the address's own layer or one it outranks.

    Credentials never follow an address from a layer of lower precedence: a ``.env`` in
    whatever directory the user happens to be in cannot point the key from their
    environment or profile at another machine, and ``TRUENAS_URL`` cannot redirect a key
    passed as an argument. An address passed as ``url=`` outranks everything.
    """
    below = layers[layers.index(url_layer) :]
    layer = next(
        (
            layer
            for layer in below
            if layer.has_any(_CREDENTIAL_KEYS) and layer.may_lend_credentials_to(host)
        ),
        None,
    )
    if layer is not None:
        return layer
    outranking = _first(layers[: layers.index(url_layer)], _CREDENTIAL_KEYS)
    if outranking is not None:
        raise ConfigError(
            f"The credentials from {outranking.label} are not sent to {host}, an address "
            f"that comes from {url_layer.label}.",
            hint=f"Credentials only go to an address set in the same place or passed as "
            f"url=...: set {ENV_URL} beside the key, put url in the profile, or pass url=.",
        )
    raise ConfigError(
        f"No credentials are configured for {host}.",
        hint=f"Pass api_key=... (or username= and password=), or set {ENV_API_KEY} / "
        f"{ENV_API_KEY_FILE}, or add them to a profile in {path}.",
    )


def _refuse_borrowed_trust(
    trust_layer: _Layer | None, dotenv: _Layer, credential_layer: _Layer
) -> None:
    """A ``.env`` in the working directory may not change TLS trust for credentials from
    elsewhere: with ``TRUENAS_VERIFY_SSL=0`` or its own CA it could send them to whoever
    answers for the NAS's name. It may do so for credentials it holds itself.
    """
    if trust_layer is dotenv and credential_layer is not dotenv:
        raise ConfigError(
            f"{dotenv.label} changes TLS verification (verify_ssl / ca_file) for "
            f"credentials that come from {credential_layer.label}.",
            hint="Set TRUENAS_VERIFY_SSL / TRUENAS_CA_FILE where the credentials are set, "
            "or remove them from the .env file.",
        )


def _first(layers: list[_Layer], keys: tuple[str, ...]) -> _Layer | None:
    return next((layer for layer in layers if layer.has_any(keys)), None)


def _from_env_names(variables: Mapping[str, str | None]) -> dict[str, str | None]:
    return {key: variables.get(name) for name, key in ENV_VARIABLES.items()}


def _profile_layer(path: Path, requested: str | None) -> _Layer:
    name = requested or DEFAULT_PROFILE
    label = f"profile {name!r} in {path}"
    if not path.is_file():
        if requested:
            raise ConfigError(
                f"Profile {name!r} was requested but {path} does not exist.",
                hint="Create it with `scale-compose init`.",
            )
        return _Layer(label, {}, path.parent)
    warn_if_exposed(path)
    profiles = read_toml(path).get("profiles", {})
    entry = profiles.get(name) if isinstance(profiles, dict) else None
    if entry is None:
        if requested:
            known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
            raise ConfigError(
                f"There is no profile {name!r} in {path}.",
                hint=f"Known profiles: {known}." if known else "The file defines no profiles.",
            )
        return _Layer(label, {}, path.parent)
    if not isinstance(entry, dict):
        raise ConfigError(f"{label} is not a table.", hint=f"Write it as [profiles.{name}].")
    unknown = sorted(set(entry) - _PROFILE_KEYS)
    if unknown:
        raise ConfigError(
            f"Unknown key(s) {', '.join(unknown)} in {label}.",
            hint=f"Allowed keys: {', '.join(sorted(_PROFILE_KEYS))}.",
        )
    return _Layer(label, entry, path.parent)


def _dotenv_layer(directory: Path) -> _Layer:
    path = directory / ".env"
    if not path.is_file():
        return _Layer(str(path), {}, directory)
    return _Layer(str(path), _from_env_names(dotenv_values(path)), directory)
