"""Tests for scale_pilot_nb.config.secret: a credential is never rendered."""

from __future__ import annotations

import pytest

from scale_pilot_nb.config.secret import Secret

KEY = "1-Sup3rS3cretK3yValueThatMustNeverAppearAnywhere0123456789abcdefghij"
OTHER_KEY = "2-AnotherSecretKeyForTheProfileLayerOnly0123456789abcdefghijklmnopq"


def test_secret_is_masked_in_every_text_form() -> None:
    secret = Secret(KEY)
    renderings = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret:>40}",
        "%s %r" % (secret, secret),  # noqa: UP031 - the %-operator is what is under test
        "{}".format(secret),  # noqa: UP032 - str.format is what is under test
        repr([secret]),
        repr({"key": secret}),
    ]
    for text in renderings:
        assert KEY not in text
    assert repr(secret) == "Secret('********')"
    assert str(secret) == "********"
    assert secret.reveal() == KEY


def test_secret_semantics() -> None:
    assert Secret(KEY) == Secret(KEY)
    assert Secret(KEY) != Secret(OTHER_KEY)
    assert Secret(KEY) != KEY  # a Secret never equals plain text by accident
    assert len({Secret(KEY), Secret(KEY)}) == 1
    assert not Secret("")
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]
