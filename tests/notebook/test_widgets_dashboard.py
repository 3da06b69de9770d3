"""The dashboard against a sandbox: rows, buttons by state, header, stats columns, filter.

Most tests use a sandbox with ``app.stats`` every 20 ms (``Timing(stats_scale=0.01)``), so the
cpu and memory columns fill within a fraction of a second; state changes arrive as real
``app.query`` events over the socket.
"""

from __future__ import annotations

import concurrent.futures
import re
from collections.abc import Callable, Iterator

import pytest

from scale_pilot_nb import examples
from scale_pilot_nb.notebook.widgets import Dashboard, LogViewer
from scale_pilot_nb.notebook.widgets.dashboard_row import ACTIONS, COLUMNS, NO_VALUE
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.records import AppState
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing
from tests.notebook.widget_support import WAIT, eventually, pilot_on

NGINX = (examples.path() / "nginx.yml").read_text()
CELLS_PER_ROW = len(COLUMNS) + len(ACTIONS)
TITLE = (
    "Dashboard of truenas (TrueNAS 25.10.6): 9 apps (5 running, 1 deploying, 2 stopped, 1 crashed)"
)


@pytest.fixture
def fast_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox("25.10", "demo", test_methods=False, timing=Timing(stats_scale=0.01))


@pytest.fixture
def pilot(fast_sandbox: Sandbox) -> Iterator[Pilot]:
    with pilot_on(fast_sandbox) as pilot:
        yield pilot


@pytest.fixture
def board(pilot: Pilot) -> Iterator[Dashboard]:
    board = pilot.dashboard()
    assert board.live.wait(WAIT)
    yield board
    board.close()


def enabled(board: Dashboard, app: str) -> set[str]:
    """The actions whose buttons can be pressed for ``app``."""
    return {a for a, button in board._rows[app].buttons.items() if not button.disabled}


def shown_apps(board: Dashboard) -> list[str]:
    """The app names in the table's rows, in order."""
    cells = board.table.children[CELLS_PER_ROW::CELLS_PER_ROW]
    return [re.sub(r"<[^>]+>", "", cell.value) for cell in cells]


def test_dashboard_lists_every_app_with_its_columns_and_four_actions(pilot: Pilot) -> None:
    board = pilot.dashboard()
    try:
        names = {app.name for app in pilot.list_apps()}
        assert set(board.apps) == names
        assert len(board.table.children) == CELLS_PER_ROW * (1 + len(names))
        titles = [cell.value for cell in board.table.children[: len(COLUMNS)]]
        assert titles == [f"<b>{title}</b>" for title in COLUMNS]
        assert "cpu" in COLUMNS and "memory" in COLUMNS
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
        assert "STOPPED" in board._rows["whoami"].state.value
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
        assert len(board.table.children) == CELLS_PER_ROW * (1 + 3)
        assert "and 6 more apps" in board.more.value
        assert "and 6 more apps" in repr(board)
        pilot.stop("gitea")  # beyond the shown rows: tracked, not drawn
        eventually(lambda: board.apps["gitea"].state is AppState.STOPPED, "gitea STOPPED")
        assert "gitea" not in board._rows
    finally:
        board.close()


def test_dashboard_text_is_stable(pilot: Pilot, make_sandbox: Callable[..., Sandbox]) -> None:
    # the text of a notebook cell's output: the same seed must print the same dashboard, and
    # each row must say what pilot.list_apps() says of its app
    apps = {(app.name, app.state.value) for app in pilot.list_apps()}
    twin = make_sandbox("25.10", "demo", test_methods=False, timing=Timing(stats_scale=0.01))
    with pilot_on(twin) as other:
        board, again = pilot.dashboard(), other.dashboard()
        try:
            assert isinstance(board, Dashboard)
            text = repr(board)
            assert text == repr(again)
        finally:
            board.close()
            again.close()
    title, columns, *rows = text.splitlines()
    assert title == TITLE
    assert columns.split() == ["app", "state", "version", "ports"]
    assert {tuple(re.split(r"\s{2,}", row)[:2]) for row in rows} == apps
    assert len(rows) == len(apps)


# -- buttons by state --------------------------------------------------------------------------


def test_buttons_are_enabled_by_each_apps_state(board: Dashboard) -> None:
    states = {name: app.state for name, app in board.apps.items()}
    assert states["whoami"] is AppState.RUNNING
    assert enabled(board, "whoami") == {"stop", "restart", "logs"}
    assert states["search"] is AppState.DEPLOYING
    assert enabled(board, "search") == {"stop", "restart", "logs"}
    assert states["syncthing"] is AppState.STOPPED
    assert enabled(board, "syncthing") == {"start", "logs"}
    assert states["nightly-report"] is AppState.CRASHED
    assert enabled(board, "nightly-report") == {"start", "logs"}


def test_a_disabled_button_says_why_in_its_tooltip(board: Dashboard) -> None:
    buttons = board._rows["syncthing"].buttons
    assert buttons["stop"].tooltip == "syncthing is STOPPED: nothing to stop (use Start)"
    assert buttons["start"].tooltip == "start syncthing"
    assert board._rows["whoami"].buttons["start"].tooltip == "whoami is already RUNNING"


