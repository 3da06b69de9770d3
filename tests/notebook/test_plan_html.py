"""The HTML repr of a whole Plan: every app's part in one card, escaped and deterministic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scale_pilot_nb.compose.plan import DeployPlan, Plan
from scale_pilot_nb.notebook import html
from scale_pilot_nb.notebook._markup import DISPLAY_ENV, set_display_style

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def html_style(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(DISPLAY_ENV, raising=False)
    set_display_style(None)
    yield
    set_display_style(None)


def split_plan() -> Plan:
    return Plan(
        (
            DeployPlan("shop-db", "noop", "compose", "compose"),
            DeployPlan(
                "shop-web",
                "update",
                "compose",
                "compose",
                diff="--- live\n+++ desired\n-  image: nginx:1.26\n+  image: nginx:1.27",
                services_changed=[HOSTILE],
                images_changed={"web": ("nginx:1.26", "nginx:1.27")},
                recreates_containers=True,
            ),
        )
    )


def test_one_card_lists_every_app_and_holds_each_part() -> None:
    out = split_plan()._repr_html_()
    assert out is not None and out == split_plan()._repr_html_()
    assert out.startswith("<style>") and out.count('<div class="sp-card">') == 3
    assert '<span class="sp-title">shop-db, shop-web</span>' in out
    assert '<span class="sp-badge sp-tone-warn">changes</span>' in out
    assert '<td>shop-db</td><td><span class="sp-badge sp-tone-muted">noop</span>' in out
    assert '<td>shop-web</td><td><span class="sp-badge sp-tone-warn">update</span>' in out
    assert '<details class="sp-section"><summary>Plan of shop-db' in out  # nothing to see
    assert '<details class="sp-section" open><summary>Plan of shop-web' in out
    assert '<span class="sp-line sp-add">+  image: nginx:1.27</span>' in out
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_a_plan_without_changes_says_noop_and_falls_back_to_its_text() -> None:
    quiet = Plan((DeployPlan("web", "noop", "compose", "compose"),))
    out = html.render(quiet)
    assert '<span class="sp-badge sp-tone-muted">noop</span></div>' in out
    text = "noop &#x27;web&#x27; (compose); no changes: nothing will be touched"
    assert f'<pre class="sp-text-fallback">{text}</pre>' in out
    set_display_style("text")
    assert html.render(quiet) == f"<pre>{text}</pre>"
