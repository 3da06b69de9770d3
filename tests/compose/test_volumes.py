"""compose.volumes: named, bind, anonymous and tmpfs mounts in long syntax."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.model import VolumeMount
from scale_pilot_nb.compose.volumes import parse_volume
from scale_pilot_nb.errors import ComposeError

CREATE = {"create_host_path": True}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("/cache", VolumeMount("volume", "/cache", volume={})),
        ("db:/var/lib/db", VolumeMount("volume", "/var/lib/db", "db", volume={})),
        ("db:/d:ro,nocopy", VolumeMount("volume", "/d", "db", True, volume={"nocopy": True})),
        ("./conf:/etc/app:ro", VolumeMount("bind", "/etc/app", "./conf", True, bind=CREATE)),
        ("/mnt/tank/m:/m:rw", VolumeMount("bind", "/m", "/mnt/tank/m", False, bind=CREATE)),
        ("~/x:/x", VolumeMount("bind", "/x", "~/x", bind=CREATE)),
        ("/a:/b:ro,rw", VolumeMount("bind", "/b", "/a", False, bind=CREATE)),
        (
            "/a:/b:z,rshared",
            VolumeMount(
                "bind", "/b", "/a", bind={**CREATE, "propagation": "rshared", "selinux": "z"}
            ),
        ),
        ("/a:/b:cached,bogus", VolumeMount("bind", "/b", "/a", bind=CREATE, consistency="cached")),
        ("${DATA:-/mnt/a}:/data", VolumeMount("bind", "/data", "${DATA:-/mnt/a}", bind=CREATE)),
    ],
)
def test_short_syntax(spec: str, expected: VolumeMount) -> None:
    assert parse_volume(spec) == expected


def test_long_syntax_casts_read_only_and_adds_volume_options() -> None:
    assert parse_volume(
        {"type": "volume", "source": "db", "target": "/d", "read_only": "true"}
    ) == (VolumeMount("volume", "/d", "db", True, volume={}))
    tmpfs = {"type": "tmpfs", "target": "/t", "tmpfs": {"size": 1000}}
    assert parse_volume(tmpfs).to_dict() == {**tmpfs, "read_only": False}


def test_to_dict_always_states_read_only() -> None:
    assert parse_volume("db:/d").to_dict() == {
        "type": "volume",
        "source": "db",
        "target": "/d",
        "read_only": False,
        "volume": {},
    }


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("data/foo:/x", "neither a volume name nor a host path"),
        ("db:relative", "container path 'relative' must be absolute"),
        ("a:/b:ro:extra", "expected [source:]target[:options]"),
        (":/x", "expected [source:]target[:options]"),
        (5, "must be a string or a mapping"),
        ({"target": "/x"}, "'type' must be one of"),
        ({"type": "bind", "source": "/a"}, "needs a 'target'"),
        ({"type": "bind", "source": "/a", "target": "/b", "read_only": "maybe"}, "true or false"),
        ({"type": "bind", "source": "/a", "target": "/b", "bind": "x"}, "'bind' must be a mapping"),
        ({"type": "bind", "target": "/b", "mount": 1}, "unknown key 'mount'"),
    ],
)
def test_invalid_volumes_raise_with_a_hint(spec: Any, reason: str) -> None:
    with pytest.raises(ComposeError) as caught:
        parse_volume(spec)
    assert reason in caught.value.message
    assert caught.value.hint


# --- properties ------------------------------------------------------------------------------

segments = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,8}", fullmatch=True)
paths = st.lists(segments, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
sources = st.one_of(
    segments,  # named volume
    paths,  # absolute bind
    paths.map(lambda p: "." + p),  # relative bind
)
options = st.lists(
    st.sampled_from(["ro", "rw", "nocopy", "z", "Z", "rshared", "private", "cached"]),
    max_size=3,
)


@settings(deadline=None)  # timing varies on shared CI machines
@given(st.one_of(st.none(), sources), paths, options)
def test_long_form_of_a_parsed_volume_parses_to_itself(
    source: str | None, target: str, opts: list[str]
) -> None:
    spec = target if source is None else f"{source}:{target}"
    if source is not None and opts:
        spec += ":" + ",".join(opts)
    mount = parse_volume(spec)
    assert parse_volume(mount.to_dict()) == mount
    assert mount.type == ("volume" if source is None or source[0] not in "./" else "bind")
