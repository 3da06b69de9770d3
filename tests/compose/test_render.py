"""compose.render: YAML that reads back identically; normalise → render → parse is stable."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.load import load
from scale_pilot_nb.compose.normalise import normalise
from scale_pilot_nb.compose.render import render


def test_strings_that_look_like_other_types_are_quoted_for_both_yaml_versions() -> None:
    data = {"values": ["yes", "on", "22:22", "0o17", "017", "1e3", "null", "", "true", "~"]}
    text = render(data)
    assert load(text).data == data
    assert yaml.safe_load(text) == data


def test_key_order_is_kept_and_no_anchors_are_written() -> None:
    shared = {"a": 1}
    text = render({"z": shared, "a": shared})
    assert text == "z:\n  a: 1\na:\n  a: 1\n"


def test_escape_dollars_doubles_every_dollar_in_values_only() -> None:
    text = render({"services": {"web": {"command": ["echo", "$HOME"]}}}, escape_dollars=True)
    assert "$$HOME" in text
    assert load(text).data["services"]["web"]["command"] == ["echo", "$$HOME"]


def test_unicode_is_written_as_is() -> None:
    assert render({"name": "café"}) == "name: café\n"


# --- property: parse → normalise → render → parse → normalise is stable ----------------------

ports = st.integers(1, 65535)
port_specs = st.one_of(
    ports,
    st.builds(lambda h, c: f"{h}:{c}", ports, ports),
    st.builds(
        lambda h, c, p: f"127.0.0.1:{h}:{c}/{p}", ports, ports, st.sampled_from(["tcp", "udp"])
    ),
    st.builds(lambda c: {"target": c, "published": str(c)}, ports),
)
words = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
targets = st.lists(words, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
volume_specs = st.one_of(
    targets,
    st.builds(lambda n, t: f"{n}:{t}", words, targets),
    st.builds(
        lambda s, t, o: f".{s}:{t}:{o}", targets, targets, st.sampled_from(["ro", "rw", "z"])
    ),
)
env_values = st.one_of(st.none(), st.text(max_size=12), st.booleans(), st.integers(-5, 5))
environments = st.one_of(
    st.dictionaries(words.map(str.upper), env_values, max_size=4),
    st.lists(st.builds(lambda k, v: f"{k.upper()}={v}", words, st.text(max_size=8)), max_size=4),
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    service: dict[str, Any] = {
        "image": draw(st.sampled_from(["nginx", "redis:7", "ghcr.io/a/b:1"]))
    }
    service["ports"] = draw(st.lists(port_specs, max_size=3))
    service["volumes"] = draw(st.lists(volume_specs, max_size=3))
    service["environment"] = draw(environments)
    if draw(st.booleans()):
        service["depends_on"] = ["db"]
    if draw(st.booleans()):
        service["mem_limit"] = draw(st.sampled_from(["512m", "1g", 1048576]))
    return {"services": {"web": service, "db": {"image": "postgres:16"}}}


@settings(max_examples=60, deadline=None)
@given(documents())
def test_normalise_render_parse_is_a_fixed_point(document: dict[str, Any]) -> None:
    once = normalise(load(yaml.safe_dump(document)).data)
    again = normalise(load(render(once)).data)
    assert again == once
    assert render(again) == render(once)
