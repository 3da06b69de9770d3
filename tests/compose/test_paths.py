"""Host path classification."""

from __future__ import annotations

import pytest

from scale_pilot_nb.compose.paths import (
    HostPathKind,
    classify_host_path,
    has_traversal,
    home_on_nas,
    is_docker_socket,
    is_home_path,
    is_relative,
)


@pytest.mark.parametrize(
    ("path", "kind", "resolved"),
    [
        ("/mnt/tank/media", HostPathKind.POOL, "/mnt/tank/media"),
        ("/mnt/tank/../../etc", HostPathKind.SYSTEM, "/etc"),
        ("/mnt/tank", HostPathKind.POOL_ROOT, "/mnt/tank"),
        ("/mnt/.ix-apps/app_mounts/x", HostPathKind.IX_APPS, "/mnt/.ix-apps/app_mounts/x"),
        ("/mnt/tank/../.ix-apps", HostPathKind.IX_APPS, "/mnt/.ix-apps"),
        ("/", HostPathKind.SYSTEM, "/"),
        ("//etc/passwd", HostPathKind.SYSTEM, "/etc/passwd"),
        ("/var/lib/x", HostPathKind.SYSTEM, "/var/lib/x"),
        ("/data/x", HostPathKind.OTHER, "/data/x"),
        ("/etcetera", HostPathKind.OTHER, "/etcetera"),
        ("~/data", HostPathKind.SYSTEM, "/root/data"),  # root's home on the NAS
        ("~", HostPathKind.SYSTEM, "/root"),
    ],
)
def test_classify(path: str, kind: HostPathKind, resolved: str) -> None:
    assert classify_host_path(path) == (kind, resolved)


def test_relative_traversal_and_socket() -> None:
    assert is_relative("./data") and is_relative("data")
    assert not is_relative("/mnt/tank") and not is_relative("~/x")
    assert has_traversal("/mnt/tank/../x") and not has_traversal("/mnt/tank/..x")
    assert is_docker_socket("/var/run/docker.sock") and is_docker_socket("/run//docker.sock")
    assert not is_docker_socket("/mnt/tank/docker.sock")


@pytest.mark.parametrize(
    ("path", "on_nas"),
    [
        ("~", "/root"),
        ("~/", "/root"),
        ("~/data/x", "/root/data/x"),
        ("~alice/x", "/root/alice/x"),  # Compose joins home + "alice/x", not alice's home
        ("/mnt/tank/x", "/mnt/tank/x"),
        ("./x", "./x"),
    ],
)
def test_tilde_is_the_home_of_root_on_the_nas(path: str, on_nas: str) -> None:
    """The real binary with HOME=/root prints /root/d for ~/d and /root/foo/e for ~foo/e."""
    assert is_home_path(path) is path.startswith("~")
    assert home_on_nas(path) == on_nas
