"""Rich HTML reprs of the SDK's results: apps, the NAS, validation reports, plans, jobs, results.

In the style of xarray's reprs: pure functions build strings, every value is escaped, the
stylesheet is package data (``static/style.css``) with ``--sp-*`` variables that follow
JupyterLab's ``--jp-*`` theme, sections collapse with ``<details>`` (no script), and each repr
carries a ``<pre>`` plain-text fallback that the stylesheet hides. Output is deterministic (no
ids, clocks or randomness), so nbval can compare it. ``SCALE_PILOT_DISPLAY=text`` or
``set_display_style("text")`` turns every repr into plain text for CI.

The classes' ``_repr_html_`` call :func:`render`; records import this module lazily, and the
compose results (which may not import it) find it through :mod:`scale_pilot_nb.compose.display`,
filled when this module is imported.

    >>> from scale_pilot_nb.notebook import html
    >>> html.render(pilot.app("web"))            # what Jupyter shows for an App
    >>> html.set_display_style("text")           # CI: plain <pre> only
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from scale_pilot_nb.compose.display import register_html
from scale_pilot_nb.compose.plan import DeployPlan, Plan
from scale_pilot_nb.compose.report import Finding, Severity, ValidationReport
from scale_pilot_nb.manager.sync import SyncEntry, SyncPlan
from scale_pilot_nb.notebook._markup import (
    MISSING,
    badge,
    card,
    display_style,
    document,
    esc,
    facts,
    section,
    set_display_style,
    table,
)
from scale_pilot_nb.records import App, AppState, Job, SystemStatus
from scale_pilot_nb.records._base import format_bytes
from scale_pilot_nb.records.app import PortMapping, VolumeMount
from scale_pilot_nb.records.doctor import FEATURE_NAMES, CheckStatus, DoctorReport
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult

__all__ = [
    "app_html",
    "connection_html",
    "display_style",
    "doctor_html",
    "job_html",
    "plan_html",
    "plans_html",
    "render",
    "report_html",
    "repr_html",
    "result_html",
    "set_display_style",
    "status_html",
    "sync_plan_html",
]

_SEVERITY_TITLES = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Infos"}


@functools.singledispatch
def render(obj: object) -> str:
    """The HTML repr of any SDK result (what ``_repr_html_`` returns).

    Raises:
        TypeError: ``obj`` is not a type this module knows how to show.
    """
    raise TypeError(f"no HTML repr for {type(obj).__name__}")


def repr_html(obj: object) -> str | None:
    """``_repr_html_`` for SDK objects: the HTML of :func:`render`, or None (Jupyter then
    shows the plain repr) for a type without a rich view, such as ``Image`` or ``Pool``."""
    if render.dispatch(type(obj)) is render.dispatch(object):
        return None
    return render(obj)


# -- apps --------------------------------------------------------------------------------------


@render.register
def app_html(app: App) -> str:
    """Card of one app: state, versions, containers, ports, volumes, portals and notes."""
    running = sum(1 for c in app.containers if c.state.value == "running")
    source = "custom app" if app.custom_app else f"catalog {app.train or '?'}/{app.catalog_app}"
    upgrade = f"yes → {esc(app.latest_version)}" if app.upgrade_available else "no"
    rows = [
        ("Version", f'{esc(app.human_version)} <span class="sp-muted">({esc(app.version)})</span>'),
        ("Source", esc(source)),
        ("Upgrade available", upgrade),
        ("Image updates", "yes" if app.image_updates_available else "no"),
        ("Containers", f"{running} running of {app.container_count}"),
        ("Published ports", esc(", ".join(map(str, app.published_ports)) or MISSING)),
        ("Images", _codes(app.images)),
    ]
    body = [facts(rows)]
    if app.containers:
        body.append(
            section(
                "Containers",
                table(
                    ["service", "image", "state", "ports", "mounts"],
                    (
                        [
                            esc(c.service_name),
                            _code(c.image),
                            badge(c.state.value),
                            esc(", ".join(_port_text(p) for p in c.ports) or MISSING),
                            str(len(c.volumes)),
                        ]
                        for c in app.containers
                    ),
                ),
                count=len(app.containers),
                expanded=True,
            )
        )
    if app.volumes:
        body.append(section("Volumes", _volumes_table(app.volumes), count=len(app.volumes)))
    if app.portals:
        links = ((name, _link(url)) for name, url in sorted(app.portals.items()))
        body.append(section("Portals", facts(links), count=len(app.portals), expanded=True))
    if app.notes:
        body.append(section("Notes", f'<div class="sp-pre">{esc(app.notes)}</div>'))
    header = badge(app.state.value) + _muted(app.title or "")
    return document(repr(app), card("App", app.name, header, "".join(body)))


def _port_text(port: PortMapping) -> str:
    target = f"{port.container_port}/{port.protocol}"
    published = ",".join(map(str, port.published))
    return f"{published}→{target}" if published else target


def _volumes_table(volumes: Iterable[VolumeMount]) -> str:
    return table(
        ["source", "destination", "type", "mode"],
        (
            [_code(v.source), _code(v.destination), esc(v.type), esc(v.mode or "rw")]
            for v in volumes
        ),
    )


def _link(url: str) -> str:
    """A link for http(s) URLs only; anything else (``javascript:`` …) stays inert text."""
    if urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{esc(url)}" target="_blank" rel="noopener">{esc(url)}</a>'
    return f"<code>{esc(url)}</code>"


# -- the NAS -----------------------------------------------------------------------------------


@render.register
def status_html(status: SystemStatus) -> str:
    """Card of the NAS: machine, apps service, app counts by state and pools."""
    info = status.info
    rows = [
        ("Version", esc(info.version_string or info.version)),
        ("Apps service", _docker(status)),
        ("Apps", _app_counts(status.app_states)),
        ("CPU", esc(f"{info.model or '?'} ({info.cores or '?'} cores)")),
        ("Memory", esc(format_bytes(info.physmem))),
        ("Uptime", esc(_duration(info.uptime_seconds))),
        ("Load", esc(" ".join(f"{load:.2f}" for load in info.loadavg) or MISSING)),
    ]
    body = facts(rows)
    if status.pools:
        pools = table(
            ["pool", "status", "used", "free", "size", "path"],
            (
                [
                    esc(p.name),
                    badge(p.status or "?", None if p.healthy else "error"),
                    esc(_percent(p.used_fraction)),
                    esc(format_bytes(p.free)),
                    esc(format_bytes(p.size)),
                    _code(p.path),
                ]
                for p in status.pools
            ),
        )
        body += section("Pools", pools, count=len(status.pools), expanded=True)
    header = badge(status.docker.state.value) + _muted(f"TrueNAS {info.version}")
    return document(repr(status), card("TrueNAS", info.hostname or "?", header, body))


def connection_html(
    url: str, status: SystemStatus | None, *, sandbox: bool, problem: str = ""
) -> str:
    """Card of a connection (what a ``Pilot`` shows): host, version, apps service, app counts.

    Args:
        url: the endpoint; any user info, query or fragment in it is dropped, never shown.
        status: the NAS's status, or None when it could not be read.
        sandbox: the endpoint is an embedded sandbox.
        problem: why the status could not be read.

    The card never shows credentials: it is given none.
    """
    parts = urlsplit(url)
    host = parts.hostname or "?"
    endpoint = f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"
    rows = [("Endpoint", _code(endpoint)), ("Sandbox", "yes" if sandbox else "no")]
    text = [f"Pilot {endpoint}{' (sandbox)' if sandbox else ''}"]
    if status is not None:
        rows += [
            ("Host name", esc(status.info.hostname)),
            ("TrueNAS", esc(status.info.version)),
            ("Apps service", _docker(status)),
            ("Apps", _app_counts(status.app_states)),
        ]
        text.append(
            f"TrueNAS {status.info.version} on {status.info.hostname}, apps service "
            f"{status.docker.state.value}, {status.app_count} apps ({status.running_apps} running)"
        )
        header = badge("connected", "ok")
    else:
        rows.append(("Problem", esc(problem or "not connected")))
        text.append(f"not connected: {problem}" if problem else "not connected")
        header = badge("disconnected", "error")
    return document("\n".join(text), card("Pilot", host, header, facts(rows)))


def _docker(status: SystemStatus) -> str:
    detail = status.docker.description if not status.docker.running else ""
    return badge(status.docker.state.value) + _muted(detail)


def _app_counts(states: Mapping[str, int]) -> str:
    """``9 in all · RUNNING 5 · STOPPED 3 …``, states in :class:`AppState` order."""
    if not states:
        return "none"
    order = {state.value: index for index, state in enumerate(AppState)}
    ranked = sorted(states.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
    counts = " · ".join(f"{badge(state)}&nbsp;{count}" for state, count in ranked)
    return f"{sum(states.values())} in all · {counts}"


_CHECK_TONES = {
    CheckStatus.OK: "ok",
    CheckStatus.WARN: "warn",
    CheckStatus.FAIL: "error",
    CheckStatus.UNKNOWN: "muted",
}


@render.register
def doctor_html(report: DoctorReport) -> str:
    """Card of a doctor run: release, endpoint, features, then one row per check."""
    failed = len(report.failed)
    header = badge("ok", "ok") if report.ok else badge(f"{failed} failed", "error")
    features = " ".join(
        badge(
            f"{FEATURE_NAMES.get(key, key)}: "
            + ("unknown" if supported is None else "yes" if supported else "no"),
            "ok" if supported else "muted",
        )
        for key, supported in report.features.items()
    )
    rows = [
        ("TrueNAS", esc(report.release)),
        ("Endpoint", _code(report.endpoint)),
        ("Write checks", "yes (scale-pilot-selftest)" if report.write else "no"),
        ("Features", features or MISSING),
        ("Took", esc(f"{report.seconds:.2f} s")),
    ]
    checks = table(
        ["check", "status", "seconds", "detail"],
        (
            [
                esc(check.name),
                badge(check.status.value, _CHECK_TONES[check.status]),
                esc(None if check.seconds is None else f"{check.seconds:.2f}"),
                esc(check.detail),
            ]
            for check in report.checks
        ),
    )
    body = facts(rows) + section("Checks", checks, count=len(report.checks), expanded=True)
    return document(str(report), card("Doctor", report.release or "?", header, body))


# -- compose results ---------------------------------------------------------------------------


def report_html(report: ValidationReport) -> str:
    """Validation report: verdict, then findings grouped by severity (path, message, hint)."""
    title = report.source or report.app_name or "compose file"
    header = badge("valid" if report.valid else "invalid") + _muted(report.summary())
    rows = [
        ("App", esc(report.app_name)),
        ("Mode", esc(report.mode)),
        ("Source", esc(report.source)),
    ]
    body = [facts(rows)]
    for severity, title_text in _SEVERITY_TITLES.items():
        found = [f for f in report.findings if f.severity is severity]
        if found:
            expanded = severity is not Severity.INFO
            body.append(
                section(title_text, _findings_table(found), count=len(found), expanded=expanded)
            )
    if not report.findings:
        body.append('<div class="sp-muted">No findings.</div>')
    return document(str(report), card("Compose validation", title, header, "".join(body)))


def _findings_table(findings: Sequence[Finding | Mapping[str, Any]]) -> str:
    """Line, path, severity, message with hint and rule id below (records or their dicts)."""
    rows = []
    for finding in findings:
        item = finding.to_dict() if isinstance(finding, Finding) else finding
        line = "" if item.get("line") is None else str(item["line"])
        if item.get("column") is not None and line:
            line += f":{item['column']}"
        hint = f'<div class="sp-hint">hint: {esc(item["hint"])}</div>' if item.get("hint") else ""
        rule = f' <span class="sp-muted sp-mono">{esc(item.get("rule"))}</span>'
        rows.append(
            [
                esc(line),
                _code(item.get("path") or "(file)"),
                badge(item.get("severity")),
                f"{esc(item.get('message'))}{rule}{hint}",
            ]
        )
    return table(["line", "path", "severity", "message"], rows)


def plan_html(plan: DeployPlan) -> str:
    """Deploy plan: action, services/images/ports changed, secrets changed and a coloured diff."""
    return document(str(plan), _plan_card(plan))


def plans_html(plan: Plan) -> str:
    """A whole plan in one view: a row per app, then each app's plan (changed ones open)."""
    rows = (
        [esc(part.app_name), badge(part.action), esc(part.mode), _yes_no(part.recreates_containers)]
        for part in plan
    )
    body = [table(["app", "action", "mode", "recreates containers"], rows)]
    body.extend(
        section(f"Plan of {part.app_name}", _plan_card(part), expanded=part.changed)
        for part in plan
    )
    header = badge("changes", "warn") if plan.changes else badge("noop")
    title = ", ".join(plan.app_names)
    return document(str(plan), card("Deploy plan", title, header, "".join(body)))


