"""Tests for scale_pilot_nb.config.resolve: precedence, every source, and redaction."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.config import (
    ConnectionSettings,
    InsecureConfigWarning,
    Secret,
    resolve_settings,
)
from scale_pilot_nb.errors import ConfigError, InsecureTransportError, TrueNASError

KEY = "1-Sup3rS3cretK3yValueThatMustNeverAppearAnywhere0123456789abcdefghij"
OTHER_KEY = "2-AnotherSecretKeyForTheProfileLayerOnly0123456789abcdefghijklmnopq"
PASSWORD = "hunter2-not-for-your-eyes"


def _config_file(env: dict[str, str]) -> Path:
    return Path(env["XDG_CONFIG_HOME"]) / "scale-pilot" / "config.toml"


def _write_config(env: dict[str, str], text: str, mode: int = 0o600) -> Path:
    path = _config_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _resolve(env: dict[str, str], workdir: Path, **kwargs: Any) -> ConnectionSettings:
    return resolve_settings(env=env, cwd=workdir, **kwargs)


# -- precedence --------------------------------------------------------------------------------


def test_arguments_beat_environment_profile_and_dotenv(home: dict[str, str], workdir: Path) -> None:
    home.update({"TRUENAS_URL": "env.example", "TRUENAS_API_KEY": "env-key"})
    _write_config(home, '[profiles.default]\nurl = "profile.example"\napi_key = "p"\n')
    (workdir / ".env").write_text("TRUENAS_HOST=dotenv.example\nTRUENAS_API_KEY=d\n")
    settings = _resolve(home, workdir, url="arg.example", api_key=KEY)
    assert settings.url == "wss://arg.example/api/current"
    assert settings.api_key == Secret(KEY)
    assert settings.sources["url"] == settings.sources["credentials"] == "arguments"


def test_environment_beats_profile_and_dotenv(home: dict[str, str], workdir: Path) -> None:
    home.update({"TRUENAS_HOST": "env.example", "TRUENAS_API_KEY": KEY})
    _write_config(home, '[profiles.default]\nurl = "profile.example"\napi_key = "p"\n')
    (workdir / ".env").write_text("TRUENAS_HOST=dotenv.example\n")
    settings = _resolve(home, workdir)
    assert settings.host == "env.example"
    assert settings.api_key is not None and settings.api_key.reveal() == KEY


def test_profile_beats_dotenv(home: dict[str, str], workdir: Path) -> None:
    _write_config(home, f'[profiles.default]\nurl = "profile.example"\napi_key = "{KEY}"\n')
    (workdir / ".env").write_text("TRUENAS_HOST=dotenv.example\n")
    settings = _resolve(home, workdir)
    assert settings.host == "profile.example"
    assert settings.sources["url"].startswith("profile 'default'")
    # A .env may not turn off TLS verification for the profile's key (issue #14, item 2).
    (workdir / ".env").write_text("TRUENAS_HOST=dotenv.example\nTRUENAS_VERIFY_SSL=no\n")
    with pytest.raises(ConfigError, match="changes TLS verification"):
        _resolve(home, workdir)


def test_dotenv_is_the_last_resort_and_leaves_os_environ_alone(
    home: dict[str, str], workdir: Path
) -> None:
    (workdir / ".env").write_text(f"TRUENAS_URL=wss://dotenv.example\nTRUENAS_API_KEY={KEY}\n")
    settings = _resolve(home, workdir)
    assert settings.urls == ("wss://dotenv.example/api/current", "wss://dotenv.example/websocket")
    assert settings.api_key == Secret(KEY)
    assert "TRUENAS_API_KEY" not in os.environ
    assert KEY not in os.environ.values()


def test_credentials_are_taken_whole_from_one_layer(home: dict[str, str], workdir: Path) -> None:
    home.update({"TRUENAS_API_KEY": KEY})
    settings = _resolve(home, workdir, url="nas.example", username="admin", password=PASSWORD)
    assert settings.auth_method == "password"
    assert settings.api_key is None
    assert settings.username == "admin"


def test_stored_credentials_are_not_sent_to_another_host(
    home: dict[str, str], workdir: Path
) -> None:
    _write_config(home, f'[profiles.default]\nurl = "home-nas.example"\napi_key = "{KEY}"\n')
    with pytest.raises(ConfigError, match=r"No credentials are configured for other\.example"):
        _resolve(home, workdir, url="other.example")
    # Same host, different spelling of the address: the profile's key applies.
    settings = _resolve(home, workdir, url="https://home-nas.example/ui/")
    assert settings.api_key == Secret(KEY)


def test_credentials_without_an_address_apply_to_any_host(
    home: dict[str, str], workdir: Path
) -> None:
    home["TRUENAS_API_KEY"] = KEY
    assert _resolve(home, workdir, url="any.example").api_key == Secret(KEY)


# -- each environment variable -----------------------------------------------------------------


def test_env_username_and_password(home: dict[str, str], workdir: Path) -> None:
    home.update(
        {"TRUENAS_HOST": "nas.example", "TRUENAS_USERNAME": "admin", "TRUENAS_PASSWORD": PASSWORD}
    )
    settings = _resolve(home, workdir)
    assert (settings.username, settings.password) == ("admin", Secret(PASSWORD))


def test_env_api_key_file(home: dict[str, str], workdir: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    key_file.chmod(0o600)
    home.update({"TRUENAS_HOST": "nas.example", "TRUENAS_API_KEY_FILE": str(key_file)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _resolve(home, workdir).api_key == Secret(KEY)


def test_env_api_key_file_that_others_can_read_warns(
    home: dict[str, str], workdir: Path, tmp_path: Path
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    key_file.chmod(0o644)
    home.update({"TRUENAS_HOST": "nas.example", "TRUENAS_API_KEY_FILE": str(key_file)})
    with pytest.warns(InsecureConfigWarning, match="chmod 600") as record:
        _resolve(home, workdir)
    assert KEY not in str(record[0].message)


@pytest.mark.parametrize(("problem", "content"), [("is empty", ""), ("not a readable file", None)])
def test_env_api_key_file_problems(
    home: dict[str, str], workdir: Path, tmp_path: Path, problem: str, content: str | None
) -> None:
    key_file = tmp_path / "key"
    if content is not None:
        key_file.write_text(content)
        key_file.chmod(0o600)
    home.update({"TRUENAS_HOST": "nas.example", "TRUENAS_API_KEY_FILE": str(key_file)})
    with pytest.raises(ConfigError, match=problem):
        _resolve(home, workdir)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        *[(word, True) for word in ("1", "true", "YES", "on")],
        *[(word, False) for word in ("0", "False", "no", "off")],
    ],
)
def test_env_verify_ssl_words(
    home: dict[str, str], workdir: Path, word: str, expected: bool
) -> None:
    home.update({"TRUENAS_VERIFY_SSL": word})
    assert _resolve(home, workdir, url="nas.example", api_key=KEY).verify_ssl is expected


def test_env_verify_ssl_rejects_other_words(home: dict[str, str], workdir: Path) -> None:
    home["TRUENAS_VERIFY_SSL"] = "maybe"
    with pytest.raises(ConfigError, match="'maybe'") as info:
        _resolve(home, workdir, url="nas.example", api_key=KEY)
    assert info.value.hint and "yes/no" in info.value.hint


def test_env_ca_file(home: dict[str, str], workdir: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    home["TRUENAS_CA_FILE"] = str(bundle)
    settings = _resolve(home, workdir, url="nas.example", api_key=KEY)
    assert settings.ca_file == bundle
    assert settings.verify_ssl is True


def test_missing_ca_file_is_a_config_error(home: dict[str, str], workdir: Path) -> None:
    home["TRUENAS_CA_FILE"] = "/nonexistent/ca.pem"
    with pytest.raises(ConfigError, match="ca_file"):
        _resolve(home, workdir, url="nas.example", api_key=KEY)


def test_verify_ssl_false_drops_the_ca_file(
    home: dict[str, str], workdir: Path, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    home["TRUENAS_CA_FILE"] = str(bundle)
    settings = _resolve(home, workdir, url="nas.example", api_key=KEY, verify_ssl=False)
    assert (settings.verify_ssl, settings.ca_file) == (False, None)


def test_api_key_with_its_owner_username(home: dict[str, str], workdir: Path) -> None:
    settings = _resolve(home, workdir, url="nas.example", api_key=KEY, username="admin")
    assert settings.auth_method == "api_key"
    assert settings.username == "admin"
    assert settings.password is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TRUENAS_URL": "a.example", "TRUENAS_HOST": "b.example"}, "Both a URL and a host"),
        (
            {"TRUENAS_HOST": "a.example", "TRUENAS_API_KEY": KEY, "TRUENAS_API_KEY_FILE": "/k"},
            "API key and an API key file",
        ),
        (
            {"TRUENAS_HOST": "a.example", "TRUENAS_API_KEY": KEY, "TRUENAS_PASSWORD": PASSWORD},
            "API key and a password",
        ),
        ({"TRUENAS_HOST": "a.example", "TRUENAS_USERNAME": "root"}, "username but no password"),
        ({"TRUENAS_HOST": "a.example", "TRUENAS_PASSWORD": PASSWORD}, "password but no username"),
    ],
)
def test_contradictory_or_incomplete_environment(
    home: dict[str, str], workdir: Path, env: dict[str, str], message: str
) -> None:
    home.update(env)
    with pytest.raises(ConfigError, match=message) as info:
        _resolve(home, workdir)
    assert KEY not in str(info.value) and PASSWORD not in str(info.value)
    assert info.value.hint


def test_nothing_configured_explains_every_source(home: dict[str, str], workdir: Path) -> None:
    with pytest.raises(ConfigError, match="No TrueNAS address") as info:
        _resolve(home, workdir)
    hint = info.value.hint or ""
    assert "TRUENAS_URL" in hint and "TRUENAS_HOST" in hint and ".env" in hint
    assert str(_config_file(home)) in hint


def test_address_without_credentials(home: dict[str, str], workdir: Path) -> None:
    with pytest.raises(ConfigError, match="No credentials") as info:
        _resolve(home, workdir, url="nas.example")
    assert "TRUENAS_API_KEY" in (info.value.hint or "")


def test_empty_environment_values_count_as_unset(home: dict[str, str], workdir: Path) -> None:
    home.update({"TRUENAS_URL": "", "TRUENAS_API_KEY": ""})
    settings = _resolve(home, workdir, url="nas.example", api_key=KEY)
    assert settings.sources["credentials"] == "arguments"


# -- profiles ----------------------------------------------------------------------------------


def test_named_profile_with_relative_ca_file(home: dict[str, str], workdir: Path) -> None:
    path = _write_config(
        home,
        '[profiles.default]\nurl = "default.example"\napi_key = "x"\n\n'
        f'[profiles.lab]\nhost = "lab.example"\nusername = "admin"\npassword = "{PASSWORD}"\n'
        'verify_ssl = true\nca_file = "lab-ca.pem"\n',
    )
    (path.parent / "lab-ca.pem").write_text("x")
    settings = _resolve(home, workdir, profile="lab")
    assert settings.host == "lab.example"
    assert settings.username == "admin" and settings.password == Secret(PASSWORD)
    assert settings.ca_file == path.parent / "lab-ca.pem"


def test_unknown_profile_lists_the_known_ones(home: dict[str, str], workdir: Path) -> None:
    _write_config(home, '[profiles.alpha]\nurl = "a.example"\n[profiles.beta]\nurl = "b"\n')
    with pytest.raises(ConfigError, match="no profile 'gamma'") as info:
        _resolve(home, workdir, profile="gamma")
    assert info.value.hint == "Known profiles: alpha, beta."


def test_named_profile_without_a_config_file(home: dict[str, str], workdir: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        _resolve(home, workdir, profile="lab")
    assert "scale-compose init" in (info.value.hint or "")


def test_profile_with_an_unknown_key_is_rejected(home: dict[str, str], workdir: Path) -> None:
    _write_config(home, '[profiles.default]\nurl = "a.example"\napikey = "typo"\n')
    with pytest.raises(ConfigError, match="apikey"):
        _resolve(home, workdir)


def test_broken_toml_is_a_config_error(home: dict[str, str], workdir: Path) -> None:
    _write_config(home, f'[profiles.default\napi_key = "{KEY}"\n')
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        _resolve(home, workdir)
    assert KEY not in str(info.value)


def test_config_file_readable_by_others_warns(home: dict[str, str], workdir: Path) -> None:
    path = _write_config(
        home, f'[profiles.default]\nurl = "a.example"\napi_key = "{KEY}"\n', mode=0o644
    )
    with pytest.warns(InsecureConfigWarning, match=str(path)):
        _resolve(home, workdir)


def test_private_config_file_does_not_warn(home: dict[str, str], workdir: Path) -> None:
    _write_config(home, f'[profiles.default]\nurl = "a.example"\napi_key = "{KEY}"\n')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _resolve(home, workdir)


def test_explicit_config_path(tmp_path: Path, workdir: Path) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text(f'[profiles.default]\nurl = "a.example"\napi_key = "{KEY}"\n')
    path.chmod(0o600)
    settings = resolve_settings(env={}, cwd=workdir, config_path=path)
    assert settings.host == "a.example"


# -- safety and redaction through resolve ------------------------------------------------------


def test_resolve_refuses_an_api_key_over_plain_ws(home: dict[str, str], workdir: Path) -> None:
    with pytest.raises(InsecureTransportError):
        _resolve(home, workdir, url="http://192.168.1.50", api_key=KEY)
    settings = _resolve(home, workdir, url="http://192.168.1.50", api_key=KEY, allow_insecure=True)
    assert settings.allow_insecure


def test_settings_repr_and_exceptions_never_contain_secrets(
    home: dict[str, str], workdir: Path
) -> None:
    by_key = _resolve(home, workdir, url="nas.example", api_key=KEY)
    by_password = _resolve(home, workdir, url="nas.example", username="u", password=PASSWORD)
    for settings in (by_key, by_password):
        for text in (repr(settings), str(settings), f"{settings}", repr(vars(settings))):
            assert KEY not in text and PASSWORD not in text
    assert "Secret('********')" in repr(by_key)
    errors: list[TrueNASError] = []
    for kwargs in (
        {"url": "ws://nas.example/api/current", "api_key": KEY},
        {"url": "nas.example", "api_key": KEY, "username": "u", "password": PASSWORD},
        {"url": KEY, "api_key": KEY},
    ):
        with pytest.raises(TrueNASError) as info:
            _resolve(home, workdir, **kwargs)
        errors.append(info.value)
    for error in errors:
        for text in (str(error), repr(error), repr(error.to_dict())):
            assert KEY not in text and PASSWORD not in text
