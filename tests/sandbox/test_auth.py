"""Logins, ENOTAUTHENTICATED, the unauthenticated rate limit and API-key revocation."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sandbox_frames import Raw

from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.auth import RateLimiter

MakeSandbox = Callable[..., Sandbox]


async def test_methods_need_login_with_errno_207(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    error = (await raw.call("core.subscribe", "core.get_jobs"))["error"]
    assert error["code"] == -32001
    assert error["data"]["error"] == 207
    assert error["data"]["errname"] == "ENOTAUTHENTICATED"
    assert error["data"]["reason"] == "[ENOTAUTHENTICATED] Not authenticated"
    assert error["data"]["extra"] is None


@pytest.mark.parametrize(("version", "no_auth"), [("25.04", False), ("25.10", True)])
async def test_core_ping_is_no_auth_only_on_2510(
    make_sandbox: MakeSandbox, version: str, no_auth: bool
) -> None:
    raw = await Raw.open(make_sandbox(version).url)
    frame = await raw.call("core.ping")
    assert ("result" in frame) is no_auth
    if not no_auth:
        assert frame["error"]["data"]["error"] == 207


async def test_api_key_login_and_me_and_logout(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    assert await raw.result("auth.login_with_api_key", "1-wrong") is False
    assert await raw.result("auth.login_with_api_key", sb.api_key) is True
    me = await raw.result("auth.me")
    assert me["pw_name"] == sb.username
    assert "FULL_ADMIN" in me["privilege"]["roles"]
    assert await raw.result("auth.logout") is True
    assert (await raw.call("auth.me"))["error"]["data"]["error"] == 207


async def test_password_login(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    assert await raw.result("auth.login", sb.username, "not-the-password") is False
    assert await raw.result("auth.login", sb.username, sb.password) is True
    assert (await raw.result("auth.me"))["pw_name"] == sb.username


async def test_login_ex_mechanisms_and_response_types(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    bad = {"mechanism": "PASSWORD_PLAIN", "username": sb.username, "password": "nope"}
    assert await raw.result("auth.login_ex", bad) == {"response_type": "AUTH_ERR"}
    good = {
        "mechanism": "API_KEY_PLAIN",
        "username": sb.username,
        "api_key": sb.api_key,
        "login_options": {"user_info": False},
    }
    assert await raw.result("auth.login_ex", good) == {
        "response_type": "SUCCESS",
        "user_info": None,
        "authenticator": "LEVEL_1",
    }
    with_info = {"mechanism": "PASSWORD_PLAIN", "username": sb.username, "password": sb.password}
    answer = await raw.result("auth.login_ex", with_info)
    assert answer["user_info"]["pw_name"] == sb.username


async def test_login_ex_errors(make_sandbox: MakeSandbox) -> None:
    raw = await Raw.open(make_sandbox().url)
    otp = (await raw.call("auth.login_ex", {"mechanism": "OTP_TOKEN", "otp_token": "1"}))["error"]
    assert otp["code"] == -32001
    assert otp["data"]["reason"] == "[EINVAL] OTP_TOKEN: no authentication in progress"
    unknown = (await raw.call("auth.login_ex", {"mechanism": "SCRAM"}))["error"]
    assert unknown["code"] == -32602


async def test_login_ex_does_not_exist_on_2410(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10")
    raw = await Raw.open(sb.legacy_url)
    error = (await raw.call("auth.login_ex", {"mechanism": "PASSWORD_PLAIN"}))["error"]
    assert error["error"] == 201


async def test_mechanism_choices_fails_unauthenticated_like_2510(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    data = (await raw.call("auth.mechanism_choices"))["error"]["data"]
    assert data["error"] == 22
    assert data["reason"] == "'NoneType' object has no attribute 'may_create_auth_token'"
    await raw.login(sb.api_key)
    assert "API_KEY_PLAIN" in await raw.result("auth.mechanism_choices")


async def test_rate_limit_after_20_unauthenticated_calls(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox()
    raw = await Raw.open(sb.url)
    for _ in range(20):
        assert await raw.result("auth.login", "x", "y") is False
    data = (await raw.call("auth.login", "x", "y"))["error"]["data"]
    assert (data["error"], data["reason"]) == (16, "[EBUSY] Rate Limit Exceeded")
    # per method: another no-auth method still answers; set_options is never limited
    assert await raw.result("core.ping") == "pong"
    for _ in range(25):
        await raw.result("core.set_options", {})
    # a fresh connection from the same address is limited too
    other = await Raw.open(sb.url)
    assert (await other.call("auth.login", "x", "y"))["error"]["data"]["error"] == 16


def test_rate_limit_window_resets_after_60_seconds() -> None:
    now = [0.0]
    limiter = RateLimiter(lambda: now[0])
    assert all(limiter.allow("auth.login", "10.0.0.1") for _ in range(20))
    assert not limiter.allow("auth.login", "10.0.0.1")
    assert limiter.allow("auth.login", "10.0.0.2")
    now[0] = 59.9
    assert not limiter.allow("auth.login", "10.0.0.1")
    now[0] = 60.0
    assert limiter.allow("auth.login", "10.0.0.1")


def test_rate_limit_refuses_everything_new_at_100_keys() -> None:
    limiter = RateLimiter(lambda: 0.0)
    for n in range(100):
        assert limiter.allow("auth.login", f"10.0.0.{n}")
    assert not limiter.allow("auth.login", "10.0.1.1")
    limiter.clear()
    assert limiter.allow("auth.login", "10.0.1.1")


def test_rate_limit_cache_is_cleared_every_ten_minutes() -> None:
    now = [0.0]
    limiter = RateLimiter(lambda: now[0])
    for n in range(100):
        assert limiter.allow("auth.login", f"10.0.0.{n}")
    now[0] = 599.0
    assert not limiter.allow("auth.login", "10.0.1.1")  # locked out until the periodic clear
    now[0] = 600.0
    assert limiter.allow("auth.login", "10.0.1.1")


@pytest.mark.parametrize("version", ["25.04", "25.10"])
async def test_plain_key_from_remote_peer_is_revoked(
    make_sandbox: MakeSandbox, version: str
) -> None:
    sb = make_sandbox(version, treat_as_remote=True)
    raw = await Raw.open(sb.url)
    assert await raw.result("auth.login_with_api_key", sb.api_key) is False
    assert sb.api_key_revoked
    login_ex = {"mechanism": "API_KEY_PLAIN", "username": sb.username, "api_key": sb.api_key}
    assert await raw.result("auth.login_ex", login_ex) == {"response_type": "EXPIRED"}
    # passwords are not affected, and the key stays revoked for loopback too
    assert await raw.result("auth.login", sb.username, sb.password) is True
    assert sb.metrics.failed_logins == 2
    sb.reset()
    assert not sb.api_key_revoked


async def test_2410_accepts_plain_key_from_remote_peer(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("24.10", treat_as_remote=True)
    raw = await Raw.open(sb.legacy_url)
    assert await raw.result("auth.login_with_api_key", sb.api_key) is True
    assert not sb.api_key_revoked


async def test_key_over_tls_from_remote_peer_is_kept(make_sandbox: MakeSandbox) -> None:
    import ssl

    sb = make_sandbox(tls=True, treat_as_remote=True)
    assert sb.url.startswith("wss://") and sb.ca_file is not None
    context = ssl.create_default_context(cafile=str(sb.ca_file))
    raw = await Raw.open(sb.url, ssl=context)
    assert await raw.result("auth.login_with_api_key", sb.api_key) is True
    assert not sb.api_key_revoked
