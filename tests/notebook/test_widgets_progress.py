"""Job progress: a widget bar in a notebook, text lines anywhere else."""

from __future__ import annotations

import io

from scale_pilot_nb.notebook.widgets.progress import (
    ProgressBar,
    TextProgress,
    in_notebook,
    job_progress,
)


def test_outside_a_kernel_progress_degrades_to_text() -> None:
    assert not in_notebook()
    assert isinstance(job_progress("deploy web"), TextProgress)


def test_text_progress_writes_one_line_per_new_description() -> None:
    stream = io.StringIO()
    progress = TextProgress("deploy web", stream=stream)
    progress(0, "")
    progress(25, "Initial validation completed")
    progress(25, "Initial validation completed")
    progress(None, "waiting")  # keeps the bar where it was
    progress.finish(True, "web is RUNNING")
    assert stream.getvalue().splitlines() == [
        "deploy web",
        "  [##........]  25% Initial validation completed",
        "  [##........]  25% waiting",
        "  done: web is RUNNING",
    ]


def test_progress_bar_follows_job_events_and_clamps() -> None:
    bar = ProgressBar("deploy web")
    bar(60, "pulling images")
    assert (bar.bar.value, bar.label.value) == (60, "pulling images")
    bar(250, "")
    assert bar.bar.value == 100
    assert bar.label.value == "pulling images"
    bar.finish(False, "failed")
    assert bar.bar.bar_style == "danger"
    assert repr(bar) == "deploy web [##########] 100% failed"


def test_progress_bar_mimebundle_has_stable_text() -> None:
    bar = ProgressBar("deploy web")
    bundle = bar._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "deploy web [..........]   0%"
