"""Widgets driven without a browser: build them against the sandbox, click, look at outputs.

Buttons are pressed with ``Button.click()``, which runs the same handlers a browser click
does; the work then runs on the Pilot's loop and the test waits on the widget's future.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Iterator

import pytest

from scale_pilot_nb import examples
from scale_pilot_nb.notebook.widgets import Dashboard, DeployForm, LogViewer
from scale_pilot_nb.pilot import Pilot
from scale_pilot_nb.records import AppState
from scale_pilot_nb.sandbox import Sandbox

EXAMPLES = examples.path()
NGINX = (EXAMPLES / "nginx.yml").read_text()
WAIT = 20.0


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    from scale_pilot_nb.manager import TrueNASDockerManager

    manager = TrueNASDockerManager(sandbox.url, sandbox.api_key, username=sandbox.username)
    with Pilot(manager) as pilot:
        yield pilot


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait (bounded) for a condition set by the loop thread."""
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.02)


def shown(form: DeployForm) -> str:
    return "\n".join(o["data"]["text/plain"] for o in form.results.outputs)


# -- deploy form -------------------------------------------------------------------------------


def test_validate_button_shows_the_report_of_the_editor_text(pilot: Pilot) -> None:
    form = pilot.deploy_form(NGINX, "my-nginx")
    form.validate_button.click()
    report = form.pending.result(WAIT)  # type: ignore[union-attr]
    assert report.valid
    assert "valid" in shown(form)
    assert form.results.outputs[0]["data"]["text/html"]


def test_validate_shows_errors_of_a_flawed_file(pilot: Pilot) -> None:
    form = pilot.deploy_form("services:\n  web:\n    ports: ['80:80']\n", "bad")
    report = form.validate()
    assert not report.valid
    assert "error" in shown(form)


def test_example_picker_offers_the_packaged_examples_and_loads_one(pilot: Pilot) -> None:
    form = pilot.deploy_form()
    assert {"nginx.yml", "redis.yml", "wordpress-stack.yml"} <= set(form.example_picker.options)
    form.example_picker.value = "redis.yml"
    assert form.editor.value == (EXAMPLES / "redis.yml").read_text()
    assert form.name_field.value == "redis"


def test_plan_button_shows_a_create_plan(pilot: Pilot) -> None:
    form = pilot.deploy_form(NGINX, "my-nginx")
    form.plan_button.click()
    plans = form.pending.result(WAIT)  # type: ignore[union-attr]
    assert [p.app_name for p in plans] == ["my-nginx"]
    assert "create" in shown(form)


def test_deploy_button_creates_the_app_with_progress_and_its_card(pilot: Pilot) -> None:
    form = pilot.deploy_form(NGINX, "my-nginx")
    form.deploy_button.click()
    result = form.pending.result(WAIT)  # type: ignore[union-attr]
    assert result.ok
    assert pilot.app("my-nginx").state is AppState.RUNNING
    assert form.progress.bar.value == 100
    assert form.progress.bar.bar_style == "success"
    assert "my-nginx" in shown(form)


def test_deploy_of_an_invalid_file_ends_with_a_clear_error(pilot: Pilot) -> None:
    form = pilot.deploy_form("services:\n  web:\n    ports: ['80:80']\n", "bad")
    form.deploy_button.click()
    with pytest.raises(Exception):  # noqa: B017 - the widget shows whatever the deploy raised
        form.pending.result(WAIT)  # type: ignore[union-attr]
    html = form.results.outputs[-1]["data"]["text/html"]
    assert "sp-error" in html
    assert form.progress.bar.bar_style == "danger"
    assert "bad" not in {app.name for app in pilot.list_apps()}


