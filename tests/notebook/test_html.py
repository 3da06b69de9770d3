"""HTML reprs of the SDK's results: content, escaping, determinism and no secrets."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scale_pilot_nb.compose.plan import DeployPlan
from scale_pilot_nb.compose.plan import plan as make_plan
from scale_pilot_nb.compose.report import Finding, Severity, ValidationReport
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.notebook import html
from scale_pilot_nb.notebook._markup import DISPLAY_ENV, set_display_style
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.records import App, Image, Job, SystemStatus
from scale_pilot_nb.records.outcome import AppOutcome, OperationResult
from scale_pilot_nb.sandbox import Sandbox
from tests.records import entries

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def html_style(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(DISPLAY_ENV, raising=False)
    set_display_style(None)
    yield
    set_display_style(None)


def app(name: str = "jellyfin") -> App:
    entry = entries.jellyfin("25.10")
    entry["name"] = name
    return App.from_api(entry)


def status() -> SystemStatus:
    return SystemStatus.build(
        info=entries.system_info("25.10"),
        docker={"status": "RUNNING", "description": ""},
        pools=[entries.pool("25.10")],
        apps=[entries.jellyfin("25.10"), entries.custom_app(), entries.stopped_app()],
    )


def report(message: str = "Port 80 is taken") -> ValidationReport:
    return ValidationReport(
        [
            Finding(
                Severity.ERROR,
                "truenas.port-in-use",
                "services.web.ports[0]",
                message,
                "Pick another",
                4,
                7,
            ),
            Finding(
                Severity.WARNING, "truenas.latest-tag", "services.web.image", "No tag", "Pin one"
            ),
            Finding(Severity.INFO, "truenas.no-healthcheck", "services.web", "No healthcheck"),
        ],
        app_name="web",
        source="web.yml",
    )


def plan() -> DeployPlan:
    return DeployPlan(
        "web",
        "update",
        "compose",
        "compose",
        diff="\n".join(
            [
                *("--- live", "+++ desired", "@@ -1,2 +1,2 @@", " services:"),
                *("-  image: nginx:1.26", "+  image: nginx:1.27"),
            ]
        ),
        services_changed=["web"],
        images_changed={"web": ("nginx:1.26", "nginx:1.27")},
        ports_changed={"web": (["8080:80/tcp"], ["8081:80/tcp"])},
        secrets_changed=["services.web.environment.DB_PASSWORD"],
        recreates_containers=True,
    )


def result() -> OperationResult:
    failure = {"message": f"App {HOSTILE} exploded", "hint": "Look at its logs"}
    return OperationResult(
        "deploy",
        (AppOutcome("web", "updated", app()), AppOutcome("db", "failed", error=failure)),
        plans={"web": plan()},
        findings=(report().findings[1].to_dict(),),
    )


def failed_job() -> Job:
    entry = entries.job_25_10()
    entry.update(
        state="FAILED",
        method="app.create",
        progress={"percent": 40, "description": "Pulling images", "extra": None},
        error="[EINVAL] app_create.app_name: Invalid name",
        exc_info={
            "type": "VALIDATION",
            "errno": 22,
            "extra": [["app_create.app_name", "Invalid name", 22]],
        },
        exception="Traceback (most recent call last): ...",
        time_finished={"$date": 1750000004000},
    )
    return Job.from_api(entry)


ALL: list[Callable[[], Any]] = [app, status, report, plan, result, failed_job]


@pytest.mark.parametrize("build", ALL, ids=lambda b: b.__name__)
def test_each_repr_is_a_self_contained_deterministic_card(build: Callable[[], Any]) -> None:
    obj = build()
    first = obj._repr_html_()
    assert first == build()._repr_html_()
    assert first.startswith("<style>") and '<pre class="sp-text-fallback">' in first
    assert '<div class="sp-card">' in first
    assert "<script" not in first and "<img" not in first and " id=" not in first


def test_app_card_shows_state_containers_ports_and_portals() -> None:
    out = html.render(app())
    assert '<span class="sp-title">jellyfin</span>' in out
    assert '<span class="sp-badge sp-tone-ok">RUNNING</span>' in out
    assert "30013→8096/tcp" in out and "<code>jellyfin/jellyfin:10.10.7</code>" in out
    assert '<a href="http://192.168.1.50:30013/"' in out
    assert "yes → 1.3.12" in out


def test_names_and_notes_from_the_nas_are_escaped() -> None:
    hostile = App.from_api({**entries.jellyfin("25.10"), "name": HOSTILE, "notes": HOSTILE})
    out = html.render(hostile)
    assert "<script>" not in out and out.count("&lt;script&gt;") >= 3


def test_portal_links_only_for_http_urls() -> None:
    entry = {**entries.jellyfin("25.10"), "portals": {"x": "javascript:alert(1)"}}
    out = html.render(App.from_api(entry))
    assert 'href="javascript' not in out and "<code>javascript:alert(1)</code>" in out


def test_status_card_shows_machine_apps_and_pools() -> None:
    out = html.render(status())
    assert "25.10.6" in out and "16 cores" in out and "64.0 GiB" in out
    assert "3 d 4 h" in out
    assert '<span class="sp-badge sp-tone-ok">RUNNING</span>&nbsp;1' in out
    assert "<td>tank</td>" in out and "28%" in out


def test_report_groups_findings_by_severity_with_path_message_hint_and_line() -> None:
    out = html.render(report())
    errors, warnings, infos = (out.index(f"<summary>{t}") for t in ("Errors", "Warnings", "Infos"))
    assert errors < warnings < infos
    assert '<details class="sp-section" open><summary>Errors <span class="sp-count">(1)' in out
    assert '<details class="sp-section"><summary>Infos' in out  # infos start collapsed
    assert "<td>4:7</td><td><code>services.web.ports[0]</code></td>" in out
    assert (
        "Port 80 is taken" in out and "hint: Pick another" in out and "truenas.port-in-use" in out
    )
    assert '<span class="sp-badge sp-tone-error">invalid</span>' in out


def test_report_findings_are_escaped() -> None:
    out = report(f"Image {HOSTILE} is odd")._repr_html_()
    assert out is not None and "<script>" not in out and "Image &lt;script&gt;" in out


def test_clean_report_says_so() -> None:
    out = html.render(ValidationReport([], app_name="ok"))
    assert "No findings." in out and "sp-tone-ok" in out


def test_plan_shows_a_coloured_diff_and_what_changes() -> None:
    out = plan()._repr_html_()
    assert out is not None
    assert '<span class="sp-line sp-del">-  image: nginx:1.26</span>' in out
    assert '<span class="sp-line sp-add">+  image: nginx:1.27</span>' in out
    assert '<span class="sp-line sp-hunk">@@ -1,2 +1,2 @@</span>' in out
    assert "<code>nginx:1.26</code></td><td><code>nginx:1.27</code>" in out
    assert "<code>8080:80/tcp</code></td><td><code>8081:80/tcp</code>" in out
    assert "services.web.environment.DB_PASSWORD" in out
    assert '<span class="sp-badge sp-tone-warn">update</span>' in out


def test_plan_of_a_changed_secret_names_it_and_never_shows_the_values() -> None:
    def compose(image: str, password: str) -> dict[str, Any]:
        service = {"image": image, "environment": {"POSTGRES_PASSWORD": password}}
        return {"services": {"db": service}}

    payload = {
        "app_name": "db",
        "custom_app": True,
        "custom_compose_config": compose("postgres:17", "n3w-s3cret"),
    }
    out = html.render(make_plan(payload, compose("postgres:16", "0ld-s3cret")))
    assert "n3w-s3cret" not in out and "0ld-s3cret" not in out
    assert "services.db.environment.POSTGRES_PASSWORD" in out and "postgres:17" in out


def test_noop_plan_says_nothing_to_do() -> None:
    out = html.render(DeployPlan("web", "noop", "compose", "compose"))
    assert "nothing to do" in out and 'class="sp-diff"' not in out


def test_operation_result_lists_each_app_with_errors_escaped() -> None:
    out = html.render(result())
    assert '<span class="sp-badge sp-tone-error">1 failed</span>' in out
    assert '<td>web</td><td><span class="sp-badge sp-tone-ok">updated</span>' in out
    assert "App &lt;script&gt;alert(1)&lt;/script&gt; exploded" in out and "<script>" not in out
    assert "hint: Look at its logs" in out and "<summary>Plan of web" in out
    assert "db: failed: App" in out  # the text fallback


def test_job_card_shows_progress_error_and_field_errors() -> None:
    out = html.render(failed_job())
    assert '<span style="width:40%"></span>' in out and "Pulling images" in out
    assert "<code>app_create.app_name</code></td><td>Invalid name" in out
    assert "VALIDATION 22" in out and "<summary>Server traceback" in out
    assert "4 s" in out  # duration


def test_records_without_a_rich_view_fall_back_to_their_repr() -> None:
    image = Image.from_api({"id": "sha256:abc", "repo_tags": ["nginx:1"]})
    assert image._repr_html_() is None
    with pytest.raises(TypeError, match="no HTML repr for Image"):
        html.render(image)


def test_text_mode_turns_every_repr_into_plain_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISPLAY_ENV, "text")
    for build in ALL:
        out = build()._repr_html_()
        assert out is not None and out.startswith("<pre>") and "<style>" not in out
    assert html.render(report()) == f"<pre>{__import__('html').escape(str(report()))}</pre>"


def test_connection_card_never_shows_credentials() -> None:
    out = html.connection_html(
        "wss://admin:hunter2@nas.local:8443/api/current?token=s3cret", status(), sandbox=False
    )
    assert "hunter2" not in out and "s3cret" not in out and "admin" not in out
    assert "<code>wss://nas.local:8443/api/current</code>" in out
    offline = html.connection_html(
        "ws://nas.local/api/current", None, sandbox=False, problem="refused"
    )
    assert "disconnected" in offline and "refused" in offline


def test_pilot_card_shows_the_nas_and_never_the_key(sandbox: Sandbox) -> None:
    manager = TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)
    with Pilot(manager) as pilot:
        out = pilot._repr_html_()
        assert sandbox.api_key not in out and sandbox.api_key not in repr(pilot)
        assert "connected" in out and "25.10" in out and "127.0.0.1" in out
        assert '<span class="sp-badge sp-tone-ok">RUNNING</span>' in out
    closed = pilot._repr_html_()
    assert "disconnected" in closed and sandbox.api_key not in closed


_RENDER_ALL = """
import hashlib
from tests.notebook import test_html as t
digest = hashlib.sha256()
for build in t.ALL:
    digest.update(build()._repr_html_().encode())
print(digest.hexdigest())
"""


def test_two_processes_render_identical_bytes() -> None:
    here = hashlib.sha256()
    for build in ALL:
        here.update(build()._repr_html_().encode())
    digests = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env.pop(DISPLAY_ENV, None)
        run = subprocess.run(
            [sys.executable, "-c", _RENDER_ALL],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        digests.add(run.stdout.strip())
    assert digests == {here.hexdigest()}


_KERNEL_LIKE = """
import sys
{ipython}
import scale_pilot_nb
from scale_pilot_nb.compose.report import ValidationReport
out = ValidationReport([])._repr_html_()
print(out is not None, "scale_pilot_nb.notebook.html" in sys.modules)
"""


@pytest.mark.parametrize(("ipython", "expected"), [(True, "True True"), (False, "False False")])
def test_compose_reprs_are_live_as_soon_as_the_package_loads_in_ipython(
    ipython: bool, expected: str
) -> None:
    code = _KERNEL_LIKE.format(ipython="import IPython" if ipython else "")
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert run.stdout.strip() == expected