def test_buttons_follow_a_state_change_made_elsewhere(pilot: Pilot, board: Dashboard) -> None:
    pilot.stop("whoami")  # not through the dashboard: only the event can tell it
    eventually(lambda: enabled(board, "whoami") == {"start", "logs"}, "Start enabled")
    pilot.start("whoami")
    eventually(lambda: enabled(board, "whoami") == {"stop", "restart", "logs"}, "Stop enabled")


def test_an_action_disables_the_apps_buttons_until_it_ends(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    slow_jobs = make_sandbox("25.10", "demo", test_methods=False, timing=Timing(job_delay=1.0))
    with pilot_on(slow_jobs) as pilot:
        board = pilot.dashboard()
        try:
            future = board.request("start", "syncthing")
            assert future is not None
            assert enabled(board, "syncthing") == {"logs"}  # the job runs for a second
            tooltip = board._rows["syncthing"].buttons["start"].tooltip
            assert tooltip == "start syncthing is in progress"
            future.result(WAIT)
            eventually(
                lambda: enabled(board, "syncthing") == {"stop", "restart", "logs"}, "running"
            )
        finally:
            board.close()


def test_an_action_the_state_does_not_allow_is_not_run(pilot: Pilot, board: Dashboard) -> None:
    assert board.request("start", "whoami") is None
    assert board.pending_action is None
    assert "already RUNNING" in board.messages.outputs[-1]["data"]["text/plain"]


def test_a_confirmed_stop_is_dropped_when_the_app_stopped_meanwhile(
    pilot: Pilot, board: Dashboard
) -> None:
    board.request("stop", "whoami")
    pilot.stop("whoami")
    eventually(lambda: board.apps["whoami"].state is AppState.STOPPED, "whoami STOPPED")
    assert board.confirm() is None
    assert "nothing to stop" in board.messages.outputs[-1]["data"]["text/plain"]


# -- header ------------------------------------------------------------------------------------


def test_header_names_the_nas_counts_states_and_says_when(board: Dashboard) -> None:
    header = board.header.value
    assert TITLE in header
    assert re.search(r"updated \d\d:\d\d:\d\d", header)


def test_header_counts_follow_events(pilot: Pilot, board: Dashboard) -> None:
    pilot.stop("whoami")
    eventually(lambda: "(4 running, 1 deploying, 3 stopped" in board.header.value, "recount")
    assert "(4 running, 1 deploying, 3 stopped, 1 crashed)" in repr(board).splitlines()[0]


# -- cpu and memory ----------------------------------------------------------------------------


def test_cpu_and_memory_show_numbers_for_a_running_app(board: Dashboard) -> None:
    eventually(lambda: board.samples_seen > 0, "an app.stats sample")
    row = board._rows["photos"]
    assert re.fullmatch(r"\d+\.\d %", row.cpu.value)
    assert re.fullmatch(r"\d+(\.\d)? (B|KiB|MiB|GiB)", row.memory.value)
    assert row.cpu in board.table.children and row.memory in board.table.children


def test_cpu_and_memory_are_a_dash_for_apps_that_do_not_run(pilot: Pilot, board: Dashboard) -> None:
    eventually(lambda: board.samples_seen > 0, "an app.stats sample")
    for name in ("syncthing", "nightly-report", "backup-sync"):
        assert (board._rows[name].cpu.value, board._rows[name].memory.value) == (
            NO_VALUE,
            NO_VALUE,
        )
    pilot.stop("photos")
    eventually(lambda: board._rows["photos"].cpu.value == NO_VALUE, "photos dashed")
    assert board._rows["photos"].memory.value == NO_VALUE


# -- filter ------------------------------------------------------------------------------------


def test_filter_narrows_rows_by_name_or_state_ignoring_case(board: Dashboard) -> None:
    assert len(shown_apps(board)) == 9
    board.filter_box.value = "STOP"
    assert shown_apps(board) == ["syncthing", "backup-sync"]
    board.filter_box.value = "Git"
    assert shown_apps(board) == ["gitea"]
    assert "filter 'Git': 1 of 9 apps" in repr(board)
    board.filter_box.value = "nothing-like-this"
    assert shown_apps(board) == []
    board.filter_box.value = ""
    assert len(shown_apps(board)) == 9


def test_filtered_rows_follow_state_changes(pilot: Pilot, board: Dashboard) -> None:
    board.filter_box.value = "stopped"
    pilot.stop("whoami")
    eventually(lambda: "whoami" in shown_apps(board), "whoami joins the stopped rows")
    pilot.start("whoami")
    eventually(lambda: "whoami" not in shown_apps(board), "whoami leaves them")


def test_filtering_reuses_the_row_widgets(board: Dashboard) -> None:
    row = board._rows["gitea"]
    board.filter_box.value = "gitea"
    board.filter_box.value = ""
    assert board._rows["gitea"] is row
    assert row.buttons["stop"] in board.table.children
