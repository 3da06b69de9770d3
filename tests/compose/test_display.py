"""The renderer registry compose results use instead of importing the notebook layer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scale_pilot_nb.compose import display


class Shape:
    pass


class Square(Shape):
    pass


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(display, "_renderers", {})
    yield


def test_nothing_registered_means_no_html(clean_registry: None) -> None:
    assert display.html_of(Shape()) is None


def test_subclasses_use_the_nearest_registered_renderer(clean_registry: None) -> None:
    display.register_html(Shape, lambda obj: "<b>shape</b>")
    assert display.html_of(Square()) == "<b>shape</b>"
    display.register_html(Square, lambda obj: "<b>square</b>")
    assert display.html_of(Square()) == "<b>square</b>"
    assert display.html_of(Shape()) == "<b>shape</b>"
