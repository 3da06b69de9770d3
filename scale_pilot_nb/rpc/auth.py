"""Credentials and the choice of login method for each server generation.

Secrets arrive from the caller either as plain ``str`` or as any object that hands its value
out through ``get_secret()`` or ``reveal()`` (the redacted secret type of
``scale_pilot_nb.config`` is one). They are revealed only when a login frame is built, and
nothing here puts them into a repr, a log line or an exception.

Login methods per server (truenas-protocol.md §5):

=====================  ===================================================================
dialect                attempts, in order (the next only if the previous does not exist)
=====================  ===================================================================
JSON-RPC (25.04+)      ``auth.login_ex`` ``API_KEY_PLAIN`` / ``PASSWORD_PLAIN``, then the
                       legacy ``auth.login_with_api_key`` / ``auth.login``
legacy (24.10)         ``auth.login_with_api_key`` / ``auth.login``
=====================  ===================================================================

``auth.login_ex`` with an API key needs the user name; without one, the key is sent with
``auth.login_with_api_key``, which identifies the user from the key itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.error_map import login_refused
from scale_pilot_nb.rpc.protocol import Dialect

__all__ = [
    "Credentials",
    "LoginStep",
    "SecretLike",
    "SupportsGetSecret",
    "SupportsReveal",
    "check_login_result",
    "login_plan",
    "reveal",
]


@runtime_checkable
class SupportsGetSecret(Protocol):
    """A secret holder that hands out its value via ``get_secret()``."""

    def get_secret(self) -> str:
        """The secret in clear text."""


@runtime_checkable
class SupportsReveal(Protocol):
    """A secret holder that hands out its value via ``reveal()``."""

    def reveal(self) -> str:
        """The secret in clear text."""


#: What the client accepts wherever a secret is expected.
SecretLike = str | SupportsGetSecret | SupportsReveal


def reveal(secret: SecretLike) -> str:
    """The clear text of ``secret``.

    Raises:
        ConfigError: ``secret`` is none of the accepted kinds (the message names its type only).
    """
    if isinstance(secret, str):
        return secret
    if isinstance(secret, SupportsGetSecret):
        return str(secret.get_secret())
    if isinstance(secret, SupportsReveal):
        return str(secret.reveal())
    raise ConfigError(
        f"A secret must be a str or have get_secret()/reveal(), not {type(secret).__name__}"
    )


@dataclass(frozen=True)
class Credentials:
    """What to log in with: an API key (optionally with its user name) or a user and password.

    The repr never shows the key or the password.
    """

    api_key: SecretLike | None = field(default=None, repr=False)
    username: str | None = None
    password: SecretLike | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.api_key is None and self.password is None:
            raise ConfigError("Credentials need an API key or a password")
        if self.api_key is None and not self.username:
            raise ConfigError("A password login needs a username")

    def __repr__(self) -> str:
        kind = "api_key" if self.api_key is not None else "password"
        return f"Credentials({kind}=<redacted>, username={self.username!r})"


@dataclass(frozen=True)
class LoginStep:
    """One login call to try. ``params`` holds the secret, so the repr leaves it out.

    Attributes:
        method: the middleware method (``auth.login_ex`` …).
        mechanism: a readable name for messages (``"API_KEY_PLAIN via auth.login_ex"``).
        params: the call's positional parameters.
    """

    method: str
    mechanism: str
    params: list[Any] = field(repr=False)

    @property
    def extended(self) -> bool:
        """True for ``auth.login_ex``, which answers with a response object, not a bool."""
        return self.method == "auth.login_ex"


def login_plan(credentials: Credentials, dialect: Dialect) -> list[LoginStep]:
    """The login calls to try for ``credentials`` on ``dialect``, preferred first."""
    steps: list[LoginStep] = []
    if credentials.api_key is not None:
        key = reveal(credentials.api_key)
        if dialect is Dialect.JSONRPC and credentials.username:
            payload = {
                "mechanism": "API_KEY_PLAIN",
                "username": credentials.username,
                "api_key": key,
            }
            steps.append(LoginStep("auth.login_ex", "API_KEY_PLAIN via auth.login_ex", [payload]))
        steps.append(LoginStep("auth.login_with_api_key", "auth.login_with_api_key", [key]))
        return steps
    assert credentials.password is not None and credentials.username  # __post_init__
    password = reveal(credentials.password)
    if dialect is Dialect.JSONRPC:
        payload = {
            "mechanism": "PASSWORD_PLAIN",
            "username": credentials.username,
            "password": password,
        }
        steps.append(LoginStep("auth.login_ex", "PASSWORD_PLAIN via auth.login_ex", [payload]))
    steps.append(LoginStep("auth.login", "auth.login", [credentials.username, password]))
    return steps


def check_login_result(step: LoginStep, result: Any) -> None:
    """Accept a successful login answer.

    Raises:
        AuthenticationError: the NAS refused, saying why where it did (``AUTH_ERR``,
            ``EXPIRED`` for an expired or revoked key, ``OTP_REQUIRED`` …).
    """
    if step.extended:
        response_type = result.get("response_type") if isinstance(result, dict) else None
        if response_type != "SUCCESS":
            raise login_refused(step.mechanism, response_type)
    elif result is not True:
        raise login_refused(step.mechanism, None)
