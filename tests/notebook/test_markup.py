"""HTML building blocks: escaping, the stylesheet, the text fallback and the text-only switch."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from scale_pilot_nb.notebook import _markup
from scale_pilot_nb.notebook._markup import (
    DISPLAY_ENV,
    badge,
    display_style,
    document,
    esc,
    facts,
    section,
    set_display_style,
    stylesheet,
    table,
)

HOSTILE = "<script>alert('x')</script>&\""


@pytest.fixture(autouse=True)
def default_style(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(DISPLAY_ENV, raising=False)
    set_display_style(None)
    yield
    set_display_style(None)


def test_every_builder_escapes_what_it_is_given() -> None:
    fragments = [
        esc(HOSTILE),
        badge(HOSTILE),
        facts([(HOSTILE, esc(HOSTILE))]),
        table([HOSTILE], [[esc(HOSTILE)]]),
        section(HOSTILE, esc(HOSTILE), count=1),
        document(HOSTILE, esc(HOSTILE)),
    ]
    for fragment in fragments:
        assert "<script>" not in fragment
        assert "&lt;script&gt;" in fragment
    assert esc(None) == "—"


def test_stylesheet_uses_theme_variables_and_no_external_assets() -> None:
    css = stylesheet()
    assert "var(--jp-layout-color0" in css and "--sp-fg" in css
    assert 'html[theme="dark"]' in css
    assert not re.search(r"url\(|@import|https?://", css)
    assert stylesheet() is css  # read once


def test_document_carries_a_hidden_text_fallback_and_a_hidden_card() -> None:
    out = document("App('web')", '<div class="sp-card">card</div>')
    assert out.startswith("<style>")
    assert '<pre class="sp-text-fallback">App(&#x27;web&#x27;)</pre>' in out
    assert '<div class="sp-wrap" style="display:none"><div class="sp-card">card</div>' in out
    assert ".sp-text-fallback {\n  display: none;" in stylesheet()
    assert "<script" not in out and "id=" not in out


def test_text_style_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISPLAY_ENV, "text")
    assert display_style() == "text"
    assert document("a < b", "<b>card</b>") == "<pre>a &lt; b</pre>"


def test_the_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DISPLAY_ENV, "text")
    set_display_style("html")
    assert display_style() == "html"
    monkeypatch.delenv(DISPLAY_ENV)
    set_display_style("text")
    assert document("t", "<b>card</b>") == "<pre>t</pre>"


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="'html', 'text' or None"):
        set_display_style("fancy")  # type: ignore[arg-type]
    assert _markup.display_style() == "html"


def test_badges_take_their_tone_from_the_word() -> None:
    assert "sp-tone-ok" in badge("RUNNING")
    assert "sp-tone-error" in badge("crashed")
    assert "sp-tone-warn" in badge("warning")
    assert "sp-tone-muted" in badge("whatever")
    assert "sp-tone-info" in badge("RUNNING", "info")


def test_sections_collapse_without_ids() -> None:
    closed, opened = section("T", "body"), section("T", "body", expanded=True)
    assert closed.startswith('<details class="sp-section"><summary>')
    assert opened.startswith('<details class="sp-section" open>')
