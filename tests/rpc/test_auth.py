"""Login plans per dialect, login answers, and secrets that never show."""

from __future__ import annotations

import pytest

from scale_pilot_nb.errors import AuthenticationError, ConfigError
from scale_pilot_nb.rpc.auth import Credentials, check_login_result, login_plan, reveal
from scale_pilot_nb.rpc.protocol import Dialect

KEY = "1-abcdefghijklmnop"


class Wrapped:
    """A secret holder like config.Secret: repr redacted, value via get_secret()."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('***')"

    def get_secret(self) -> str:
        return self._value


class Revealing:
    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value


def test_reveal_accepts_str_get_secret_and_reveal() -> None:
    assert reveal(KEY) == reveal(Wrapped(KEY)) == reveal(Revealing(KEY)) == KEY
    with pytest.raises(ConfigError, match="int"):
        reveal(42)  # type: ignore[arg-type]


def test_jsonrpc_api_key_with_username_prefers_login_ex_then_falls_back() -> None:
    steps = login_plan(Credentials(api_key=Wrapped(KEY), username="root"), Dialect.JSONRPC)
    assert [(s.method, s.params) for s in steps] == [
        (
            "auth.login_ex",
            [{"mechanism": "API_KEY_PLAIN", "username": "root", "api_key": KEY}],
        ),
        ("auth.login_with_api_key", [KEY]),
    ]


def test_api_key_without_username_uses_login_with_api_key() -> None:
    steps = login_plan(Credentials(api_key=KEY), Dialect.JSONRPC)
    assert [s.method for s in steps] == ["auth.login_with_api_key"]


def test_legacy_dialect_uses_only_legacy_methods() -> None:
    key_steps = login_plan(Credentials(api_key=KEY, username="root"), Dialect.LEGACY)
    assert [(s.method, s.params) for s in key_steps] == [("auth.login_with_api_key", [KEY])]
    password_steps = login_plan(Credentials(username="root", password="pw"), Dialect.LEGACY)
    assert [(s.method, s.params) for s in password_steps] == [("auth.login", ["root", "pw"])]


def test_password_on_jsonrpc() -> None:
    steps = login_plan(Credentials(username="root", password=Revealing("pw")), Dialect.JSONRPC)
    assert steps[0].params == [
        {"mechanism": "PASSWORD_PLAIN", "username": "root", "password": "pw"}
    ]
    assert steps[1].method == "auth.login"


def test_credentials_need_a_secret_and_a_password_needs_a_user() -> None:
    with pytest.raises(ConfigError):
        Credentials(username="root")
    with pytest.raises(ConfigError, match="username"):
        Credentials(password="pw")


def test_secrets_never_appear_in_reprs() -> None:
    credentials = Credentials(api_key=KEY, username="root")
    steps = login_plan(credentials, Dialect.JSONRPC)
    for text in (repr(credentials), str(credentials), *map(repr, steps)):
        assert "abcdefghijklmnop" not in text
    assert "pw-secret" not in repr(Credentials(username="u", password="pw-secret"))


@pytest.mark.parametrize(
    ("result", "accepted"),
    [
        ({"response_type": "SUCCESS", "user_info": None, "authenticator": "LEVEL_1"}, True),
        ({"response_type": "AUTH_ERR"}, False),
        ({"response_type": "EXPIRED"}, False),
        (None, False),
    ],
)
def test_login_ex_answers(result: object, accepted: bool) -> None:
    (step, _) = login_plan(Credentials(api_key=KEY, username="root"), Dialect.JSONRPC)
    if accepted:
        check_login_result(step, result)
    else:
        with pytest.raises(AuthenticationError) as refused:
            check_login_result(step, result)
        assert refused.value.mechanism == "API_KEY_PLAIN via auth.login_ex"


def test_legacy_login_answers_are_booleans() -> None:
    (step,) = login_plan(Credentials(api_key=KEY), Dialect.LEGACY)
    check_login_result(step, True)
    with pytest.raises(AuthenticationError, match=r"auth\.login_with_api_key"):
        check_login_result(step, False)