def _plan_card(plan: DeployPlan) -> str:
    mode = (
        f"{plan.live_mode} → {plan.mode}"
        if plan.live_mode and plan.live_mode != plan.mode
        else plan.mode
    )
    rows = [
        ("Mode", esc(mode)),
        ("Recreates containers", _yes_no(plan.recreates_containers)),
    ]
    for label, names in (
        ("Services added", plan.services_added),
        ("Services removed", plan.services_removed),
        ("Services changed", plan.services_changed),
        ("Secret values changed", plan.secrets_changed),
    ):
        if names:
            rows.append((label, _codes(names)))
    body = [facts(rows)]
    if plan.images_changed:
        images = ([esc(s), _code(old), _code(new)] for s, (old, new) in plan.images_changed.items())
        body.append(
            section(
                "Images changed",
                table(["service", "live", "desired"], images),
                count=len(plan.images_changed),
                expanded=True,
            )
        )
    if plan.ports_changed:
        ports = ([esc(s), _codes(old), _codes(new)] for s, (old, new) in plan.ports_changed.items())
        body.append(
            section(
                "Ports changed",
                table(["service", "live", "desired"], ports),
                count=len(plan.ports_changed),
                expanded=True,
            )
        )
    if plan.diff:
        body.append(section("Diff", diff_html(plan.diff), expanded=True))
    elif not plan.changed:
        body.append('<div class="sp-muted">Identical to the live app: nothing to do.</div>')
    return card("Deploy plan", plan.app_name, badge(plan.action), "".join(body))


