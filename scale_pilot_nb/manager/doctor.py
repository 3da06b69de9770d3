"""``doctor``: check a NAS and what this SDK can do on it, one small function per check.

Read-only checks (always): ``connect`` (log in, ``core.ping`` round trip), ``release``
(``system.info``), ``endpoint`` (``/api/current`` or legacy ``/websocket``), ``tls``,
``auth``, ``docker`` (``docker.status`` and the apps pool), ``pools``, ``ip-choices``
(``app.ip_choices``), ``rate-limit`` (login calls this process sent in the last 60 s, of the
20 per method TrueNAS allows unauthenticated) and ``features`` (what the SDK can use on this
release).

Write checks (``write=True``) create, update, stop and delete one throwaway custom app,
:data:`SELFTEST_APP`, timing each step. The app carries the label :data:`SELFTEST_LABEL`, so a
leftover of an interrupted run is recognised and removed; an app of that name *without* the
label belongs to someone else and is never touched (the check fails and says so). Delete is
always attempted once anything may have been created, even after a failed step; no other app
is ever read for writing, changed or deleted.

Each check becomes a :class:`~scale_pilot_nb.records.doctor.DoctorCheck`; a check whose call
fails becomes a ``fail`` row (with the error's message and hint) instead of ending the run.
Only a failure to connect at all is raised (``ConnectionError`` / ``AuthenticationError``).
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scale_pilot_nb.errors import TrueNASError, UnsupportedError
from scale_pilot_nb.records import DockerState, DockerStatus, Pool, SystemInfo
from scale_pilot_nb.records.doctor import FEATURE_NAMES, CheckStatus, DoctorCheck, DoctorReport
from scale_pilot_nb.rpc.endpoints import LEGACY_PATH
from scale_pilot_nb.rpc.stats import LOGIN_WINDOW, recent_logins

if TYPE_CHECKING:
    from scale_pilot_nb.manager.port import ManagerPort

__all__ = [
    "LOGIN_LIMIT",
    "SELFTEST_APP",
    "SELFTEST_IMAGE",
    "SELFTEST_LABEL",
    "CheckCallback",
    "run_doctor",
    "selftest_compose",
]

#: The only app ``doctor --write`` creates, changes and deletes.
SELFTEST_APP = "scale-pilot-selftest"
#: A tiny image that runs forever doing nothing.
SELFTEST_IMAGE = "busybox:1.37"
#: Label on the selftest service: an app of that name without it was not made by doctor.
SELFTEST_LABEL = "io.scale-pilot.doctor"
#: Unauthenticated calls TrueNAS allows per method and address in 60 s.
LOGIN_LIMIT = 20

#: Called with each check as soon as it is done (on the manager's event loop).
CheckCallback = Callable[[DoctorCheck], None]

Outcome = tuple[CheckStatus, str]

OK, WARN, FAIL, UNKNOWN = CheckStatus.OK, CheckStatus.WARN, CheckStatus.FAIL, CheckStatus.UNKNOWN

_TESTED_SERIES = ((24, 10), (25, 4), (25, 10))
_DOCKER_WARN = {
    DockerState.PENDING,
    DockerState.INITIALIZING,
    DockerState.STOPPING,
    DockerState.MIGRATING,
}
_POOL_DOWN = {"FAULTED", "UNAVAIL", "OFFLINE", "REMOVED"}


@dataclass
class Facts:
    """What earlier checks learnt that later ones use."""

    info: SystemInfo | None = None
    apps_pool: str | None = None
    docker_running: bool | None = None
    ip_choices: bool | None = None

    @property
    def version(self) -> tuple[int, ...] | None:
        """The release as numbers (``(25, 10, 6)``), or None when unknown."""
        if self.info is None:
            return None
        numbers = tuple(int(n) for n in re.findall(r"\d+", self.info.version.split("-")[0]))
        return numbers or None

    def at_least(self, *minimum: int) -> bool | None:
        """Whether the release is ``minimum`` or later (None when unknown)."""
        version = self.version
        return None if version is None else version >= minimum


async def run_doctor(
    manager: ManagerPort,
    *,
    write: bool = False,
    timeout: float | None = 300.0,
    on_check: CheckCallback | None = None,
) -> DoctorReport:
    """Run every check on ``manager``'s NAS (see the module docstring).

    Raises:
        ConnectionError / AuthenticationError / ConfigError: the NAS could not be reached.
    """
    started = time.perf_counter()
    checks: list[DoctorCheck] = []

    def emit(check: DoctorCheck) -> None:
        checks.append(check)
        if on_check is not None:
            on_check(check)

    facts = Facts()
    emit(await check_connect(manager))
    emit(await _timed("release", check_release(manager, facts)))
    emit(DoctorCheck("endpoint", *check_endpoint(manager, facts)))
    emit(DoctorCheck("tls", *check_tls(manager)))
    emit(DoctorCheck("auth", *check_auth(manager)))
    emit(await _timed("docker", check_docker(manager, facts)))
    emit(await _timed("pools", check_pools(manager, facts)))
    emit(await _timed("ip-choices", check_ip_choices(manager, facts)))
    emit(DoctorCheck("rate-limit", *check_rate_limit()))
    features = feature_support(manager, facts)
    emit(DoctorCheck("features", *check_features(features)))
    if write:
        await selftest(manager, facts, emit, timeout=timeout)
    return DoctorReport(
        checks=tuple(checks),
        release=(facts.info.version_string or facts.info.version) if facts.info else None,
        endpoint=public_url(manager.client.url),
        features=features,
        write=write,
        seconds=_since(started),
    )


# -- read-only checks --------------------------------------------------------------------------


async def check_connect(manager: ManagerPort) -> DoctorCheck:
    """Connect and log in if not yet done (failures are raised), then one ``core.ping``."""
    started = time.perf_counter()
    already = manager.client.connected
    await manager.connect()
    ping_started = time.perf_counter()
    try:
        await manager.client.call("core.ping")
    except TrueNASError as exc:
        return DoctorCheck("connect", FAIL, f"core.ping failed: {_error(exc)}", _since(started))
    ping_ms = (time.perf_counter() - ping_started) * 1000
    how = "already connected" if already else "connected and logged in"
    return DoctorCheck("connect", OK, f"{how}; core.ping {ping_ms:.1f} ms", _since(started))


async def check_release(manager: ManagerPort, facts: Facts) -> Outcome:
    """``system.info``: the release, and whether this SDK was tested against its series."""
    facts.info = info = SystemInfo.from_api(await manager.client.call("system.info"))
    shown = info.version_string or info.version
    version = facts.version
    if version is None:
        return UNKNOWN, f"{shown!r}: not a version this tool can read"
    series = version[:2]
    if series < _TESTED_SERIES[0]:
        return FAIL, f"{shown}: apps before 24.10 are Kubernetes-based; this SDK needs 24.10+"
    if series in _TESTED_SERIES:
        return OK, f"{shown} on {info.hostname or '?'}"
    if series > _TESTED_SERIES[-1]:
        return WARN, f"{shown}: newer than the releases this SDK is tested on (up to 25.10)"
    return WARN, f"{shown}: a release this SDK is not tested on"


def check_endpoint(manager: ManagerPort, facts: Facts) -> Outcome:
    """The WebSocket endpoint in use: JSON-RPC ``/api/...`` or legacy ``/websocket``."""
    url = public_url(manager.client.url)
    if url is None:
        return UNKNOWN, "not connected"
    if not urlsplit(url).path.rstrip("/").endswith(LEGACY_PATH):
        return OK, f"{url} (JSON-RPC 2.0)"
    if facts.at_least(25, 4):
        return WARN, f"{url} (legacy; this release serves /api/current: prefer it)"
    return OK, f"{url} (legacy; the only endpoint of 24.10)"


def check_tls(manager: ManagerPort) -> Outcome:
    """``wss`` or ``ws``; whether the certificate is verified (and against what)."""
    url = manager.client.url or ""
    parts = urlsplit(url)
    settings = manager.settings
    if parts.scheme == "ws":
        if _is_loopback(parts.hostname):
            return OK, "ws (no TLS), to this machine only"
        return WARN, "ws (no TLS): traffic to the NAS is not encrypted; use wss://"
    if parts.scheme != "wss":
        return UNKNOWN, "not connected"
    verify: bool | None = (
        settings.verify_ssl
        if settings is not None
        else getattr(manager.client, "_verify_ssl", None)  # a client given ready-made
    )
    if verify is None:
        return UNKNOWN, "wss; whether the certificate is verified is not known"
    if not verify:
        return WARN, "wss, certificate NOT verified (verify_ssl=False / --insecure)"
    if settings is not None and settings.ca_file is not None:
        return OK, f"wss, certificate verified against {settings.ca_file.name}"
    return OK, "wss, certificate verified against the system's CAs"


def check_auth(manager: ManagerPort) -> Outcome:
    """How this client logged in: API key or password, and through which method."""
    settings = manager.settings
    mechanism: str | None = getattr(manager.client, "login_mechanism", None)
    if settings is not None:
        kind = "API key" if settings.api_key is not None else "password"
        user = settings.username
    elif mechanism is not None:
        kind = "password" if "PASSWORD" in mechanism or mechanism == "auth.login" else "API key"
        user = None
    else:
        return UNKNOWN, "the login method is not known"
    detail = kind + (f" of user {user}" if user else "") + (f" ({mechanism})" if mechanism else "")
    if kind == "password":
        return OK, detail + "; an API key is the better choice for scripts"
    return OK, detail


async def check_docker(manager: ManagerPort, facts: Facts) -> Outcome:
    """``docker.status`` (can apps run?) and the apps pool from ``docker.config``."""
    status = DockerStatus.from_api(await manager.client.call("docker.status"))
    facts.docker_running = status.running
    try:
        config = await manager.client.call("docker.config")
    except TrueNASError:
        config = None
    if isinstance(config, Mapping) and isinstance(config.get("pool"), str):
        facts.apps_pool = config["pool"]
    pool = f"; apps pool {facts.apps_pool}" if facts.apps_pool else ""
    detail = f"{status.state.value}" + (f": {status.description}" if status.description else "")
    detail += pool
    if status.running:
        return OK, detail
    if status.state in _DOCKER_WARN:
        return WARN, detail
    if status.state is DockerState.UNKNOWN:
        return UNKNOWN, detail
    if not status.configured:
        return FAIL, detail + " (no apps pool chosen: Apps > Configuration > Choose Pool)"
    return FAIL, detail


async def check_pools(manager: ManagerPort, facts: Facts) -> Outcome:
    """``pool.query``: each pool's name and status; a down apps pool fails."""
    pools = [Pool.from_api(entry) for entry in await manager.client.call("pool.query")]
    if not pools:
        return WARN, "no pools"
    detail = ", ".join(f"{p.name} {p.status or '?'}" for p in pools)
    apps_pool = next((p for p in pools if p.name == facts.apps_pool), None)
    if apps_pool is not None and apps_pool.status in _POOL_DOWN:
        return FAIL, f"{detail}; the apps pool {apps_pool.name} is {apps_pool.status}"
    unhealthy = [p.name for p in pools if not p.healthy or p.status != "ONLINE"]
    if unhealthy:
        return WARN, f"{detail}; not healthy: {', '.join(unhealthy)}"
    return OK, detail


