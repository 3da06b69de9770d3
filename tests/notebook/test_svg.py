"""The SVG line chart as text: one polyline per series, escaped labels, same input same bytes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from scale_pilot_nb.notebook.svg import PALETTE, Series, line_chart

NS = "{http://www.w3.org/2000/svg}"


def chart(series: list[Series], slots: int = 4) -> str:
    return line_chart(series, slots=slots, y_label="cpu %", x_label="last 4 samples")


def test_one_polyline_per_series_in_palette_order() -> None:
    svg = chart([Series("a", [1, 2, 3]), Series("b", [3, 2])])
    root = ET.fromstring(svg)  # well-formed XML
    lines = root.findall(f"{NS}polyline")
    assert [line.get("stroke") for line in lines] == list(PALETTE[:2])
    assert [len(line.get("points", "").split()) for line in lines] == [3, 2]


def test_newest_values_share_the_right_edge_and_the_top_is_the_maximum() -> None:
    svg = chart([Series("a", [0, 10]), Series("b", [5])])
    a, b = (line.get("points", "").split() for line in ET.fromstring(svg).iter(f"{NS}polyline"))
    assert a[-1].split(",")[0] == b[-1].split(",")[0]
    assert float(a[-1].split(",")[1]) < float(b[-1].split(",")[1]) < float(a[0].split(",")[1])


def test_labels_are_escaped() -> None:
    svg = line_chart(
        [Series("<b>&x", [1.0])], slots=2, y_label='"y"<', x_label="x&", format_value=str
    )
    assert "&lt;b&gt;&amp;x (1.0)" in svg
    assert "&quot;y&quot;&lt;" in svg and "x&amp;" in svg
    assert "<b>" not in svg
    ET.fromstring(svg)


def test_output_is_deterministic() -> None:
    series = [Series("web", [0.5, 1.25, float("nan")]), Series("db", [2.0])]
    assert chart(series) == chart(list(series))
    assert "nan" not in chart(series)


def test_empty_input_says_so_and_draws_no_line() -> None:
    for series in ([], [Series("idle", [])]):
        svg = chart(series)
        assert "no samples yet" in svg
        assert "<polyline" not in svg
        ET.fromstring(svg)


def test_a_flat_zero_series_lies_on_the_x_axis() -> None:
    svg = line_chart([Series("idle", [0, 0])], slots=2, y_label="y", x_label="x", height=240)
    (line,) = ET.fromstring(svg).iter(f"{NS}polyline")
    assert {point.split(",")[1] for point in line.get("points", "").split()} == {"200.0"}


def test_too_few_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="slots"):
        chart([Series("a", [1, 2, 3])], slots=2)