def diff_html(diff: str) -> str:
    """A unified diff with added, removed, hunk and file lines coloured."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "sp-file"
        elif line.startswith("+"):
            kind = "sp-add"
        elif line.startswith("-"):
            kind = "sp-del"
        elif line.startswith("@@"):
            kind = "sp-hunk"
        else:
            kind = ""
        lines.append(f'<span class="sp-line {kind}">{esc(line) or " "}</span>')
    return f'<div class="sp-diff">{"".join(lines)}</div>'


# -- stacks from a folder ----------------------------------------------------------------------


@render.register
def sync_plan_html(plan: SyncPlan) -> str:
    """Sync plan: a row per stack and orphan, then each change's plan and each stack's errors."""
    rows = (
        [
            esc(entry.name),
            _sync_badge(entry),
            _code(entry.source) if entry.source else MISSING,
            esc(entry.summary()),
        ]
        for entry in plan
    )
    body = [table(["app", "action", "source", "what happens"], rows)]
    for entry in plan:
        if entry.plan and entry.plan.changed:
            body.append(section(f"Plan of {entry.name}", _plan_card(entry.plan), expanded=True))
        if entry.action == "invalid":
            body.append(section(f"Errors of {entry.name}", _stack_errors(entry), expanded=True))
    if plan.invalid:
        header = badge(f"{len(plan.invalid)} invalid", "error")
    else:
        header = badge("changes", "warn") if plan.changes else badge("in sync", "ok")
    header += _muted(plan.summary())
    return document(str(plan), card("Sync plan", str(plan.directory), header, "".join(body)))


def _sync_badge(entry: SyncEntry) -> str:
    """The action's badge; an orphan is a warning (it is drift), whatever prune will do."""
    return badge(entry.action, "warn" if entry.action == "orphan" else None)


