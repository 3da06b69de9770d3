"""Accounts, API keys, the unauthenticated rate limit and the ``auth.*`` methods.

The sandbox has one administrator with a password and one API key (``ID-SECRET``). Real TrueNAS
behaviour kept here because clients must cope with it: 25.04+ revokes a plain API key used over
an insecure transport (not TLS, not loopback) and answers ``EXPIRED``/``false``; unauthenticated
calls are limited to 20 per method and peer address per 60 s.
"""

from __future__ import annotations

import errno
import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import (
    MethodSpec,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.dispatch import ServerCall

#: Unauthenticated calls allowed per (method, peer address) and window.
RATE_LIMIT_CALLS = 20
#: Length of the fixed rate-limit window in seconds.
RATE_LIMIT_PERIOD = 60.0
#: Distinct (method, address) keys the middleware tracks before refusing everything.
RATE_LIMIT_MAX_KEYS = 100
#: Seconds between the middleware's full clears of the rate-limit cache (which also end a
#: max-keys lockout).
RATE_LIMIT_CLEAR_INTERVAL = 600.0

REVOKE_REASON = "Attempt to use over an insecure transport"
MECHANISMS = ["API_KEY_PLAIN", "TOKEN_PLAIN", "PASSWORD_PLAIN"]


def _token(length: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass
class Accounts:
    """The sandbox's one administrator and their API key.

    Attributes:
        username: login name (``truenas_admin`` as on a fresh 24.10+ install).
        password: generated per run unless given.
        api_key: ``"<id>-<secret>"``, generated per run unless given.
        revoked_reason: set when the key was revoked for insecure transport.
        web_shell: the administrator's privilege allows the web shell (as on a fresh
            install); tests turn it off to see the shell refuse.
    """

    username: str = "truenas_admin"
    password: str = field(default_factory=lambda: _token(20))
    api_key: str = field(default_factory=lambda: f"1-{_token(64)}")
    revoked_reason: str | None = None
    web_shell: bool = True

    def __repr__(self) -> str:
        return f"Accounts(username={self.username!r}, password=***, api_key=***)"

    def key_matches(self, raw_key: Any) -> bool:
        """True when ``raw_key`` is exactly this account's key (constant-time compare)."""
        return isinstance(raw_key, str) and secrets.compare_digest(
            raw_key.encode(), self.api_key.encode()
        )

    def password_matches(self, username: Any, password: Any) -> bool:
        """True for the administrator's name and password."""
        return (
            isinstance(username, str)
            and isinstance(password, str)
            and username == self.username
            and secrets.compare_digest(password.encode(), self.password.encode())
        )


class RateLimiter:
    """Fixed-window limit on unauthenticated calls per (method, peer address).

    The window starts at the first call and resets on the first call made at least
    :data:`RATE_LIMIT_PERIOD` seconds after it began. When :data:`RATE_LIMIT_MAX_KEYS` keys are
    tracked, any new key is refused too (the middleware's global lockout), until the whole cache
    is cleared, as the middleware does every :data:`RATE_LIMIT_CLEAR_INTERVAL` seconds. The
    middleware's random 1-10 s sleep before refusing is left out so tests stay fast.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, enabled: bool = True
    ) -> None:
        self._clock = clock
        self.enabled = enabled
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._cleared_at = clock()

    def allow(self, method: str, address: str) -> bool:
        """Count one call; False when it exceeds the limit (always True when disabled)."""
        if not self.enabled:
            return True
        now = self._clock()
        if now - self._cleared_at >= RATE_LIMIT_CLEAR_INTERVAL:
            self.clear()
        key = (method, address)
        start, count = self._windows.get(key, (now, 0))
        if now - start >= RATE_LIMIT_PERIOD:
            start, count = now, 0
        if key not in self._windows and len(self._windows) >= RATE_LIMIT_MAX_KEYS:
            return False
        self._windows[key] = (start, count + 1)
        return count + 1 <= RATE_LIMIT_CALLS

    def clear(self) -> None:
        """Forget every window (what the middleware's periodic cache clear does)."""
        self._windows.clear()
        self._cleared_at = self._clock()


def user_info(username: str, *, web_shell: bool = True) -> dict[str, Any]:
    """``auth.me`` for the administrator (fields of ``user.get_user_obj`` plus privileges)."""
    return {
        "pw_name": username,
        "pw_gecos": "Local Administrator",
        "pw_dir": f"/home/{username}",
        "pw_shell": "/usr/bin/zsh",
        "pw_uid": 950,
        "pw_gid": 950,
        "grouplist": [950, 544],
        "sid": None,
        "source": "LOCAL",
        "local": True,
        "privilege": {
            "roles": ["FULL_ADMIN"],
            "allowlist": [{"method": "*", "resource": "*"}],
            "web_shell": web_shell,
            "webui_access": True,
        },
        "account_attributes": ["LOCAL", "SYS_ADMIN"],
        "attributes": {},
        "two_factor_config": {"secret_configured": False, "interval": 30, "otp_digits": 6},
    }


def _check_api_key(call: ServerCall, raw_key: Any) -> str:
    """Log in with an API key; returns the ``auth.login_ex`` response type."""
    server, session = call.session.server, call.session
    accounts = server.accounts
    if not accounts.key_matches(raw_key):
        server.metrics.failed_logins += 1
        return "AUTH_ERR"
    if accounts.revoked_reason is not None:
        server.metrics.failed_logins += 1
        return "EXPIRED"
    if version_at_least(server.version, "25.04") and not session.secure:
        accounts.revoked_reason = REVOKE_REASON
        server.metrics.failed_logins += 1
        return "EXPIRED"
    session.login(accounts.username, "API_KEY")
    return "SUCCESS"


def _check_password(call: ServerCall, username: Any, password: Any) -> str:
    server = call.session.server
    if not server.accounts.password_matches(username, password):
        server.metrics.failed_logins += 1
        return "AUTH_ERR"
    call.session.login(server.accounts.username, "LOGIN_PASSWORD")
    return "SUCCESS"


def login(call: ServerCall, username: Any, password: Any, otp_token: Any = None) -> bool:
    """``auth.login(username, password, otp_token=None)`` → bool."""
    return _check_password(call, username, password) == "SUCCESS"


def login_with_api_key(call: ServerCall, api_key: Any) -> bool:
    """``auth.login_with_api_key(key)`` → bool (``false`` also when the key gets revoked)."""
    return _check_api_key(call, api_key) == "SUCCESS"


def login_ex(call: ServerCall, data: Any) -> dict[str, Any]:
    """``auth.login_ex({mechanism, ...})`` → ``{"response_type": ...}`` (25.04+).

    Raises:
        SandboxValidationErrors: not an object, or an unknown mechanism.
        SandboxCallError: ``OTP_TOKEN`` without an OTP challenge in progress.
    """
    if not isinstance(data, dict):
        raise SandboxValidationErrors(
            [("auth.login_ex.login_data", "Input should be a valid dictionary", errno.EINVAL)]
        )
    mechanism = data.get("mechanism")
    if mechanism == "API_KEY_PLAIN":
        if data.get("username") not in (None, call.session.server.accounts.username):
            outcome = "AUTH_ERR"
        else:
            outcome = _check_api_key(call, data.get("api_key"))
    elif mechanism == "PASSWORD_PLAIN":
        outcome = _check_password(call, data.get("username"), data.get("password"))
    elif mechanism == "TOKEN_PLAIN":
        outcome = "AUTH_ERR"
    elif mechanism == "OTP_TOKEN":
        raise SandboxCallError(errno.EINVAL, "OTP_TOKEN: no authentication in progress")
    else:
        raise SandboxValidationErrors(
            [
                (
                    "auth.login_ex.login_data.mechanism",
                    f"Input should be {', '.join(repr(m) for m in [*MECHANISMS, 'OTP_TOKEN'])}",
                    errno.EINVAL,
                )
            ]
        )
    if outcome != "SUCCESS":
        return {"response_type": outcome}
    options = data.get("login_options") or {}
    wants_info = not isinstance(options, dict) or options.get("user_info", True)
    return {
        "response_type": "SUCCESS",
        "user_info": (
            user_info(call.session.username or "", web_shell=call.session.server.accounts.web_shell)
            if wants_info
            else None
        ),
        "authenticator": "LEVEL_1",
    }


def mechanism_choices(call: ServerCall) -> list[str]:
    """``auth.mechanism_choices()``; unauthenticated it fails like 25.04.2-25.10.5 do."""
    if not call.session.authenticated:
        raise AttributeError("'NoneType' object has no attribute 'may_create_auth_token'")
    return list(MECHANISMS)


def me(call: ServerCall) -> dict[str, Any]:
    """``auth.me()``: the logged-in user."""
    return user_info(call.session.username or "", web_shell=call.session.server.accounts.web_shell)


def logout(call: ServerCall) -> bool:
    """``auth.logout()``: drop the session's credentials and subscriptions."""
    call.session.logout()
    return True


def auth_methods() -> dict[str, MethodSpec]:
    """The ``auth.*`` methods (``min_version`` hides the newer ones on older sandboxes)."""
    table = [
        MethodSpec("auth.login", login, no_auth=True),
        MethodSpec("auth.login_with_api_key", login_with_api_key, no_auth=True),
        MethodSpec("auth.login_ex", login_ex, no_auth=True, min_version="25.04"),
        MethodSpec("auth.mechanism_choices", mechanism_choices, no_auth=True, min_version="25.04"),
        MethodSpec("auth.me", me),
        MethodSpec("auth.logout", logout),
    ]
    return {spec.name: spec for spec in table}
