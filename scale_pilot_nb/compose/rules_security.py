"""Security rules: settings that hand a container (part of) the NAS.

A TrueNAS box holds all of someone's data, so the settings that break container isolation are
worth a warning even when intended: privileged mode, powerful capabilities, the host's network,
PID or IPC namespace, the Docker socket, unconfined seccomp/AppArmor, and passwords written in
plain ``environment`` (where ``app.config`` and the web UI show them to anyone with read access).
Findings name the key, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from scale_pilot_nb.compose.paths import is_docker_socket
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext, as_dict, as_list

__all__ = ["DANGEROUS_CAPABILITIES", "URL_PASSWORD", "check", "is_secret_key", "mask_secrets"]

DANGEROUS_CAPABILITIES = frozenset(
    {
        "ALL",
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_MODULE",
        "SYS_PTRACE",
        "SYS_RAWIO",
        "SYS_BOOT",
        "DAC_READ_SEARCH",
        "BPF",
        "MAC_ADMIN",
    }
)
_SECRET_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASS", "PWD", "SECRET", "TOKEN", "KEY", "APIKEY", "CREDENTIALS"}
)
_WORD_SPLIT = re.compile(r"[^A-Z0-9]+")
_REFERENCE_SUFFIXES = ("_FILE", "_PATH", "_DIR")
URL_PASSWORD = re.compile(r"://[^/\s:@]+:([^@\s/]+)@")
"""``scheme://user:password@host``: group 1 is the password."""
_FLAG_VALUES = frozenset({"none", "", "0", "1", "true", "false", "yes", "no"})


def is_secret_key(key: str) -> bool:
    """True for names like ``POSTGRES_PASSWORD``, ``API_KEY``, ``jwtSecret``; False for ``*_FILE``.

    ``*_FILE`` variables point at a mounted secret file, which is the recommended pattern.
    """
    upper = re.sub(r"([a-z])([A-Z])", r"\1_\2", key).upper()
    if upper.endswith(_REFERENCE_SUFFIXES):
        return False
    words = [w for w in _WORD_SPLIT.split(upper) if w]
    return any(w in _SECRET_WORDS or w.endswith(("PASSWORD", "SECRET", "TOKEN")) for w in words)


def check(ctx: RuleContext) -> Iterator[Finding]:
    """Run every security rule."""
    for name, service in ctx.services():
        yield from _privileges(ctx, name, service)
        yield from _namespaces(ctx, name, service)
        yield from _docker_socket(ctx, name, service)
        yield from _plain_secrets(ctx, name, service)


def _privileges(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    if service.get("privileged") is True:
        yield ctx.finding(
            Severity.WARNING,
            "security.privileged",
            ("services", name, "privileged"),
            f"Service {name!r} runs privileged: it can access every device and the host kernel.",
            "Grant only what it needs (devices:, cap_add:) instead of privileged: true.",
        )
    for index, capability in enumerate(as_list(service.get("cap_add"))):
        bare = str(capability).upper().removeprefix("CAP_")
        if bare in DANGEROUS_CAPABILITIES:
            yield ctx.finding(
                Severity.WARNING,
                "security.dangerous-capability",
                ("services", name, "cap_add", index),
                f"Service {name!r} adds capability {bare}, which gives it control over the host.",
                "Drop it unless the software documents that it needs it.",
            )
    for index, option in enumerate(as_list(service.get("security_opt"))):
        text = str(option).replace("=", ":")
        if text in ("seccomp:unconfined", "apparmor:unconfined"):
            yield ctx.finding(
                Severity.WARNING,
                "security.unconfined",
                ("services", name, "security_opt", index),
                f"Service {name!r} disables a kernel protection ({option}).",
                "Remove it, or use a custom profile that allows only the needed calls.",
            )


def _namespaces(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    if service.get("network_mode") == "host":
        yield ctx.finding(
            Severity.WARNING,
            "security.host-network",
            ("services", name, "network_mode"),
            f"Service {name!r} uses the host network: every port it opens is open on the NAS.",
            "Publish the needed ports instead, unless discovery (DLNA, mDNS) requires host mode.",
        )
    for key in ("pid", "ipc"):
        if service.get(key) == "host":
            yield ctx.finding(
                Severity.WARNING,
                f"security.host-{key}",
                ("services", name, key),
                f"Service {name!r} shares the host's {key.upper()} namespace.",
                f"Remove `{key}: host` unless the software requires it.",
            )


def _docker_socket(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    for index, volume in enumerate(as_list(service.get("volumes"))):
        source = as_dict(volume).get("source")
        if isinstance(source, str) and is_docker_socket(source):
            yield ctx.finding(
                Severity.WARNING if ctx.allow_docker_socket else Severity.ERROR,
                "security.docker-socket",
                ("services", name, "volumes", index),
                f"Service {name!r} mounts the Docker socket: it can take over the whole NAS.",
                "Remove the mount; if the tool really needs it (Portainer, Watchtower, Traefik "
                "discovery) pass allow_docker_socket=True and prefer a socket proxy.",
            )


def _plain_secrets(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    raw = _raw_environment(ctx.raw_service(name).get("environment"))
    for key, value in as_dict(service.get("environment")).items():
        written = raw.get(str(key))
        if isinstance(written, str) and "$" in written.replace("$$", ""):
            continue  # a ${VAR} reference: the file itself holds no secret
        if isinstance(value, str) and URL_PASSWORD.search(value):
            yield ctx.finding(
                Severity.WARNING,
                "security.url-password",
                ("services", name, "environment", str(key)),
                f"Service {name!r} sets {key} to a URL with a password in it (not shown here).",
                "Anyone who can read the app config sees it: build the URL from a ${VARIABLE} "
                "set at deploy time, or use the software's *_FILE / password setting.",
            )
            continue
        if not is_secret_key(str(key)) or str(value).lower() in _FLAG_VALUES:
            continue  # unset, empty or a yes/no switch such as MYSQL_RANDOM_ROOT_PASSWORD=1
        yield ctx.finding(
            Severity.WARNING,
            "security.plain-secret",
            ("services", name, "environment", str(key)),
            f"Service {name!r} sets {key} in plain text (the value is not shown here).",
            "Anyone who can read the app config sees it: use a ${VARIABLE} set at deploy time, "
            "a secrets file (*_FILE) or an env_file on the NAS.",
        )


def _raw_environment(environment: Any) -> dict[str, Any]:
    """The environment as written (list ``KEY=VAL`` or mapping), keyed by variable name."""
    if isinstance(environment, dict):
        return {str(k): v for k, v in environment.items()}
    out: dict[str, Any] = {}
    for item in as_list(environment):
        if isinstance(item, str):
            key, _, value = item.partition("=")
            out[key] = value
    return out


def mask_secrets(key: str, value: Any, mask: str) -> Any:
    """``value`` with anything secret replaced by ``mask``: the whole value of a secret-looking
    key, or the password part of a URL. Other values come back unchanged."""
    if not isinstance(value, str) or value == "":
        return value
    if is_secret_key(key) and value.lower() not in _FLAG_VALUES:
        return mask
    return URL_PASSWORD.sub(lambda m: m.group(0).replace(m.group(1), mask), value)
