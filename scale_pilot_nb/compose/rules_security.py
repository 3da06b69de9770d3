"""Security rules: settings that hand a container (part of) the NAS.

A TrueNAS box holds all of someone's data, so the settings that break container isolation are
worth a warning even when intended: privileged mode, powerful capabilities, the host's network,
PID or IPC namespace, the Docker socket, unconfined seccomp/AppArmor, and passwords written in
plain ``environment`` (where ``app.config`` and the web UI show them to anyone with read access).
Each finding says what the container can then do to the NAS, not how to upgrade anything.

A bind mount of the NAS's own system (``/``, ``/etc``, ``/usr``, ``/var``, ``/boot``, ``/root``,
``/proc``, ``/sys``, ``/dev``, ``/bin``, ``/sbin``, ``/lib*``, ``/run``, ``/mnt`` itself,
``/mnt/.ix-apps``; ``~`` paths count as ``/root``) is ``security.system-bind``: an error when
read-write, whether or not the service is privileged, and a warning saying what can be read
when read-only. Device nodes apps are meant to get (``/dev/dri``, ``/dev/net/tun``, serial
ports) and harmless read-only files (time zone, CA certificates) are left alone; the Docker
socket has its own rule. Findings name the key, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scale_pilot_nb.compose.extends import written_environment
from scale_pilot_nb.compose.paths import (
    HARMLESS_READ_ONLY,
    IX_APPS_ROOT,
    classify_host_path,
    host_binds,
    is_docker_socket,
    is_home_path,
)
from scale_pilot_nb.compose.report import Finding, Severity
from scale_pilot_nb.compose.rules_base import RuleContext, as_dict, as_list

__all__ = ["DANGEROUS_CAPABILITIES", "URL_PASSWORD", "check", "is_secret_key", "is_secret_setting"]

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
URL_PASSWORD = re.compile(r"://[^/\s:@]*:([^@\s/]+)@")
"""``scheme://user:password@host`` (the user may be empty): group 1 is the password."""
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
        yield from _system_binds(ctx, name, service)
        yield from _plain_secrets(ctx, name, service)


_CAPABILITY_RISKS = {
    "ALL": "every capability, which is about as powerful as privileged: it can take over the NAS",
    "SYS_ADMIN": "mount filesystems and most kernel administration, a well-known way out of the "
    "container onto the NAS",
    "NET_ADMIN": "reconfigure networking: interfaces, routes and firewall rules of its network "
    "(with network_mode: host, those of the NAS itself), and intercept traffic",
    "SYS_MODULE": "load kernel modules into the NAS's kernel: full control of the NAS",
    "SYS_PTRACE": "read and rewrite the memory of the processes it can see (with pid: host, "
    "every process of the NAS)",
    "SYS_RAWIO": "raw access to hardware (I/O ports, raw device I/O), below every file permission",
    "SYS_BOOT": "reboot the NAS",
    "DAC_READ_SEARCH": "bypass read permissions and open files by handle, a known way to read any "
    "file of the NAS from inside a container",
    "BPF": "load eBPF programs into the NAS's kernel, which see everything the kernel does",
    "MAC_ADMIN": "change the AppArmor policy that confines containers",
}
_UNCONFINED_RISKS = {
    "seccomp": "every system call is allowed, including those kernel exploits and container "
    "escapes rely on",
    "apparmor": "the AppArmor profile that keeps it away from the NAS's /proc, /sys and mounts "
    "is off",
}


