"""Widgets driven without a browser: build them against the sandbox, click, look at outputs.

Buttons are pressed with ``Button.click()``, which runs the same handlers a browser click
does; the work then runs on the Pilot's loop and the test waits on the widget's future.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator

import pytest

from scale_pilot_nb import examples
from scale_pilot_nb.notebook.widgets import DeployForm, LogViewer
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.records import AppState
from scale_pilot_nb.sandbox import Sandbox
from tests.notebook.widget_support import WAIT, eventually, pilot_on

EXAMPLES = examples.path()
NGINX = (EXAMPLES / "nginx.yml").read_text()


@pytest.fixture
def pilot(sandbox: Sandbox) -> Iterator[Pilot]:
    with pilot_on(sandbox) as pilot:
        yield pilot


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


def test_report_title_names_the_app_not_string(pilot: Pilot) -> None:
    form = pilot.deploy_form("services:\n  web:\n    ports: ['80:80']\n", "bad")
    report = form.validate()
    assert report.source == "bad"
    assert str(report).splitlines()[0] == "Compose validation of bad for app 'bad' (compose mode)"
    [output] = form.results.outputs
    assert "<string>" not in output["data"]["text/plain"]
    assert "&lt;string&gt;" not in output["data"]["text/html"]


def test_report_title_names_the_file_the_editor_came_from(pilot: Pilot) -> None:
    picked = pilot.deploy_form()
    picked.example_picker.value = "redis.yml"
    assert picked.validate().source == "redis.yml"
    given = pilot.deploy_form(EXAMPLES / "nginx.yml", "my-nginx")
    assert given.validate().source == "nginx.yml"


def test_the_first_errors_line_is_shown_marked_under_the_editor(pilot: Pilot) -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n"
    form = pilot.deploy_form(text, "bad")
    report = form.validate()
    first = report.errors[0]
    assert first.line == 4
    excerpt = form.error_excerpt.value
    assert form.error_excerpt.layout.display == ""
    assert excerpt.count("sp-excerpt-hit") == 1
    marked = excerpt.split('sp-excerpt-hit">', 1)[1]
    assert marked.startswith('<span class="sp-excerpt-no">4</span>')
    assert "ports: [&#x27;80:80&#x27;]" in marked.split("</div>", 1)[0]
    assert first.message.split(",")[0].replace("'", "&#x27;") in excerpt


def test_a_yaml_error_at_the_end_marks_the_line_after_the_text(pilot: Pilot) -> None:
    form = pilot.deploy_form("services:\n  web: [\n", "bad")
    report = form.validate()
    assert report.errors[0].rule == "load.error"
    assert f'sp-excerpt-no">{report.errors[0].line}</span>' in form.error_excerpt.value
    assert report.source == "bad"


def test_plan_of_a_flawed_file_marks_its_first_error_too(pilot: Pilot) -> None:
    from scale_pilot_nb.errors import ComposeInvalidError

    form = pilot.deploy_form(
        "services:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n", "bad"
    )
    with pytest.raises(ComposeInvalidError) as raised:
        form.plan()
    assert raised.value.report.source == "bad"
    assert "<string>" not in form.results.outputs[-1]["data"]["text/plain"]
    assert 'sp-excerpt-no">4</span>' in form.error_excerpt.value


def test_a_valid_file_hides_the_excerpt(pilot: Pilot) -> None:
    form = pilot.deploy_form("services:\n  web:\n    ports: ['80:80']\n", "bad")
    form.validate()
    assert form.error_excerpt.layout.display == ""
    form.editor.value = NGINX
    assert form.validate().valid
    assert form.error_excerpt.layout.display == "none"
    assert form.error_excerpt.value == ""


def test_split_mode_plans_one_app_per_service(pilot: Pilot) -> None:
    form = pilot.deploy_form(EXAMPLES / "wordpress-stack.yml", "blog")
    form.split_box.value = True
    plan = form.plan()
    assert sorted(plan.app_names) == ["blog-db", "blog-wordpress"]
    [shown] = form.results.outputs  # the whole plan, every app in one view
    assert shown["data"]["text/plain"] == str(plan)
    assert "create 'blog-db'" in str(plan) and "create 'blog-wordpress'" in str(plan)


# -- log viewer --------------------------------------------------------------------------------


def test_log_viewer_shows_the_tail(pilot: Pilot) -> None:
    viewer = pilot.log_viewer("whoami", lines=5)
    try:
        eventually(lambda: len(viewer.lines) == 5 and viewer.renders > 0, "tail shown")
        assert all(str(line).startswith("whoami | ") for line in viewer.lines)
        assert viewer.view.value.count('class="sp-log-line"') == 5
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
    assert viewer.view.value.count('class="sp-log-line"') <= 20
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


def test_service_prefixes_are_coloured_one_colour_per_service(pilot: Pilot) -> None:
    from scale_pilot_nb.notebook.widgets.log_lines import service_class

    viewer = pilot.log_viewer("photos", lines=40)
    try:
        eventually(lambda: len({line.service for line in viewer.lines}) > 1, "two services")
        eventually(lambda: viewer.renders > 0 and "sp-log-service" in viewer.view.value, "shown")
    finally:
        viewer.stop()
    view = viewer.view.value
    services = {line.service for line in viewer.lines}
    for service in services:
        assert f'class="sp-log-service {service_class(service)}">{service}</span> | ' in view
    assert len({service_class(s) for s in services}) > 1


def test_search_narrows_the_view_and_marks_the_text(pilot: Pilot) -> None:
    viewer = pilot.log_viewer("whoami", lines=20)
    try:
        eventually(lambda: len(viewer.lines) == 20, "tail kept")
    finally:
        viewer.stop()
    lines = [str(line).casefold() for line in viewer.lines]
    word = next(
        w
        for line in viewer.lines
        for w in line.data.split()
        if len(w) > 3 and 0 < sum(w.casefold() in text for text in lines) < len(lines)
    )
    wanted = sum(word.casefold() in text for text in lines)
    viewer.search_box.value = word.upper()
    view = viewer.view.value
    assert view.count('class="sp-log-line"') == wanted
    assert '<mark class="sp-log-match">' in view
    assert viewer.found.value == f"{wanted} of 20 lines"
    viewer.search_box.value = "no line says this"
    assert "(no line contains" in viewer.view.value
    assert viewer.found.value == "0 of 20 lines"
    viewer.search_box.value = ""
    assert viewer.view.value.count('class="sp-log-line"') == 20
    assert viewer.found.value == ""


def test_log_lines_wrap_between_words_and_the_stylesheet_comes_along(pilot: Pilot) -> None:
    import re

    from scale_pilot_nb.notebook._markup import widget_stylesheet

    viewer = pilot.log_viewer("whoami", lines=5)
    viewer.stop()
    [rule] = re.findall(r"\.sp-log-line \{([^}]*)\}", widget_stylesheet())
    assert "white-space: pre-wrap" in rule
    assert "word-break: normal" in rule
    assert "overflow-wrap: anywhere" in rule
    styles = [w for w in viewer.widget.children if "<style>" in getattr(w, "value", "")]
    assert styles and ".sp-log-line" in styles[0].value
    assert "sp-widget" in viewer.widget._dom_classes