async def check_ip_choices(manager: ManagerPort, facts: Facts) -> Outcome:
    """``app.ip_choices``: the host addresses an ix-app may bind; unknown if not offered."""
    try:
        choices = await manager.client.call("app.ip_choices")
    except UnsupportedError:
        facts.ip_choices = None
        return UNKNOWN, "unknown: this NAS does not offer app.ip_choices"
    facts.ip_choices = True
    addresses = sorted(map(str, choices)) if isinstance(choices, Mapping | list) else []
    if not addresses:
        return WARN, "no addresses offered"
    return OK, ", ".join(addresses)


def check_rate_limit(window: float = LOGIN_WINDOW, limit: int = LOGIN_LIMIT) -> Outcome:
    """Login calls this process sent in the last ``window`` s, against the NAS's limit.

    TrueNAS counts unauthenticated calls per method and source address, so other programs
    on this machine use the same allowance; this process can only see its own.
    """
    logins = recent_logins(window)
    if not logins:
        return OK, f"no login calls by this process in the last {window:g} s (limit {limit})"
    ranked = sorted(logins.items(), key=lambda item: (-item[1], item[0]))
    method, used = ranked[0]
    sent = ", ".join(f"{name} x{count}" for name, count in ranked)
    detail = (
        f"this process sent {sent} in the last {window:g} s; the NAS allows {limit} per "
        f"method ({max(0, limit - used)} left for {method}; other programs from this "
        "address count too)"
    )
    if used >= limit:  # this session is in; the next login from here would be refused
        return WARN, f"no headroom: {detail}"
    return (WARN if used > limit // 2 else OK), detail


def feature_support(manager: ManagerPort, facts: Facts) -> dict[str, bool | None]:
    """What this SDK can use on this release (None: cannot tell)."""
    new_style: bool | None = getattr(manager.client, "new_style_jobs", None)
    return {
        "json_rpc": facts.at_least(25, 4),
        "new_style_jobs": True if new_style else facts.at_least(25, 10),
        "backups": facts.at_least(25, 4),
        "compose_check_at_create": facts.at_least(25, 10, 1),
        "ip_choices": facts.ip_choices,
    }


def check_features(features: Mapping[str, bool | None]) -> Outcome:
    """The feature list as one row: yes / no / unknown."""
    groups: dict[str, list[str]] = {"yes": [], "no": [], "unknown": []}
    for key, supported in features.items():
        word = "unknown" if supported is None else "yes" if supported else "no"
        groups[word].append(FEATURE_NAMES.get(key, key))
    detail = "; ".join(f"{word}: {', '.join(names)}" for word, names in groups.items() if names)
    return (UNKNOWN if groups["unknown"] and not groups["yes"] else OK), detail


# -- write checks ------------------------------------------------------------------------------


def selftest_compose(step: str) -> dict[str, Any]:
    """The selftest app's compose file; ``step`` changes between create and update."""
    return {
        "services": {
            "selftest": {
                "image": SELFTEST_IMAGE,
                "command": ["sleep", "infinity"],
                "labels": {SELFTEST_LABEL: "selftest"},
                "environment": {"SELFTEST_STEP": step},
            }
        }
    }


async def selftest(
    manager: ManagerPort,
    facts: Facts,
    emit: CheckCallback,
    *,
    timeout: float | None,
) -> None:
    """Create, update, stop and delete :data:`SELFTEST_APP`; delete even after a failure."""
    steps: list[tuple[str, Callable[[], Awaitable[Outcome]]]] = [
        ("create", lambda: _create(manager, timeout)),
        ("update", lambda: _update(manager, timeout)),
        ("stop", lambda: _stop(manager)),
    ]
    if facts.docker_running is False:
        for name in ("create", "update", "stop", "delete"):
            emit(DoctorCheck(name, UNKNOWN, "skipped: the apps service is not running"))
        return
    owner = await _timed("selftest", _check_owner(manager))
    if owner.status is not OK:
        emit(owner)
        return
    failed: str | None = None
    try:
        for name, step in steps:
            if failed is not None:
                emit(DoctorCheck(name, UNKNOWN, f"skipped: {failed} failed"))
                continue
            check = await _timed(name, step())
            if name == "create" and owner.detail:  # a leftover was removed first
                detail = f"{check.detail}; {owner.detail}"
                check = DoctorCheck(name, check.status, detail, check.seconds)
            emit(check)
            if check.failed:
                failed = name
    finally:
        emit(await _timed("delete", _delete(manager, failed)))


async def _check_owner(manager: ManagerPort) -> Outcome:
    """OK when no selftest app exists or a leftover of doctor was removed; FAIL when an app
    of that name exists that doctor did not make (it is left alone)."""
    entry = await manager.find_app(SELFTEST_APP)
    if entry is None:
        return OK, ""
    if not await _made_by_doctor(manager, entry):
        return FAIL, (
            f"an app named {SELFTEST_APP} exists and was not made by doctor: not touched, "
            "write checks not run; rename or delete that app to run them"
        )
    await manager.delete_app(SELFTEST_APP)
    return OK, "removed a leftover selftest app first"


async def _made_by_doctor(manager: ManagerPort, entry: Mapping[str, Any]) -> bool:
    """True when ``entry`` is a custom app whose services carry :data:`SELFTEST_LABEL`."""
    if not entry.get("custom_app"):
        return False
    config = await manager.app_config(SELFTEST_APP)
    services = config.get("services") if isinstance(config, Mapping) else None
    if not isinstance(services, Mapping) or not services:
        return False
    return all(_has_label(service) for service in services.values())


def _has_label(service: object) -> bool:
    labels = service.get("labels") if isinstance(service, Mapping) else None
    if isinstance(labels, Mapping):
        return SELFTEST_LABEL in labels
    if isinstance(labels, list):
        return any(str(item).split("=", 1)[0] == SELFTEST_LABEL for item in labels)
    return False


async def _create(manager: ManagerPort, timeout: float | None) -> Outcome:
    result = await manager.deploy(selftest_compose("create"), SELFTEST_APP, timeout=timeout)
    return _deployed(result.outcomes[0].action, result.outcomes[0].app, "created")


async def _update(manager: ManagerPort, timeout: float | None) -> Outcome:
    result = await manager.deploy(selftest_compose("update"), SELFTEST_APP, timeout=timeout)
    return _deployed(result.outcomes[0].action, result.outcomes[0].app, "updated")


def _deployed(action: str, app: Any, wanted: str) -> Outcome:
    state = app.state.value if app is not None else "?"
    detail = f"{action} {SELFTEST_APP} ({SELFTEST_IMAGE}), {state}"
    return (OK if action == wanted and state == "RUNNING" else WARN), detail


async def _stop(manager: ManagerPort) -> Outcome:
    (stopped,) = (await manager.stop_app(SELFTEST_APP)).outcomes
    state = stopped.app.state.value if stopped.app else "?"
    return (OK if state == "STOPPED" else WARN), f"stopped {SELFTEST_APP}, {state}"


async def _delete(manager: ManagerPort, failed: str | None) -> Outcome:
    """Delete the selftest app if it exists; check that nothing is left."""
    if await manager.find_app(SELFTEST_APP) is None:
        why = f" ({failed} failed and left no app)" if failed else ""
        return UNKNOWN, f"not run: nothing to delete{why}"
    await manager.delete_app(SELFTEST_APP)
    if await manager.find_app(SELFTEST_APP) is not None:
        return FAIL, f"{SELFTEST_APP} is still there: delete it with `scale-compose delete`"
    after = f" after the failed {failed}" if failed else ""
    return OK, f"deleted {SELFTEST_APP}{after}; nothing left behind"


# -- helpers -----------------------------------------------------------------------------------


async def _timed(name: str, work: Awaitable[Outcome]) -> DoctorCheck:
    """Run one check, timing it; a library error becomes a ``fail`` row."""
    started = time.perf_counter()
    try:
        status, detail = await work
    except TrueNASError as exc:
        status, detail = FAIL, _error(exc)
    return DoctorCheck(name, status, detail, _since(started))


def _error(exc: TrueNASError) -> str:
    return exc.message + (f" (hint: {exc.hint})" if exc.hint else "")


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)


def public_url(url: str | None) -> str | None:
    """``url`` with nothing but scheme, host, port and path (no user info, query, fragment)."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or "?"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