def _privileges(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    if service.get("privileged") is True:
        yield ctx.finding(
            Severity.WARNING,
            "security.privileged",
            ("services", name, "privileged"),
            f"Service {name!r} runs privileged: it has full access to the NAS's devices (every "
            "disk of every pool) and kernel (it can load modules), so it can take over the NAS.",
            "Grant only what it needs (devices:, cap_add:) instead of privileged: true.",
        )
    for index, capability in enumerate(as_list(service.get("cap_add"))):
        bare = str(capability).upper().removeprefix("CAP_")
        if bare in DANGEROUS_CAPABILITIES:
            yield ctx.finding(
                Severity.WARNING,
                "security.dangerous-capability",
                ("services", name, "cap_add", index),
                f"Service {name!r} adds capability {bare}: it can {_CAPABILITY_RISKS[bare]}."
                if bare != "ALL"
                else f"Service {name!r} adds ALL capabilities: {_CAPABILITY_RISKS[bare]}.",
                "Drop it unless the software documents that it needs it.",
            )
    for index, option in enumerate(as_list(service.get("security_opt"))):
        text = str(option).replace("=", ":")
        if text in ("seccomp:unconfined", "apparmor:unconfined"):
            kind = text.partition(":")[0]
            yield ctx.finding(
                Severity.WARNING,
                "security.unconfined",
                ("services", name, "security_opt", index),
                f"Service {name!r} turns off a kernel protection ({option}): "
                f"{_UNCONFINED_RISKS[kind]}.",
                "Remove it, or use a custom profile that allows only the needed calls.",
            )


def _namespaces(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    if service.get("network_mode") == "host":
        yield ctx.finding(
            Severity.WARNING,
            "security.host-network",
            ("services", name, "network_mode"),
            f"Service {name!r} uses the host network: every port it opens is open on the NAS, it "
            "reaches services the NAS offers only to itself on localhost, and with Docker's "
            "default NET_RAW capability it can capture the NAS's network traffic.",
            "Publish the needed ports instead, unless discovery (DLNA, mDNS) requires host mode.",
        )
    risks = {
        "pid": "it sees every process of the NAS with its command line (passwords included) "
        "and, as root, can signal or kill any of them",
        "ipc": "it can read and change the shared memory of the NAS's processes",
    }
    for key, risk in risks.items():
        if service.get(key) == "host":
            yield ctx.finding(
                Severity.WARNING,
                f"security.host-{key}",
                ("services", name, key),
                f"Service {name!r} shares the NAS's {key.upper()} namespace: {risk}.",
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
                f"Service {name!r} mounts the Docker socket: it can start a privileged container "
                "with the NAS's / mounted, which is root on the NAS (read-only does not help: a "
                "socket works through a read-only mount).",
                "Remove the mount; if the tool really needs it (Portainer, Watchtower, Traefik "
                "discovery) pass allow_docker_socket=True and prefer a socket proxy.",
            )


@dataclass(frozen=True)
class _Area:
    """A part of the NAS that a bind mount must not hand to a container.

    Attributes:
        name: what it is, for a bind of something inside it.
        write: what a container can do with the whole of it read-write.
        read: what a container can do with the whole of it read-only.
        sub_write: what rewriting something inside it means (follows its name).
        sub_read: what reading something inside it means (follows its name).
    """

    name: str
    write: str
    read: str
    sub_write: str = ", which the NAS itself relies on"
    sub_read: str = ""


_TAKE_OVER = "and take over the NAS"
_SOCKETS = (
    "any socket in it (Docker's, containerd's, D-Bus, the TrueNAS middleware's) still works "
    "through a read-only mount, so it can command those services as root"
)
_AREAS: dict[str, _Area] = {
    "/": _Area(
        "the NAS's root filesystem",
        "it can rewrite every file of the NAS, its system and every pool, " + _TAKE_OVER,
        "it can read every file of the NAS (password hashes, keys, every pool), and "
        + _SOCKETS.replace("any socket in it", "any socket under /run"),
    ),
    "/etc": _Area(
        "the NAS's configuration",
        "it can rewrite the NAS's configuration (users, passwords, SSH, services) " + _TAKE_OVER,
        "it can read the NAS's configuration, including password hashes (/etc/shadow) and "
        "private keys",
    ),
    "/usr": _Area(
        "the NAS's programs",
        "it can replace programs and libraries that the NAS runs as root " + _TAKE_OVER,
        "it can read the NAS's programs and libraries, and so learn what versions to attack",
    ),
    "/var": _Area(
        "the NAS's service state and logs",
        "it can rewrite service state that root relies on (scheduled jobs, databases, logs) "
        + _TAKE_OVER,
        "it can read the NAS's logs and service databases",
    ),
    "/boot": _Area(
        "the NAS's boot files",
        "it can replace the kernel or boot loader and take over the NAS at its next boot",
        "it can read the kernel and the boot configuration",
    ),
    "/root": _Area(
        "root's home on the NAS",
        "it can rewrite root's home (SSH authorized_keys, shell start-up files) " + _TAKE_OVER,
        "it can read root's home: SSH keys, shell history and whatever root keeps there",
        sub_write="",
    ),
    "/proc": _Area(
        "the NAS's kernel and process interface",
        "it can change the NAS's kernel settings (/proc/sys; core_pattern runs a program as "
        "root) " + _TAKE_OVER,
        "it sees every process of the NAS with its command line, passwords included",
    ),
    "/sys": _Area(
        "the NAS's kernel and device interface",
        "it can change kernel and device settings of the NAS and control its cgroups " + _TAKE_OVER,
        "it can read hardware and kernel details of the NAS",
    ),
    "/dev": _Area(
        "the NAS's raw devices",
        "it can reach the NAS's raw devices; wherever the device rules allow it (always with "
        "privileged) it can overwrite disks and destroy every pool",
        "it can reach the NAS's raw devices; wherever the device rules allow it (always with "
        "privileged) it can read every disk, bypassing all file permissions",
    ),
    "/run": _Area(
        "the NAS's runtime state and service sockets",
        "it can rewrite the NAS's runtime state and command its services through their "
        "sockets (Docker, containerd, D-Bus, the TrueNAS middleware) " + _TAKE_OVER,
        _SOCKETS,
        sub_read="; any socket in it still works through a read-only mount, so it can command "
        "the service behind that socket as root",
    ),
    IX_APPS_ROOT: _Area(
        "the apps' own dataset",
        "it can rewrite other apps' compose files and Docker's data, which the middleware runs "
        "as root, " + _TAKE_OVER,
        "it can read every app's configuration, including passwords written in compose files",
        sub_write=" (other apps' data, and compose files the middleware runs as root), so it "
        "can take over the NAS",
        sub_read=" (other apps' data and configuration, passwords included)",
    ),
    "/mnt": _Area(
        "all pools",
        "it can rewrite every pool and the apps' dataset /mnt/.ix-apps, whose compose files the "
        "middleware runs as root, " + _TAKE_OVER,
        "it can read every pool and every app's configuration, including passwords written in "
        "compose files",
    ),
}
_AREA_ALIASES = {"/bin": "/usr", "/sbin": "/usr", "/var/run": "/run"}
_LIB = re.compile(r"^/lib[^/]*$")
_RAW_DEVICE = re.compile(
    r"^/dev/(?:mem|kmem|port|kmsg|zfs|sd[a-z].*|nvme.*|zd\d.*|vd[a-z].*|xvd.*|hd[a-z].*|md\d.*"
    r"|dm-\d+|loop.*|mapper(?:/.*)?|disk(?:/.*)?|block(?:/.*)?)$"
)


def _system_area(resolved: str) -> tuple[str, _Area] | None:
    """The protected area a resolved host path lies in (its root first), or None.

    ``/`` and ``/mnt`` count only as themselves (they hold everything, or every pool and
    ``/mnt/.ix-apps``); inside ``/dev`` only the whole of it and raw disks and memory count,
    not device nodes such as ``/dev/dri`` that apps are meant to get.
    """
    if resolved in ("/", "/mnt"):
        return resolved, _AREAS[resolved]
    top = "/" + resolved.strip("/").split("/")[0]
    if resolved == IX_APPS_ROOT or resolved.startswith(IX_APPS_ROOT + "/"):
        return IX_APPS_ROOT, _AREAS[IX_APPS_ROOT]
    if resolved.startswith("/var/run/") or resolved == "/var/run":
        return "/var/run", _AREAS["/run"]
    if top == "/dev" and resolved != "/dev" and not _RAW_DEVICE.match(resolved):
        return None
    if _LIB.match(top):
        return top, _AREAS["/usr"]
    area = _AREAS.get(_AREA_ALIASES.get(top, top))
    return (top, area) if area is not None and top not in ("/", "/mnt") else None


def _system_binds(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    """A bind of a system path: read-write is an error, read-only a warning saying what leaks."""
    for index, volume, source in host_binds(service):
        _kind, resolved = classify_host_path(source)
        found = _system_area(resolved)
        if found is None:
            continue
        root, area = found
        read_only = volume.get("read_only") is True
        if read_only and any(
            resolved == path or resolved.startswith(path + "/") for path in HARMLESS_READ_ONLY
        ):
            continue
        whole = resolved == root
        if read_only:
            risk = area.read if whole else f"it can read {resolved}, part of {area.name}"
            risk += "" if whole else area.sub_read
        else:
            risk = area.write if whole else f"it can rewrite {resolved}, part of {area.name}"
            risk += "" if whole else area.sub_write
        yield ctx.finding(
            Severity.WARNING if read_only else Severity.ERROR,
            "security.system-bind",
            ("services", name, "volumes", index),
            f"Service {name!r} binds {_shown(source, resolved)} "
            f"{'read-only' if read_only else 'read-write'}: {risk}." + _home_note(source, resolved),
            "Bind only the file or directory the app needs, from a dataset under /mnt/<pool>/ "
            "where you can; if it must be a system path, bind the narrowest one read-only."
            if read_only
            else "Do not hand the NAS's system to a container: bind only what the app needs, "
            "read-only (:ro) if it only reads, and keep app data in a dataset under /mnt/<pool>/.",
        )


def _shown(source: str, resolved: str) -> str:
    """The bind source for a message; ``..`` and ``//`` are shown resolved."""
    if is_home_path(source):
        return repr(source)
    if resolved != (source.rstrip("/") or "/"):
        return f"{source!r} (really {resolved})"
    return resolved


def _home_note(source: str, resolved: str) -> str:
    """For a ``~`` source: why it is root's home on the NAS, not the user's."""
    if not is_home_path(source):
        return ""
    return (
        f" On the NAS {source!r} is {resolved}: Compose expands '~' to the home of whoever "
        "runs it, and on TrueNAS that is the apps middleware, running as root, never you."
    )


def _plain_secrets(ctx: RuleContext, name: str, service: dict[str, Any]) -> Iterator[Finding]:
    raw = written_environment(as_dict(ctx.raw.get("services")), name)
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
        if not is_secret_setting(str(key), value):
            continue  # unset, empty or a yes/no switch such as MYSQL_RANDOM_ROOT_PASSWORD=1
        yield ctx.finding(
            Severity.WARNING,
            "security.plain-secret",
            ("services", name, "environment", str(key)),
            f"Service {name!r} sets {key} in plain text (the value is not shown here).",
            "Anyone who can read the app config sees it: use a ${VARIABLE} set at deploy time, "
            "a secrets file (*_FILE) or an env_file on the NAS.",
        )


def is_secret_setting(key: str, value: Any) -> bool:
    """True when ``key`` names a secret and ``value`` is more than a yes/no switch
    (``MYSQL_RANDOM_ROOT_PASSWORD=1`` sets no password); unset or empty values are no secret."""
    return is_secret_key(key) and str(value).lower() not in _FLAG_VALUES
