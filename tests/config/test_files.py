"""Tests for scale_pilot_nb.config.files: config path, permission warning, write_profile."""

from __future__ import annotations

import stat
import tomllib
import warnings
from pathlib import Path

import pytest

from scale_pilot_nb.config.files import (
    InsecureConfigWarning,
    default_config_path,
    warn_if_exposed,
    write_profile,
)
from scale_pilot_nb.config.resolve import resolve_settings
from scale_pilot_nb.config.secret import Secret
from scale_pilot_nb.errors import ConfigError

KEY = "1-Sup3rS3cretK3yValueThatMustNeverAppearAnywhere0123456789abcdefghij"
OTHER_KEY = "2-AnotherSecretKeyForTheProfileLayerOnly0123456789abcdefghijklmnopq"


def test_default_config_path_honours_xdg_and_home() -> None:
    assert default_config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/scale-pilot/config.toml")
    assert default_config_path({"HOME": "/home/u"}) == Path(
        "/home/u/.config/scale-pilot/config.toml"
    )
    # A relative XDG_CONFIG_HOME is ignored, as the XDG spec requires.
    assert default_config_path({"XDG_CONFIG_HOME": "rel", "HOME": "/h"}) == Path(
        "/h/.config/scale-pilot/config.toml"
    )


def test_warn_if_exposed(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    path.chmod(0o640)
    with pytest.warns(InsecureConfigWarning, match="chmod 600"):
        warn_if_exposed(path)
    path.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_exposed(path)


def test_write_profile_creates_a_private_file_that_resolves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = write_profile("lab", "nas.lab.example", Secret(KEY))
    assert path == tmp_path / "xdg" / "scale-pilot" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a file we wrote never triggers the permission warning
        settings = resolve_settings(env={}, cwd=tmp_path, config_path=path, profile="lab")
    assert settings.host == "nas.lab.example"
    assert settings.api_key == Secret(KEY)


def test_write_profile_keeps_other_profiles_and_replaces_its_own(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'default_profile = "lab"\n\n[profiles.home]\nurl = "home.example"\n'
        f'api_key = "{OTHER_KEY}"\nverify_ssl = false\n\n[profiles.lab]\nurl = "old.example"\n'
    )
    write_profile("lab", "new.example", KEY, path=path)
    document = tomllib.loads(path.read_text())
    assert document["default_profile"] == "lab"
    assert document["profiles"]["home"] == {
        "url": "home.example",
        "api_key": OTHER_KEY,
        "verify_ssl": False,
    }
    assert document["profiles"]["lab"] == {"url": "new.example", "api_key": KEY}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_write_profile_escapes_awkward_strings(tmp_path: Path) -> None:
    awkward = 'quote " backslash \\ tab \t del \x7f é'
    path = write_profile("x", "nas.example", awkward, path=tmp_path / "c.toml")
    assert tomllib.loads(path.read_text())["profiles"]["x"]["api_key"] == awkward


@pytest.mark.parametrize(
    ("name", "url", "key", "message"),
    [
        ("bad name", "nas.example", KEY, "Invalid profile name"),
        ("ok", "ftp://nas.example", KEY, "Unsupported scheme"),
        ("ok", "nas.example", "  ", "empty"),
    ],
)
def test_write_profile_rejects_bad_input(
    tmp_path: Path, name: str, url: str, key: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        write_profile(name, url, key, path=tmp_path / "c.toml")
    assert not (tmp_path / "c.toml").exists()


def test_write_profile_keeps_comments_and_values_it_did_not_write(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    original = (
        "# my NAS boxes: the lab one is rebuilt every week\n"
        'trusted = ["a", "b"]  # hosts I trust\n\n'
        "[profiles.home]\n# the old box\n"
        f'url = "home.example"\napi_key = "{OTHER_KEY}"\n'
    )
    path.write_text(original)
    write_profile("lab", "nas.example", KEY, path=path)
    text = path.read_text()
    assert text.startswith(original)  # nothing of the user's is lost or moved
    assert tomllib.loads(text)["profiles"]["lab"] == {"url": "nas.example", "api_key": KEY}
    assert [p.name for p in tmp_path.iterdir()] == ["c.toml"]  # no temporary file left
