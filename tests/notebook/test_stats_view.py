"""The live stats chart against a sandbox whose ``app.stats`` ticks every 20 ms.

``Timing(stats_scale=0.01)`` turns the NAS's minimum 2 s interval into 20 ms, so a window
fills in a fraction of a second. Waits are bounded by :meth:`StatsView.wait` or polling.
"""

from __future__ import annotations

import concurrent.futures
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.notebook.widgets import StatsView
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

WAIT = 20.0
NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def fast_sandbox(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    return make_sandbox("25.10", "demo", test_methods=False, timing=Timing(stats_scale=0.01))


@pytest.fixture
def pilot(fast_sandbox: Sandbox) -> Iterator[Pilot]:
    from scale_pilot_nb.manager.manager import TrueNASDockerManager

    manager = TrueNASDockerManager(
        fast_sandbox.url, fast_sandbox.api_key, username=fast_sandbox.username
    )
    with Pilot(manager) as pilot:
        yield pilot


def stop_and_settle(view: StatsView) -> None:
    """Stop, then wait until the loop has dropped the subscription (no sample lands later)."""
    following = view._following
    view.stop()
    assert following is not None
    with pytest.raises(concurrent.futures.CancelledError):
        following.result(WAIT)


def polylines(view: StatsView) -> list[ET.Element]:
    return list(ET.fromstring(view.chart.value).iter(f"{NS}polyline"))


def test_samples_arrive_and_the_top_apps_are_drawn(pilot: Pilot) -> None:
    view = pilot.stats_view(top=3)
    try:
        assert view.wait(3, WAIT)
    finally:
        stop_and_settle(view)
    apps = {app.name for app in pilot.list_apps()}
    assert set(view.history) == apps
    shown = view.shown()
    assert len(shown) == 3
    assert len(polylines(view)) == 3
    assert all(f">{name} (" in view.chart.value for name in shown)
    means = {a: sum(r["cpu_percent"] for r in view.history[a]) / len(view.history[a]) for a in apps}
    assert min(means[a] for a in shown) >= max(means[a] for a in apps - set(shown))


def test_the_window_bounds_each_app_history(pilot: Pilot) -> None:
    view = pilot.stats_view(window=4)
    try:
        assert view.wait(10, WAIT)
    finally:
        stop_and_settle(view)
    assert view.samples >= 10
    assert 0 < view.renders <= view.samples  # one redraw per sample, never more
    assert all(len(readings) == 4 for readings in view.history.values())
    assert all(len(line.get("points", "").split()) == 4 for line in polylines(view))


def test_metric_selector_redraws_from_the_history(pilot: Pilot) -> None:
    view = pilot.stats_view(metric="memory")
    try:
        assert view.wait(2, WAIT)
    finally:
        stop_and_settle(view)
    assert "memory" in view.chart.value and "MiB" in view.chart.value
    view.metric_picker.value = "rx"
    assert view.metric == "rx"
    assert "rx rate" in view.chart.value and "/s)</text>" in view.chart.value
    assert len(polylines(view)) == min(view.top, len(view.history))


def test_stop_ends_the_subscription_and_follow_restarts(
    pilot: Pilot, fast_sandbox: Sandbox
) -> None:
    view = pilot.stats_view()
    assert view.wait(1, WAIT)
    following = view._following
    view.stop_button.click()
    assert not view.following and view.stop_button.description == "Follow"
    with pytest.raises(concurrent.futures.CancelledError):
        following.result(WAIT)  # type: ignore[union-attr]
    deadline = time.monotonic() + WAIT
    while fast_sandbox.metrics.requests.get("core.unsubscribe", 0) < 1:
        assert time.monotonic() < deadline, "the subscription was never ended"
        time.sleep(0.02)
    after_stop = view.samples
    time.sleep(0.1)  # five sample periods: nothing more may arrive
    assert view.samples == after_stop
    assert "stopped" in repr(view)
    view.stop_button.click()
    assert view.following and view.samples == 0
    assert view.wait(1, WAIT)
    view.close()
    assert not view.following and view.stop_button.disabled
    assert "<polyline" in view._repr_mimebundle_()["text/html"]  # still displayable


def test_mimebundle_has_view_svg_and_text(pilot: Pilot) -> None:
    view = pilot.stats_view()
    try:
        assert view.wait(1, WAIT)
        bundle = view._repr_mimebundle_()
    finally:
        view.close()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("StatsView(cpu %, top 5 of ")
    assert "<svg" in bundle["text/html"] and "<polyline" in bundle["text/html"]


def test_bad_arguments_are_refused(pilot: Pilot) -> None:
    with pytest.raises(ValueError, match="metric must be one of cpu, memory, rx, tx"):
        pilot.stats_view(metric="disk")
    with pytest.raises(ValueError, match="window"):
        pilot.stats_view(window=0)


def test_a_nas_without_apps_shows_the_error_in_the_chart(
    pilot: Pilot, fast_sandbox: Sandbox
) -> None:
    fast_sandbox.call_in_loop(lambda: fast_sandbox.model.set_docker_pool(None))
    view = pilot.stats_view()
    with pytest.raises(TrueNASError, match="Apps are not available"):
        view._following.result(WAIT)  # type: ignore[union-attr]
    assert view.status.value == "failed"
    assert "sp-error" in view.chart.value and "Apps are not available" in view.chart.value


def test_the_chart_says_when_the_nas_ends_the_samples(pilot: Pilot, fast_sandbox: Sandbox) -> None:
    view = pilot.stats_view()
    assert view.wait(1, WAIT)
    fast_sandbox.call_in_loop(lambda: fast_sandbox.model.set_docker_pool(None))
    view._following.result(WAIT)  # type: ignore[union-attr]
    assert view.status.value == "ended"
    assert view.stop_button.description == "Follow"
    assert "<polyline" in view.chart.value  # what was drawn stays
