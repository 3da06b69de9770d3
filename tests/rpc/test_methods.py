"""The read/mutation rule that decides whether a call may be re-sent after a drop."""

from __future__ import annotations

import pytest

from scale_pilot_nb.rpc.methods import is_read_method


@pytest.mark.parametrize(
    "method",
    [
        "app.query",
        "app.get_instance",
        "app.config",
        "docker.config",
        "docker.status",
        "core.ping",
        "core.get_jobs",
        "system.info",
        "app.used_ports",
        "app.ip_choices",
        "app.available",
        "pool.dataset.query",
        "auth.me",
    ],
)
def test_reads(method: str) -> None:
    assert is_read_method(method)


@pytest.mark.parametrize(
    "method",
    [
        "app.create",
        "app.update",
        "app.delete",
        "app.start",
        "app.stop",
        "app.redeploy",
        "app.upgrade",
        "docker.update",
        "docker.backup",
        "core.bulk",
        "auth.login_ex",
        "something.unknown",
    ],
)
def test_mutations_and_unknown_methods(method: str) -> None:
    assert not is_read_method(method)
