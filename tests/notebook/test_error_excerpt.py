"""The deploy form's error excerpt as text: which lines, which one marked, what it says."""

from __future__ import annotations

from scale_pilot_nb.compose import validate
from scale_pilot_nb.compose.report import Finding, Severity, ValidationReport
from scale_pilot_nb.notebook.widgets.error_excerpt import excerpt_html, first_located_error

TEXT = "\n".join(f"line{n}: x" for n in range(1, 21))


def error_at(line: int | None, message: str = "bad <thing>") -> Finding:
    return Finding(Severity.ERROR, "test.rule", "", message, line=line)


def numbers(html: str) -> list[int]:
    return [int(part.split("<", 1)[0]) for part in html.split('sp-excerpt-no">')[1:]]


def test_the_lines_around_the_error_are_numbered_and_it_is_marked() -> None:
    html = excerpt_html(TEXT, error_at(10), context=2)
    assert numbers(html) == [8, 9, 10, 11, 12]
    assert 'sp-excerpt-hit"><span class="sp-excerpt-no">10</span><span>line10: x' in html
    assert "line 10: bad &lt;thing&gt; (test.rule)" in html


def test_the_excerpt_stops_at_the_ends_of_the_text() -> None:
    assert numbers(excerpt_html(TEXT, error_at(1), context=3)) == [1, 2, 3, 4]
    assert numbers(excerpt_html(TEXT, error_at(20), context=3)) == [17, 18, 19, 20]


def test_an_error_after_the_last_line_marks_an_empty_line() -> None:
    html = excerpt_html("a: 1\n", error_at(2), context=1)
    assert numbers(html) == [1, 2]
    assert 'sp-excerpt-no">2</span><span></span>' in html


def test_the_first_error_in_the_document_with_a_line_is_the_one_pointed_at() -> None:
    report = ValidationReport([error_at(None), error_at(7), error_at(3)])
    assert first_located_error(report) == error_at(3)  # the report keeps document order
    assert first_located_error(ValidationReport([error_at(None)])) is None


def test_a_real_report_points_at_the_offending_port() -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n"
    finding = first_located_error(validate(text))
    assert finding is not None and finding.rule == "truenas.reserved-port"
    assert finding.line == 4
