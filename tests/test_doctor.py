"""``doctor``: the read-only checks on each release, the write cycle, its failures and refusals.

Everything runs against sandboxes over real sockets; faults come from the sandbox's own
fault injection (``fail_next_job``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

import scale_pilot_nb.manager.doctor as doctor_module
from scale_pilot_nb.manager.doctor import SELFTEST_APP, SELFTEST_LABEL, selftest_compose
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.notebook import html
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.records import CheckStatus, DoctorCheck, DoctorReport
from scale_pilot_nb.rpc.stats import note_login, recent_logins
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.contract import Registry

MakeSandbox = Callable[..., Sandbox]

READ_CHECKS = [
    "connect",
    "release",
    "endpoint",
    "tls",
    "auth",
    "docker",
    "pools",
    "ip-choices",
    "rate-limit",
    "features",
]
WRITE_CHECKS = ["create", "update", "stop", "delete"]

# version -> (release as reported, endpoint path, features)
RELEASES = {
    "24.10": (
        "TrueNAS-SCALE-24.10.2.4",
        "/websocket",
        {
            "json_rpc": False,
            "new_style_jobs": False,
            "backups": False,
            "compose_check_at_create": False,
            "ip_choices": True,
        },
    ),
    "25.04": (
        "25.04.2.6",
        "/api/current",
        {
            "json_rpc": True,
            "new_style_jobs": False,
            "backups": True,
            "compose_check_at_create": False,
            "ip_choices": True,
        },
    ),
    "25.10": (
        "25.10.6",
        "/api/current",
        {
            "json_rpc": True,
            "new_style_jobs": True,
            "backups": True,
            "compose_check_at_create": True,
            "ip_choices": True,
        },
    ),
}


def pilot_for(sb: Sandbox) -> Pilot:
    """A pilot that finds the endpoint itself (``/api/current``, else ``/websocket``)."""
    return Pilot(
        TrueNASDockerManager(f"ws://127.0.0.1:{sb.port}", sb.api_key, username=sb.username)
    )


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    with pilot_for(sandbox) as p:
        yield p


def apps_now(pilot: Pilot) -> dict[str, str]:
    return {app.name: app.state.value for app in pilot.list_apps()}


@pytest.mark.parametrize("version", sorted(RELEASES))
def test_read_only_checks_report_release_endpoint_and_features(
    make_sandbox: MakeSandbox, version: str
) -> None:
    release, path, features = RELEASES[version]
    sb = make_sandbox(version, "demo", test_methods=False)
    with pilot_for(sb) as p:
        before = apps_now(p)
        report = p.doctor()
        assert apps_now(p) == before
    assert isinstance(report, DoctorReport)
    assert [c.name for c in report] == READ_CHECKS
    assert report.release == release
    assert report.endpoint == f"ws://127.0.0.1:{sb.port}{path}"
    assert dict(report.features) == features
    assert report.ok and not report.write
    assert release in report["release"].detail
    assert report["endpoint"].status is CheckStatus.OK
    assert report["docker"].status is CheckStatus.OK and "apps pool tank" in report["docker"].detail
    assert report["pools"].status is CheckStatus.WARN  # the demo's backup pool is DEGRADED
    assert "backup DEGRADED" in report["pools"].detail
    assert report["tls"].detail.startswith("ws (no TLS)")
    assert report["auth"].detail.startswith(f"API key of user {sb.username}")
    login = "auth.login_with_api_key" if version == "24.10" else "auth.login_ex"
    assert login in report["auth"].detail and login in report["rate-limit"].detail
    assert report["ip-choices"].detail == "0.0.0.0, 192.168.1.50, ::, fd00:1::50"
    for name in ("connect", "release", "docker", "pools", "ip-choices"):
        seconds = report[name].seconds
        assert seconds is not None and seconds >= 0


def test_legacy_endpoint_on_a_release_with_api_current_is_a_warning(
    make_sandbox: MakeSandbox,
) -> None:
    sb = make_sandbox("25.10", "empty", test_methods=False)
    with Pilot(TrueNASDockerManager(sb.legacy_url, sb.api_key, username=sb.username)) as p:
        report = p.doctor()
    assert report["endpoint"].status is CheckStatus.WARN
    assert "prefer it" in report["endpoint"].detail
    assert report.ok  # a warning is not a failure


def test_write_cycle_creates_updates_stops_deletes_and_leaves_nothing(pilot: Pilot) -> None:
    before = apps_now(pilot)
    seen: list[DoctorCheck] = []
    report = pilot.doctor(write=True, on_check=seen.append)
    assert [c.name for c in report] == READ_CHECKS + WRITE_CHECKS
    assert seen == list(report.checks)  # reported as each one finished
    for name in WRITE_CHECKS:
        check = report[name]
        assert check.status is CheckStatus.OK, check
        assert check.seconds is not None and check.seconds > 0
    assert "RUNNING" in report["create"].detail and "RUNNING" in report["update"].detail
    assert "STOPPED" in report["stop"].detail
    assert "nothing left behind" in report["delete"].detail
    assert report.ok and report.write
    assert apps_now(pilot) == before  # no selftest app, every other app as it was


def test_a_failed_step_is_reported_and_the_app_is_still_deleted(
    pilot: Pilot, sandbox: Sandbox
) -> None:
    before = apps_now(pilot)

    def fail_the_update(check: DoctorCheck) -> None:
        if check.name == "create":  # the next job is app.update
            sandbox.fail_next_job("registry unreachable")

    report = pilot.doctor(write=True, on_check=fail_the_update)
    assert report["create"].status is CheckStatus.OK
    assert report["update"].status is CheckStatus.FAIL
    assert "registry unreachable" in report["update"].detail
    assert report["stop"].status is CheckStatus.UNKNOWN
    assert report["stop"].detail == "skipped: update failed"
    assert report["delete"].status is CheckStatus.OK
    assert "after the failed update" in report["delete"].detail
    assert not report.ok and report.failed == [report["update"]]
    assert apps_now(pilot) == before


def test_a_failed_create_leaves_nothing_to_delete(pilot: Pilot, sandbox: Sandbox) -> None:
    before = apps_now(pilot)
    sandbox.fail_next_job("pull access denied")
    report = pilot.doctor(write=True)
    assert report["create"].status is CheckStatus.FAIL
    assert "pull access denied" in report["create"].detail
    assert [report[n].status for n in ("update", "stop")] == [CheckStatus.UNKNOWN] * 2
    assert report["delete"].status is CheckStatus.UNKNOWN
    assert "nothing to delete" in report["delete"].detail
    assert apps_now(pilot) == before


def test_an_app_of_that_name_not_made_by_doctor_is_never_touched(pilot: Pilot) -> None:
    other = "services:\n  web:\n    image: nginx:1.27.3\n"
    pilot.deploy(other, SELFTEST_APP)
    stored = pilot.app_config(SELFTEST_APP)
    report = pilot.doctor(write=True)
    assert [c.name for c in report][-1] == "selftest"
    refusal = report["selftest"]
    assert refusal.status is CheckStatus.FAIL and "not made by doctor" in refusal.detail
    assert not report.ok
    assert pilot.app(SELFTEST_APP).state.value == "RUNNING"
    assert pilot.app_config(SELFTEST_APP) == stored


def test_a_leftover_of_an_interrupted_run_is_removed_first(pilot: Pilot) -> None:
    pilot.deploy(selftest_compose("create"), SELFTEST_APP)
    assert SELFTEST_LABEL in str(pilot.app_config(SELFTEST_APP))
    report = pilot.doctor(write=True)
    assert report.ok
    assert "removed a leftover selftest app first" in report["create"].detail
    assert SELFTEST_APP not in apps_now(pilot)


def test_a_nas_without_ip_choices_reports_unknown(make_sandbox: MakeSandbox) -> None:
    def without_ip_choices(registry: Registry) -> None:
        del registry.methods["app.ip_choices"]

    sb = make_sandbox("25.10", "empty", test_methods=False, extend=without_ip_choices)
    with pilot_for(sb) as p:
        report = p.doctor()
    assert report["ip-choices"].status is CheckStatus.UNKNOWN
    assert report["ip-choices"].detail.startswith("unknown")
    assert report.features["ip_choices"] is None
    assert "unknown: app.ip_choices" in report["features"].detail
    assert report.ok


def test_login_calls_are_counted_for_the_whole_process() -> None:
    before = recent_logins().get("test.login", 0)
    note_login("test.login")
    note_login("test.login")
    assert recent_logins()["test.login"] == before + 2
    assert "test.login" not in recent_logins(window=-1.0)


def test_rate_limit_headroom(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor_module, "recent_logins", lambda window: {})
    assert doctor_module.check_rate_limit()[0] is CheckStatus.OK
    monkeypatch.setattr(doctor_module, "recent_logins", lambda window: {"auth.login_ex": 12})
    status, detail = doctor_module.check_rate_limit()
    assert status is CheckStatus.WARN and "8 left for auth.login_ex" in detail
    monkeypatch.setattr(doctor_module, "recent_logins", lambda window: {"auth.login_ex": 20})
    status, detail = doctor_module.check_rate_limit()
    assert status is CheckStatus.WARN and detail.startswith("no headroom")


def test_report_as_data_text_and_html_never_shows_a_secret(pilot: Pilot, sandbox: Sandbox) -> None:
    report = pilot.doctor()
    data = report.to_dict()
    document = json.dumps(data)
    assert data["ok"] is True and data["counts"]["fail"] == 0
    assert sum(data["counts"].values()) == len(READ_CHECKS)
    assert [c["status"] for c in data["checks"]][:2] == ["ok", "ok"]
    assert data["features"]["new_style_jobs"] is True
    text, short, rich = str(report), repr(report), report._repr_html_()
    assert short.startswith("DoctorReport(release='25.10.6'")
    assert text.splitlines()[0].startswith("TrueNAS 25.10.6 at ws://127.0.0.1:")
    assert rich is not None and "sp-card" in rich and "ip-choices" in rich
    assert "compose check at create: yes" in rich
    secret = sandbox.api_key.split("-", 1)[1]
    for shown in (document, text, short, rich):
        assert secret not in shown and sandbox.password not in shown
    html.set_display_style("text")
    try:
        assert html.render(report).startswith("<pre>TrueNAS 25.10.6 at ")
    finally:
        html.set_display_style(None)
