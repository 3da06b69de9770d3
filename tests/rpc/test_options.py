"""Timeouts, reconnect backoff and TLS contexts."""

from __future__ import annotations

import random
import ssl
from pathlib import Path

import pytest

from scale_pilot_nb.errors import ConfigError
from scale_pilot_nb.rpc.options import (
    NO_RECONNECT,
    USE_DEFAULT,
    ReconnectPolicy,
    Timeouts,
    ssl_context,
)


def test_timeouts_reject_non_positive_values() -> None:
    with pytest.raises(ConfigError, match="call"):
        Timeouts(call=0)
    assert Timeouts(job=None).job is None
    assert repr(USE_DEFAULT) == "USE_DEFAULT"


def test_backoff_grows_exponentially_is_capped_and_jittered() -> None:
    policy = ReconnectPolicy(max_attempts=6, initial_delay=1, max_delay=8, jitter=0.5)
    delays = list(policy.delays(random.Random(1)))
    assert len(delays) == 6
    bases = [1, 2, 4, 8, 8, 8]
    assert all(base / 2 <= d <= base for d, base in zip(delays, bases, strict=True))
    assert len(set(delays)) == 6  # jitter: no two equal waits


def test_no_jitter_gives_the_exact_sequence_and_no_reconnect_gives_none() -> None:
    policy = ReconnectPolicy(max_attempts=3, initial_delay=0.5, jitter=0)
    assert list(policy.delays()) == [0.5, 1.0, 2.0]
    assert list(NO_RECONNECT.delays()) == []


def test_invalid_policies() -> None:
    with pytest.raises(ConfigError):
        ReconnectPolicy(jitter=2)
    with pytest.raises(ConfigError):
        ReconnectPolicy(max_attempts=-1)


def test_tls_verification_is_on_by_default_and_can_be_relaxed() -> None:
    assert ssl_context().verify_mode is ssl.CERT_REQUIRED
    assert ssl_context().check_hostname
    relaxed = ssl_context(verify_ssl=False)
    assert relaxed.verify_mode is ssl.CERT_NONE and not relaxed.check_hostname


def test_an_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(ConfigError, match=r"nope\.pem") as error:
        ssl_context(ca_file=missing)
    assert error.value.hint
