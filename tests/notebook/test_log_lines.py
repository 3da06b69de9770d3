"""The log viewer's markup as text: escaping, stable service colours, marked matches."""

from __future__ import annotations

import zlib

from scale_pilot_nb.manager.logs import LogLine
from scale_pilot_nb.notebook.widgets.log_lines import (
    PALETTE_SIZE,
    matching,
    service_class,
    view_html,
)


def line(service: str, data: str) -> LogLine:
    return LogLine(service=service, container_id="c1", data=data)


def test_a_service_keeps_its_colour_across_processes() -> None:
    # CRC-32 is fixed by its definition, unlike hash() of a str (salted per process).
    expected = zlib.crc32(b"database") % PALETTE_SIZE
    assert service_class("database") == f"sp-svc-{expected}"
    assert service_class("database") == service_class("database")


def test_lines_are_escaped_with_their_prefix_coloured() -> None:
    html = view_html([line("web", "<b>GET</b> /?a=1&b=2")])
    assert f'<span class="sp-log-service {service_class("web")}">web</span> | ' in html
    assert "&lt;b&gt;GET&lt;/b&gt; /?a=1&amp;b=2" in html
    assert "<b>" not in html


def test_matches_are_marked_ignoring_case_and_escaped() -> None:
    html = view_html([line("web", "GET /a<b> get")], "get")
    assert html.count('<mark class="sp-log-match">') == 2
    assert (
        '<mark class="sp-log-match">GET</mark> /a&lt;b&gt; <mark class="sp-log-match">get' in html
    )


def test_matching_looks_at_the_prefix_too() -> None:
    lines = [line("redis", "ready"), line("web", "GET /")]
    assert matching(lines, "REDIS") == [lines[0]]
    assert matching(lines, "") == lines


def test_an_empty_view_says_so() -> None:
    assert "(nothing here)" in view_html([], empty="(nothing here)")
    assert 'class="sp-log-view"' in view_html([])
