"""compose.image: registry (with port), repository, tag, digest and the implicit latest."""

from __future__ import annotations

import pytest

from scale_pilot_nb.compose.image import parse_image
from scale_pilot_nb.compose.model import ImageRef
from scale_pilot_nb.errors import ComposeError

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("nginx", ImageRef(None, "nginx")),
        ("nginx:1.27-alpine", ImageRef(None, "nginx", "1.27-alpine")),
        ("linuxserver/plex:latest", ImageRef(None, "linuxserver/plex", "latest")),
        ("ghcr.io/org/app:v1", ImageRef("ghcr.io", "org/app", "v1")),
        ("localhost:5000/app", ImageRef("localhost:5000", "app")),
        ("localhost/app", ImageRef("localhost", "app")),
        ("registry.lan:5000/a/b:c@" + DIGEST, ImageRef("registry.lan:5000", "a/b", "c", DIGEST)),
        ("nginx@" + DIGEST, ImageRef(None, "nginx", None, DIGEST)),
    ],
)
def test_references_split_into_their_parts(ref: str, expected: ImageRef) -> None:
    image = parse_image(ref)
    assert image == expected
    assert str(image) == ref


def test_no_tag_and_no_digest_means_an_implicit_latest() -> None:
    image = parse_image("redis")
    assert (image.effective_tag, image.implicit_latest, image.floating) == ("latest", True, True)


def test_a_digest_pins_the_image_even_without_a_tag() -> None:
    image = parse_image("redis@" + DIGEST)
    assert (image.effective_tag, image.implicit_latest, image.floating) == (None, False, False)


def test_an_explicit_latest_is_floating_but_not_implicit() -> None:
    image = parse_image("redis:latest")
    assert (image.implicit_latest, image.floating) == (False, True)


def test_name_keeps_the_registry_for_ix_app_repository_fields() -> None:
    assert parse_image("ghcr.io/org/app:v1").name == "ghcr.io/org/app"


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("", "it is empty"),
        (" nginx", "leading or trailing spaces"),
        ("Nginx", "'Nginx' must be lowercase"),
        ("nginx:bad tag", "tag 'bad tag'"),
        ("nginx@sha256:short", "is not algorithm:hex"),
        ("a//b", "repository part '' is not valid"),
        ("bad_host.:5000/x", "registry 'bad_host.:5000'"),
    ],
)
def test_invalid_references_raise_with_a_hint(ref: str, reason: str) -> None:
    with pytest.raises(ComposeError) as caught:
        parse_image(ref)
    assert reason in caught.value.message
    assert "registry" in (caught.value.hint or "")
