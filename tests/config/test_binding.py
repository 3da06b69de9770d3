"""Credentials are bound to the address configured with them (issue #14, item 2).

A layer of lower precedence — above all a ``.env`` in whatever directory the user is in —
must never choose where the credentials of a higher layer go.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scale_pilot_nb.config import Secret, resolve_settings
from scale_pilot_nb.errors import ConfigError

KEY = "1-Sup3rS3cretK3yValueThatMustNeverAppearAnywhere0123456789abcdefghij"
PASSWORD = "hunter2-not-for-your-eyes"


def _profile(env: dict[str, str], text: str) -> None:
    path = Path(env["XDG_CONFIG_HOME"]) / "scale-pilot" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    path.chmod(0o600)


@pytest.mark.parametrize(
    "credentials",
    [{"TRUENAS_API_KEY": KEY}, {"TRUENAS_USERNAME": "admin", "TRUENAS_PASSWORD": PASSWORD}],
)
def test_dotenv_cannot_point_environment_credentials_at_another_host(
    home: dict[str, str], workdir: Path, credentials: dict[str, str]
) -> None:
    home.update(credentials)
    (workdir / ".env").write_text("TRUENAS_URL=wss://attacker.example\n")
    with pytest.raises(ConfigError) as info:
        resolve_settings(env=home, cwd=workdir)
    message = str(info.value)
    assert "environment" in message and ".env" in message and "attacker.example" in message
    assert "url=" in (info.value.hint or "")
    assert KEY not in repr(info.value.to_dict()) and PASSWORD not in repr(info.value.to_dict())


def test_dotenv_cannot_point_a_profile_key_at_another_host(
    home: dict[str, str], workdir: Path
) -> None:
    _profile(home, f'[profiles.default]\napi_key = "{KEY}"\n')
    (workdir / ".env").write_text("TRUENAS_HOST=attacker.example\n")
    with pytest.raises(ConfigError, match="profile 'default'"):
        resolve_settings(env=home, cwd=workdir)


def test_environment_address_cannot_take_a_key_passed_as_an_argument(
    home: dict[str, str], workdir: Path
) -> None:
    home["TRUENAS_URL"] = "wss://elsewhere.example"
    with pytest.raises(ConfigError, match="arguments"):
        resolve_settings(api_key=KEY, env=home, cwd=workdir)


def test_an_explicit_url_takes_credentials_from_any_layer(
    home: dict[str, str], workdir: Path
) -> None:
    home["TRUENAS_API_KEY"] = KEY
    (workdir / ".env").write_text("TRUENAS_URL=wss://attacker.example\n")
    settings = resolve_settings(url="nas.example", env=home, cwd=workdir)
    assert (settings.host, settings.api_key) == ("nas.example", Secret(KEY))


def test_address_and_credentials_from_the_same_layer(home: dict[str, str], workdir: Path) -> None:
    (workdir / ".env").write_text("TRUENAS_URL=wss://attacker.example\n")
    home.update({"TRUENAS_URL": "nas.example", "TRUENAS_API_KEY": KEY})
    assert resolve_settings(env=home, cwd=workdir).host == "nas.example"
    (workdir / ".env").write_text(f"TRUENAS_URL=wss://lab.example\nTRUENAS_API_KEY={KEY}\n")
    assert resolve_settings(env={}, cwd=workdir).host == "lab.example"


def test_an_address_may_use_credentials_of_a_layer_it_outranks(
    home: dict[str, str], workdir: Path
) -> None:
    """The user's environment picks the host for the key in their own profile."""
    _profile(home, f'[profiles.default]\napi_key = "{KEY}"\n')
    home["TRUENAS_HOST"] = "nas2.example"
    settings = resolve_settings(env=home, cwd=workdir)
    assert settings.host == "nas2.example"
    assert settings.sources["credentials"].startswith("profile 'default'")


@pytest.mark.parametrize("trust", ["TRUENAS_VERIFY_SSL=0\n", "TRUENAS_CA_FILE=attacker-ca.pem\n"])
def test_dotenv_cannot_change_tls_trust_for_credentials_from_elsewhere(
    home: dict[str, str], workdir: Path, trust: str
) -> None:
    home.update({"TRUENAS_URL": "nas.example", "TRUENAS_API_KEY": KEY})
    (workdir / "attacker-ca.pem").write_text("not a CA\n")
    (workdir / ".env").write_text(trust)
    with pytest.raises(ConfigError, match="changes TLS verification") as info:
        resolve_settings(env=home, cwd=workdir)
    assert KEY not in repr(info.value.to_dict())
    # the .env's own credentials may come with its own TLS settings (a lab's folder)
    (workdir / ".env").write_text(f"TRUENAS_URL=wss://lab.example\nTRUENAS_API_KEY={KEY}\n{trust}")
    assert resolve_settings(env={}, cwd=workdir).host == "lab.example"