def test_waiting_too_long_for_the_form_is_a_typed_timeout(
    pilot: Pilot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scale_pilot_nb.errors import CallTimeoutError
    from scale_pilot_nb.notebook.widgets import deploy_form

    monkeypatch.setattr(deploy_form, "WAIT_TIMEOUT", 0.05)
    form = pilot.deploy_form(NGINX, "my-nginx")
    with pytest.raises(CallTimeoutError, match="did not finish") as raised:
        form._wait(concurrent.futures.Future())  # an action that never ends
    assert raised.value.hint


def test_the_actions_own_timeout_reaches_the_caller_unchanged(pilot: Pilot) -> None:
    from scale_pilot_nb.errors import CallTimeoutError

    form = pilot.deploy_form(NGINX, "my-nginx")
    ended: concurrent.futures.Future[None] = concurrent.futures.Future()
    ended.set_exception(CallTimeoutError("job 7 (app.create) goes on on the NAS"))
    with pytest.raises(CallTimeoutError, match="job 7"):  # not "the form's action did not …"
        form._wait(ended)


def test_form_mimebundle_has_view_html_and_text(pilot: Pilot) -> None:
    bundle = pilot.deploy_form(NGINX, "my-nginx")._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == (
        "DeployForm(name='my-nginx', mode=compose, split=False, yaml=25 lines)"
    )
    assert bundle["text/html"].startswith("<pre>DeployForm(")


# -- dashboard ---------------------------------------------------------------------------------


def test_dashboard_lists_every_app_with_four_actions(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        names = {app.name for app in pilot.list_apps()}
        assert set(board.apps) == names
        header, actions = 4 + 4, 8
        assert len(board.table.children) == header + actions * len(names)
        assert "jellyfin" in repr(board)
    finally:
        board.close()


def test_stop_asks_for_confirmation_then_stops(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        assert board.request("stop", "whoami") is None
        assert board.pending_action is not None
        assert board.confirm_bar.layout.display == ""
        assert pilot.app("whoami").state is AppState.RUNNING  # nothing happened yet
        future = board.confirm()
        assert future is not None
        future.result(WAIT)
        assert pilot.app("whoami").state is AppState.STOPPED
    finally:
        board.close()


def test_cancel_drops_the_pending_action(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        board.request("restart", "whoami")
        board.cancel()
        assert board.confirm() is None
        assert board.confirm_bar.layout.display == "none"
    finally:
        board.close()


def test_state_follows_app_query_events_from_elsewhere(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        assert board.live.wait(WAIT)
        pilot.stop("whoami")  # not through the dashboard: only an event can tell it
        eventually(lambda: board.apps["whoami"].state is AppState.STOPPED, "whoami STOPPED")
        assert "STOPPED" in board._states["whoami"].value
        pilot.deploy(NGINX, "my-nginx")
        eventually(lambda: "my-nginx" in board.apps, "new app row")
        assert "my-nginx" in repr(board)
        pilot.delete("my-nginx", confirm=True)
        eventually(lambda: "my-nginx" not in board.apps, "row removed")
    finally:
        board.close()


def test_closing_stops_events_without_an_error_message(pilot: Pilot) -> None:
    board = pilot.dashboard()
    assert board.live.wait(WAIT)
    board.close()
    with pytest.raises(concurrent.futures.CancelledError):
        board._events.result(WAIT)
    assert board.messages.outputs == ()


def test_a_failed_action_shows_its_error_under_the_table(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        pilot.delete("backup-sync", confirm=True)  # gone, but still a row until the event
        future = board._run("start", "backup-sync")
        with pytest.raises(Exception):  # noqa: B017 - the error type is the manager's business
            future.result(WAIT)
        assert "sp-error" in board.messages.outputs[-1]["data"]["text/html"]
    finally:
        board.close()


def test_split_mode_plans_one_app_per_service(pilot: Pilot) -> None:
    form = pilot.deploy_form(EXAMPLES / "wordpress-stack.yml", "blog")
    form.split_box.value = True
    plan = form.plan()
    assert sorted(plan.app_names) == ["blog-db", "blog-wordpress"]
    [shown] = form.results.outputs  # the whole plan, every app in one view
    assert shown["data"]["text/plain"] == str(plan)
    assert "create 'blog-db'" in str(plan) and "create 'blog-wordpress'" in str(plan)


def test_logs_button_opens_a_viewer_under_the_table(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        assert board.request("logs", "whoami") is None
        assert isinstance(board.log_viewer, LogViewer)
        assert board.log_viewer.widget in board.log_area.children
    finally:
        board.close()


def test_unknown_action_or_app_is_refused(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        with pytest.raises(ValueError, match="action"):
            board.request("explode", "whoami")
        with pytest.raises(ValueError, match="no app"):
            board.request("start", "nope")
    finally:
        board.close()


def test_dashboard_rows_are_bounded_but_events_keep_every_app(pilot: Pilot) -> None:
    board = Dashboard(pilot, max_rows=3)
    try:
        assert board.live.wait(WAIT)
        assert len(board.table.children) == 8 + 8 * 3
        assert "and 6 more apps" in board.more.value
        assert "and 6 more apps" in repr(board)
        pilot.stop("gitea")  # beyond the shown rows: tracked, not drawn
        eventually(lambda: board.apps["gitea"].state is AppState.STOPPED, "gitea STOPPED")
        assert "gitea" not in board._states
    finally:
        board.close()


def test_dashboard_text_is_stable(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        assert isinstance(board, Dashboard)
        assert repr(board) == repr(board)
        assert repr(board).splitlines()[0] == "Dashboard: 9 apps (5 running)"
    finally:
        board.close()


# -- log viewer --------------------------------------------------------------------------------


def test_log_viewer_shows_the_tail(pilot: Pilot) -> None:
    viewer = pilot.log_viewer("whoami", lines=5)
    try:
        eventually(lambda: len(viewer.lines) == 5 and viewer.renders > 0, "tail shown")
        assert all(line.startswith("whoami | ") for line in viewer.lines)
        assert viewer.view.value.count("whoami | ") == 5
    finally:
        viewer.stop()


def test_log_viewer_stays_bounded_and_batched_under_a_high_rate(
    pilot: Pilot, sandbox: Sandbox
) -> None:
    sandbox.call_in_loop(lambda: sandbox.model.set_log_rate(5000))
    viewer = pilot.log_viewer("whoami", lines=20)
    try:
        eventually(lambda: viewer.received > 500, "many lines received")
    finally:
        viewer.stop()
    assert len(viewer.lines) == 20
    assert viewer.view.value.count("whoami | ") <= 20
    assert viewer.renders < viewer.received / 10  # batched, not one render per line


def test_stop_button_stops_and_follow_restarts(pilot: Pilot) -> None:
    viewer = pilot.log_viewer("whoami", lines=5)
    viewer.stop_button.click()
    assert not viewer.following
    assert viewer.stop_button.description == "Follow"
    assert "stopped" in repr(viewer)
    viewer.stop_button.click()
    assert viewer.following
    viewer.stop()


def test_a_superseded_follower_adds_nothing_to_the_fresh_view(pilot: Pilot) -> None:
    # Cancelling the old follower reaches the loop later than follow() clears the view;
    # lines it still receives must not land in the new one.
    viewer = pilot.log_viewer("whoami", lines=5)
    eventually(lambda: len(viewer.lines) == 5, "tail shown")
    stale = viewer._generation
    viewer.follow()
    viewer.stop()
    viewer.lines.clear()
    received = viewer.received
    pilot.submit(viewer._pump(None, stale)).result(WAIT)  # returns at its first line
    assert list(viewer.lines) == []
    assert viewer.received == received


def test_service_selector_lists_the_services(pilot: Pilot) -> None:
    viewer = pilot.log_viewer("whoami")
    viewer.stop()
    assert list(viewer.service_picker.options)[1:] == viewer.services == ["whoami"]


def test_log_viewer_refuses_a_zero_bound(pilot: Pilot) -> None:
    with pytest.raises(ValueError, match="max_lines"):
        LogViewer(pilot, "whoami", max_lines=0)