def _stack_errors(entry: SyncEntry) -> str:
    problem = f'<div class="sp-hint">{esc(entry.problem)}</div>' if entry.problem else ""
    findings = _findings_table(entry.report.errors) if entry.report else ""
    return problem + findings


# -- operations and jobs -----------------------------------------------------------------------


@render.register
def result_html(result: OperationResult) -> str:
    """Outcome of a deploy or bulk run: per-app action, state and error; plans and findings."""
    header = badge("ok", "ok") if result.ok else badge(f"{len(result.failed)} failed", "error")
    body = [table(["app", "action", "state", "error"], map(_outcome_row, result.outcomes))]
    for name, plan in sorted(result.plans.items()):
        if isinstance(plan, DeployPlan):
            body.append(section(f"Plan of {name}", _plan_card(plan), expanded=False))
    if result.findings:
        body.append(
            section("Findings", _findings_table(result.findings), count=len(result.findings))
        )
    return document(
        _result_text(result), card("Operation", result.operation, header, "".join(body))
    )


def _outcome_row(outcome: AppOutcome) -> list[str]:
    state = badge(outcome.app.state.value) if outcome.app else MISSING
    error = ""
    if outcome.error:
        error = esc(outcome.error.get("message"))
        if outcome.error.get("hint"):
            error += f'<div class="sp-hint">hint: {esc(outcome.error["hint"])}</div>'
    return [esc(outcome.app_name), badge(outcome.action), state, error]


