"""Tests for scale_pilot_nb.records.image: app.image.query entries."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from scale_pilot_nb.errors import TrueNASError
from scale_pilot_nb.records import Image

ENTRY = {
    "id": "sha256:6c1b4f0d2e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
    "repo_tags": ["jellyfin/jellyfin:10.10.7"],
    "repo_digests": ["jellyfin/jellyfin@sha256:0123abcd"],
    "size": 1181116006,
    "dangling": False,
    "update_available": True,
    "created": "2025-06-20T09:11:02.123456789Z",
    "author": "",
    "comment": "",
}


def test_image_entry() -> None:
    image = Image.from_api(ENTRY)
    assert image.name == "jellyfin/jellyfin:10.10.7"
    assert image.short_id == "6c1b4f0d2e3a"
    assert image.size == 1181116006
    assert image.update_available and not image.dangling
    assert image.created == dt.datetime(2025, 6, 20, 9, 11, 2, 123456, tzinfo=dt.UTC)
    assert (image.author, image.comment) == (None, None)
    assert repr(image) == "Image('jellyfin/jellyfin:10.10.7', size='1.1 GiB', update available)"


def test_dangling_image_is_named_by_its_id() -> None:
    entry = dict(ENTRY, repo_tags=["<none>:<none>"], dangling=True, update_available=False)
    image = Image.from_api(entry)
    assert image.repo_tags == ()
    assert image.name == "6c1b4f0d2e3a"
    assert repr(image) == "Image('6c1b4f0d2e3a', size='1.1 GiB')"


def test_unparseable_created_is_none_and_to_dict_is_json() -> None:
    image = Image.from_api(dict(ENTRY, created="last tuesday"))
    assert image.created is None
    data = image.to_dict()
    assert json.loads(json.dumps(data)) == data


def test_image_without_id_is_an_error() -> None:
    with pytest.raises(TrueNASError):
        Image.from_api({"repo_tags": ["x:1"]})
