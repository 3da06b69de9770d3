"""compose.ports: every short form → long syntax as compose-go expands it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.model import PortMapping
from scale_pilot_nb.compose.ports import parse_ports
from scale_pilot_nb.errors import ComposeError


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (80, [PortMapping(80)]),
        ("80", [PortMapping(80)]),
        ("8080:80", [PortMapping(80, "8080")]),
        ("8080:80/UDP", [PortMapping(80, "8080", protocol="udp")]),
        ("127.0.0.1:8080:80/udp", [PortMapping(80, "8080", "127.0.0.1", "udp")]),
        ("127.0.0.1::80", [PortMapping(80, None, "127.0.0.1")]),
        ("[::1]:53:53/udp", [PortMapping(53, "53", "::1", "udp")]),
        ("::1:53:53", [PortMapping(53, "53", "::1")]),
        ("9000-9001", [PortMapping(9000), PortMapping(9001)]),
        ("8000-8001:80-81", [PortMapping(80, "8000"), PortMapping(81, "8001")]),
        ("8000-8010:80", [PortMapping(80, "8000-8010")]),
        ("5000:5000/sctp", [PortMapping(5000, "5000", protocol="sctp")]),
    ],
)
def test_short_syntax(spec: Any, expected: list[PortMapping]) -> None:
    assert parse_ports(spec) == expected


def test_long_syntax_gets_defaults_and_a_string_published_port() -> None:
    assert parse_ports({"target": "80", "published": 8080, "host_ip": "0.0.0.0"}) == [
        PortMapping(80, "8080", "0.0.0.0", "tcp", "ingress")
    ]
    long = {"target": 53, "published": "53", "protocol": "udp", "mode": "host", "name": "dns"}
    assert parse_ports(long)[0].to_dict() == long


def test_to_dict_leaves_out_unset_fields() -> None:
    assert PortMapping(80).to_dict() == {"target": 80, "protocol": "tcp", "mode": "ingress"}


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("99999:80", "host port 99999 is outside 1-65535"),
        ("80:0", "container port 0 is outside 1-65535"),
        ("abc:80", "host port 'abc' is not a number"),
        ("80:80/icmp", "protocol 'icmp' is not one of"),
        ("8000-8001:80-82", "ranges differ in length"),
        ("8080:80-81", "ranges differ in length"),
        ("90-80", "runs backwards"),
        ("1.2.3:80:80", "'1.2.3' is not an IP address"),
        ("[::1]80", "must be followed by ':'"),
        (True, "must be a number or a string"),
        ([80], "must be a number, a string or a mapping"),
        ({"published": 80}, "needs 'target'"),
        ({"target": 80, "mode": "bridge"}, "mode 'bridge'"),
        ({"target": 80, "publish": 80}, "unknown key 'publish'"),
    ],
)
def test_invalid_ports_raise_a_compose_error_with_a_hint(spec: Any, reason: str) -> None:
    with pytest.raises(ComposeError) as caught:
        parse_ports(spec)
    assert reason in caught.value.message
    assert caught.value.hint


# --- properties: short → long → parse again is stable -----------------------------------------

ports = st.integers(1, 65535)
addresses = st.sampled_from([None, "127.0.0.1", "0.0.0.0", "::1", "192.168.1.10"])
protocols = st.sampled_from([None, "tcp", "udp", "sctp"])


@st.composite
def short_specs(draw: st.DrawFn) -> str:
    target = draw(ports)
    published = draw(st.one_of(st.none(), ports))
    address = draw(addresses)
    text = str(target)
    if published is not None or address is not None:
        text = f"{published or ''}:{text}"
    if address is not None:
        text = f"[{address}]:{text}" if ":" in address else f"{address}:{text}"
    protocol = draw(protocols)
    return f"{text}/{protocol}" if protocol else text


@settings(deadline=None)  # timing varies on shared CI machines
@given(short_specs())
def test_long_form_of_a_parsed_port_parses_to_itself(spec: str) -> None:
    mappings = parse_ports(spec)
    assert [parse_ports(m.to_dict())[0] for m in mappings] == mappings


@settings(deadline=None)  # timing varies on shared CI machines
@given(st.integers(1, 65000), st.integers(0, 20), st.integers(1, 60000))
def test_equal_ranges_pair_up_one_by_one(first: int, extra: int, host: int) -> None:
    spec = f"{host}-{host + extra}:{first}-{first + extra}"
    mappings = parse_ports(spec)
    assert [(m.published, m.target) for m in mappings] == [
        (str(host + i), first + i) for i in range(extra + 1)
    ]
