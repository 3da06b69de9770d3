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


# --- property: what we send reads back identically with TrueNAS's PyYAML (YAML 1.1) ----------

TRICKY = [
    *("yes", "No", "ON", "off", "y", "n", "=", "~", "<<", "null", "", "true", "-", "+"),
    *("22:22", "1:20.5", "0755", "010", "08", "0o755", "0b1010", "0b_", "0x_", "-0x1F"),
    *("1_000", "1_0.5", "1e3", "1.0e3", "1E-3", "1.e5", ".5e3", "-.5", "+.inf", ".nan"),
    *("2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2024-13-01"),
    *("2001-1-1", "-0o17", "0X1F", "0O17", "0B1", "+_1", "1_e3"),  # only go-yaml reads these
]
NUMBERS = r"[-+]?[0-9_]{1,4}(:[0-9_]{1,2}){0,2}(\.[0-9_]*)?([eE][-+]?[0-9]{1,2})?"
DATES = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2})?"
tricky_strings = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet="0123456789._:+-eExXoObB_=yYnN ", max_size=10),
    st.from_regex(NUMBERS, fullmatch=True),
    st.from_regex(DATES, fullmatch=True),
)


def mappings(values: st.SearchStrategy[Any], size: int = 4) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts with tricky keys; a repeated key keeps its last value (cheaper than unique keys)."""
    return st.lists(st.tuples(tricky_strings, values), max_size=size).map(dict)


tricky_values = st.recursive(
    st.one_of(
        tricky_strings,
        st.integers(),
        st.floats(allow_nan=False),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.lists(inner, max_size=4) | mappings(inner),
    max_leaves=10,
)


@settings(max_examples=150, deadline=None)
@given(mappings(tricky_values, 6))
def test_pyyaml_reads_what_we_render_as_we_meant_it(document: dict[str, Any]) -> None:
    text = render(document)
    assert yaml.load(text, Loader=yaml.SafeLoader) == document  # TrueNAS's reader
    loaded = load(text)
    assert loaded.data == document
    assert loaded.yaml11 == ()  # nothing we send means something else to YAML 1.1


def test_strings_only_go_yaml_reads_as_numbers_or_dates_are_quoted() -> None:
    go_only = ["2001-1-1", "2001-1-1 1:2:3", "-0o17", "0X1F", "0O17", "0B1", "+_1", "1_e3"]
    text = render({"values": go_only})
    assert text == "values:\n" + "".join(f"- '{value}'\n" for value in go_only)
    plain = ["512m", "1.27-alpine", "8080:80", "127.0.0.1:80:80/tcp", "0x", "_1", "+"]
    assert render({"values": plain}) == "values:\n" + "".join(f"- {v}\n" for v in plain)
