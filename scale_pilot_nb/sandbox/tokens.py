"""Authentication tokens: ``auth.generate_token`` and the web shell's check of them.

As in the middleware's ``plugins/auth.py`` (TS-24.10.2.4, TS-25.04.2.6, TS-25.10.5):

* arguments: 24.10 ``(ttl=600, attrs={}, match_origin=True)``; 25.04+ adds ``single_use=False``
  (a fourth argument on 24.10 is a validation error, as it is there);
* the TTL is an inactivity TTL; ``match_origin`` ties the token to the caller's IP address;
* the shell accepts a token only without attributes, from a user session whose privilege has
  ``web_shell``, and — **24.10 only** — not from an API-key session (API-key credentials are
  not user credentials there); a single-use token is destroyed when the shell accepts it.
"""

from __future__ import annotations

import errno
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scale_pilot_nb.sandbox.contract import (
    MethodSpec,
    SandboxCallError,
    SandboxValidationErrors,
    version_at_least,
)

if TYPE_CHECKING:
    from scale_pilot_nb.sandbox.auth import Accounts
    from scale_pilot_nb.sandbox.dispatch import ServerCall

__all__ = ["Token", "TokenStore", "token_methods"]

DEFAULT_TTL = 600
#: ``attrs`` left out (its default is a new empty object), unlike an explicit null.
_NOT_GIVEN: Any = object()


@dataclass
class Token:
    """One issued token (the secret itself is the store's key)."""

    username: str
    credential_type: str
    origin: str | None
    ttl: float
    attrs: dict[str, Any]
    single_use: bool
    last_used: float


class TokenStore:
    """The tokens a server has issued."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, Token] = {}

    def create(self, token: Token) -> str:
        """Store ``token``; returns its secret (48 URL-safe characters, as TrueNAS makes)."""
        secret = secrets.token_urlsafe(36)
        self._tokens[secret] = token
        return secret

    def shell_user(self, secret: Any, origin: str, version: str, accounts: Accounts) -> str | None:
        """The user a shell may run as with ``secret`` from ``origin``, or None to refuse."""
        token = self._tokens.get(secret) if isinstance(secret, str) else None
        if token is None:
            return None
        if self._clock() - token.last_used > token.ttl:
            del self._tokens[secret]
            return None
        if token.origin is not None and token.origin != origin:
            return None
        token.last_used = self._clock()
        if token.attrs:
            return None
        if not version_at_least(version, "25.04") and token.credential_type == "API_KEY":
            return None
        if not accounts.web_shell:
            return None
        if token.single_use:
            del self._tokens[secret]
        return token.username

    def __len__(self) -> int:
        return len(self._tokens)


def _legacy_refusal(kind: str, value: Any) -> str | None:
    """24.10's legacy ``@accepts``: ``Int`` also takes text it can parse (``"300"``), ``Dict``
    and ``Bool`` refuse null before their type check (``schema/attribute.py``)."""
    if kind == "int":
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return None
        return None if isinstance(value, str) and _parses_as_int(value) else "Not an integer"
    if value is None:
        return "null not allowed"
    if kind == "dict":
        return None if isinstance(value, dict) else "A dict was expected"
    return None if isinstance(value, bool) else "Not a boolean"


def _pydantic_refusal(kind: str, value: Any) -> str | None:
    """25.04+'s ``AuthGenerateTokenArgs`` (checked with pydantic 2.9.2, the pinned version):
    strict types, ``ttl`` may be null, ``attrs`` may not."""
    if kind == "int":
        fine = value is None or (isinstance(value, int) and not isinstance(value, bool))
        return None if fine else "Input should be a valid integer"
    if kind == "dict":
        return None if isinstance(value, dict) else "Input should be a valid dictionary"
    return None if isinstance(value, bool) else "Input should be a valid boolean"


def _parses_as_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


_KINDS = {"ttl": "int", "attrs": "dict", "match_origin": "bool", "single_use": "bool"}


def _check_arguments(version: str, **values: Any) -> None:
    """Refuse what the release's argument schema refuses, in its words."""
    refusal = _pydantic_refusal if version_at_least(version, "25.04") else _legacy_refusal
    errors = [
        (f"auth.generate_token.{name}", message, errno.EINVAL)
        for name, value in values.items()
        if (message := refusal(_KINDS[name], value)) is not None
    ]
    if errors:
        raise SandboxValidationErrors(errors)


def _issue(call: ServerCall, ttl: Any, attrs: Any, match_origin: Any, single_use: Any) -> str:
    session = call.session
    _check_arguments(
        session.server.version,
        ttl=ttl,
        attrs=attrs,
        match_origin=match_origin,
        single_use=single_use,
    )
    if not session.authenticated:
        raise SandboxCallError(errno.EACCES, "Not authenticated")
    return session.server.tokens.create(
        Token(
            username=session.username or "",
            credential_type=session.credential_type or "",
            origin=session.peer if match_origin else None,
            ttl=float(DEFAULT_TTL if ttl is None else int(ttl)),
            attrs=dict(attrs),
            single_use=bool(single_use),
            last_used=time.monotonic(),
        )
    )


def generate_token_2410(
    call: ServerCall, ttl: Any = DEFAULT_TTL, attrs: Any = _NOT_GIVEN, match_origin: Any = True
) -> str:
    """``auth.generate_token(ttl=600, attrs={}, match_origin=True)`` (24.10)."""
    return _issue(call, ttl, {} if attrs is _NOT_GIVEN else attrs, match_origin, False)


def generate_token(
    call: ServerCall,
    ttl: Any = DEFAULT_TTL,
    attrs: Any = _NOT_GIVEN,
    match_origin: Any = True,
    single_use: Any = False,
) -> str:
    """``auth.generate_token(ttl=600, attrs={}, match_origin=True, single_use=False)`` (25.04+)."""
    return _issue(call, ttl, {} if attrs is _NOT_GIVEN else attrs, match_origin, single_use)


def token_methods(version: str) -> dict[str, MethodSpec]:
    """``auth.generate_token`` with the argument list of ``version``."""
    if version_at_least(version, "25.04"):
        return {"auth.generate_token": MethodSpec("auth.generate_token", generate_token)}
    spec = MethodSpec("auth.generate_token", generate_token_2410, no_auth=True)
    return {spec.name: spec}