def _result_text(result: OperationResult) -> str:
    lines = [f"{result.operation}: {'ok' if result.ok else f'{len(result.failed)} failed'}"]
    for outcome in result.outcomes:
        state = f" ({outcome.app.state.value})" if outcome.app else ""
        error = f": {outcome.error.get('message')}" if outcome.error else ""
        lines.append(f"  {outcome.app_name}: {outcome.action}{state}{error}")
    return "\n".join(lines)


@render.register
def job_html(job: Job) -> str:
    """Card of a TrueNAS job: state, progress, times, and on failure the error and field errors."""
    percent = job.progress.percent
    bar = ""
    if percent is not None:
        width = max(0.0, min(100.0, percent))
        bar = f'<span class="sp-progress"><span style="width:{width:g}%"></span></span> {width:g}% '
    rows = [
        ("Progress", bar + esc(job.progress.description or MISSING)),
        ("Started", esc(job.time_started.isoformat() if job.time_started else None)),
        ("Finished", esc(job.time_finished.isoformat() if job.time_finished else None)),
        ("Duration", esc(_duration(job.duration.total_seconds()) if job.duration else None)),
    ]
    if job.description:
        rows.insert(0, ("Description", esc(job.description)))
    if job.error:
        kind = " ".join(str(x) for x in (job.error_type, job.errno) if x is not None)
        rows.append(("Error", f"{esc(job.error.strip())} {_muted(kind)}"))
    body = [facts(rows)]
    if job.field_errors:
        fields = ([_code(e.attribute), esc(e.message)] for e in job.field_errors)
        body.append(
            section(
                "Field errors",
                table(["field", "message"], fields),
                count=len(job.field_errors),
                expanded=True,
            )
        )
    if job.traceback:
        body.append(section("Server traceback", f'<div class="sp-pre">{esc(job.traceback)}</div>'))
    title = f"#{job.id} {job.method}".strip()
    return document(repr(job), card("Job", title, badge(job.state.value), "".join(body)))


# -- small helpers -----------------------------------------------------------------------------


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def _muted(text: str) -> str:
    return f' <span class="sp-muted">{esc(text)}</span>' if text else ""


def _code(value: object) -> str:
    return f"<code>{esc(value)}</code>"


def _codes(values: Iterable[object]) -> str:
    items = [_code(v) for v in values]
    return ", ".join(items) if items else MISSING


def _percent(fraction: float | None) -> str:
    return MISSING if fraction is None else f"{fraction:.0%}"


def _duration(seconds: float | None) -> str:
    """``3 d 4 h``, ``5 min 2 s`` …: the two largest units, for uptimes and job durations."""
    if seconds is None:
        return MISSING
    remaining = int(seconds)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if remaining >= size or (unit == "s" and not parts):
            parts.append(f"{remaining // size} {unit}")
            remaining %= size
    return " ".join(parts[:2])


register_html(ValidationReport, report_html)
register_html(DeployPlan, plan_html)
register_html(Plan, plans_html)
render.register(ValidationReport, report_html)
render.register(DeployPlan, plan_html)
render.register(Plan, plans_html)
