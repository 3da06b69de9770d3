"""6. Log streaming: lines per second from ``app.container_log_follow`` at a high log rate.

The sandbox writes log lines as fast as it can (``model.set_log_rate``); the SDK reads them
(a) through ``pilot.log_lines(follow=True)``, a synchronous iterator, and (b) into the notebook's
log viewer widget model (bounded ``deque``, batched renders). The floor is a raw subscription
counting the event frames. Peak memory (``tracemalloc``, whole process: client and sandbox)
is measured over two run lengths: bounded means it stops growing with time.
"""

from __future__ import annotations

import json
import statistics
import time
import tracemalloc
from collections.abc import Callable

from benchmarks._harness import Row
from benchmarks._raw import RawClient
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox

APP = "app-0001"
LOG_RATE = 20_000.0
SPAN = 3.0


def _iterator_lines(pilot: Pilot, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    lines = 0
    stream = pilot.log_lines(APP, tail=1, follow=True)
    try:
        for _ in stream:
            lines += 1
            if time.monotonic() >= deadline:
                break
    finally:
        stream.close()  # type: ignore[attr-defined]
    return lines


def _widget_lines(pilot: Pilot, seconds: float) -> int | None:
    try:
        from scale_pilot_nb.notebook.widgets.log_viewer import LogViewer
    except ImportError:
        return None
    viewer = LogViewer(pilot, APP, max_lines=200)
    try:
        time.sleep(seconds)
        return viewer.received
    finally:
        viewer.stop()


def _peak(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(rounds: int = 2, span: float = SPAN) -> list[Row]:
    with Sandbox(seed=1) as sb, RawClient(sb) as raw:
        sb.call_in_loop(lambda: sb.model.set_log_rate(LOG_RATE))
        (container,) = raw.call("app.container_ids", APP, {"alive_only": False})
        source = "app.container_log_follow:" + json.dumps(
            {"app_name": APP, "container_id": container, "tail_lines": 1}
        )
        with Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username)) as pilot:
            sdk, floor = [], []
            for _ in range(rounds):
                sdk.append(_iterator_lines(pilot, span) / span)
                with RawClient(sb) as fresh:  # a fresh subscription per round
                    floor.append(fresh.collect(source, quiet=1.0, duration=span) / span)
            widget = _widget_lines(pilot, span)
            # The iterator is slower than the producer: its backlog grows until the queues
            # are full (10,000 lines in follow_logs, 1,000 events per subscription), then
            # stays: hence runs long enough to reach that plateau.
            short = _peak(lambda: _iterator_lines(pilot, 2 * span))
            long = _peak(lambda: _iterator_lines(pilot, 8 * span))
            widget_short = _peak(lambda: _widget_lines(pilot, span))
            widget_long = _peak(lambda: _widget_lines(pilot, 2 * span))
    sdk_rate, floor_rate = statistics.median(sdk), statistics.median(floor)
    rows = [
        Row(
            "6 log streaming",
            f"pilot.log_lines(follow=True) iterator, sandbox log rate {LOG_RATE:.0f}/s",
            f"{sdk_rate:.0f} lines/s",
            f"raw subscription {floor_rate:.0f} events/s",
            f"ratio {sdk_rate / floor_rate:.2f}; peak memory {short / 2**20:.1f} MiB over "
            f"{2 * span:.0f} s, {long / 2**20:.1f} MiB over {8 * span:.0f} s",
        )
    ]
    widget_result = (
        f"{widget / span:.0f} lines/s" if widget is not None else "skipped: no widget module"
    )
    rows.append(
        Row(
            "6 log streaming",
            "LogViewer widget model (deque of 200 lines, renders every 0.1 s)",
            widget_result,
            f"raw subscription {floor_rate:.0f} events/s",
            f"ratio {widget / span / floor_rate:.2f}; peak memory {widget_short / 2**20:.1f} MiB "
            f"over {span:.0f} s, {widget_long / 2**20:.1f} MiB over {2 * span:.0f} s"
            if widget is not None
            else "-",
        )
    )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
