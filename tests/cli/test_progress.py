"""Job progress: plain lines for logs and pipes, one redrawn bar on a terminal."""

from __future__ import annotations

import io

from scale_pilot_nb.cli.progress import ProgressPrinter


def test_plain_lines_only_when_something_changed() -> None:
    stream = io.StringIO()
    progress = ProgressPrinter(stream)
    for percent, text in [(0, ""), (25, "validating"), (25, "validating"), (60, ""), (100, "done")]:
        progress(percent, text)
    progress.finish()
    assert stream.getvalue().splitlines() == [" 25% validating", " 60% validating", "100% done"]


def test_terminal_bar_is_redrawn_in_place_and_ended() -> None:
    stream = io.StringIO()
    progress = ProgressPrinter(stream, terminal=True)
    progress(50, "pulling images")
    progress(None, "waiting")
    progress.finish()
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert "[##########..........]  50% pulling images" in text
    assert "  ?% waiting" in text
    assert text.endswith("\n")
    assert all(len(part.rstrip("\n")) < 80 for part in text.split("\r"))


def test_finish_without_drawing_writes_nothing() -> None:
    stream = io.StringIO()
    ProgressPrinter(stream, terminal=True).finish()
    assert stream.getvalue() == ""
