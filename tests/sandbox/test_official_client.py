"""The unmodified official client (``truenas_api_client``) against the sandbox.

The official client is not on PyPI; these tests skip unless it is importable. Install a tag of
``truenas/api_client`` into a separate venv together with this package and run
``pytest -m official_client`` there (README, "Contributing"). The sandbox version follows the
installed client: TS-24.10.x talks legacy ``/websocket`` to a 24.10 sandbox, TS-25.04.x and
TS-25.10.x talk JSON-RPC to 25.04 and 25.10 sandboxes (25.10 with new-style jobs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from scale_pilot_nb.rpc.official import official_release
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

official = pytest.importorskip("truenas_api_client")
pytestmark = pytest.mark.official_client

MakeSandbox = Callable[..., Sandbox]
COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - '18080:80'\n"
WAIT = 20.0


RELEASE = official_release() or ""


@pytest.fixture
def nas(make_sandbox: MakeSandbox) -> Sandbox:
    return make_sandbox(RELEASE, "demo", test_methods=False, timing=Timing(stats_scale=0.01))


#: Endpoints the installed client can use: 25.04+ clients speak legacy to ``/websocket`` too.
ENDPOINTS = ["legacy"] if RELEASE == "24.10" else ["current", "legacy"]


@pytest.fixture(params=ENDPOINTS)
def endpoint(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(nas: Sandbox, endpoint: str) -> Iterator[Any]:
    uri = nas.legacy_url if endpoint == "legacy" else nas.url
    with official.Client(uri, call_timeout=WAIT) as c:
        assert c.call("auth.login_with_api_key", nas.api_key) is True
        yield c


def create_payload(name: str) -> dict[str, Any]:
    return {"app_name": name, "custom_app": True, "custom_compose_config_string": COMPOSE}


def test_wrong_key_is_refused(nas: Sandbox) -> None:
    uri = nas.legacy_url if RELEASE == "24.10" else nas.url
    with official.Client(uri, call_timeout=WAIT) as c:
        assert c.call("auth.login_with_api_key", "1-wrong") is False
        with pytest.raises(official.ClientException) as info:
            c.call("app.query")
        assert info.value.errno == 207


def test_app_query(client: Any) -> None:
    apps = client.call("app.query")
    assert len(apps) >= 5 and all("state" in app for app in apps)
    running = client.call("app.query", [["state", "=", "RUNNING"]], {"select": ["name", "state"]})
    assert running and {app["state"] for app in running} == {"RUNNING"}


def test_create_custom_app_with_job_true_then_stop(client: Any) -> None:
    app = client.call("app.create", create_payload("hello"), job=True)
    assert app["name"] == "hello" and app["custom_app"] is True
    assert client.call("app.get_instance", "hello")["state"] in ("RUNNING", "DEPLOYING")
    client.call("app.stop", "hello", job=True)
    assert client.call("app.get_instance", "hello")["state"] == "STOPPED"


def test_validation_failure_inside_job(client: Any) -> None:
    with pytest.raises(official.ValidationErrors) as info:
        client.call("app.create", create_payload("Bad_Name"), job=True)
    assert any("app_name" in error.attribute for error in info.value.errors)


def test_app_stats_subscription(client: Any) -> None:
    received: list[Any] = []
    arrived = threading.Event()

    def on_stats(mtype: str, **params: Any) -> None:
        received.append((mtype, params))
        arrived.set()

    client.subscribe("app.stats", on_stats)
    assert arrived.wait(WAIT)
    mtype, params = received[0]
    assert mtype == "ADDED" and params["collection"] == "app.stats"
    assert isinstance(params["fields"], list) and "app_name" in params["fields"][0]


def test_ping(client: Any, endpoint: str) -> None:
    if endpoint == "legacy" and RELEASE != "24.10":
        pytest.skip("25.04+ servers never answer the legacy ping (the client waits 10 s)")
    assert client.ping() == (True if RELEASE == "24.10" else "pong")


@pytest.mark.skipif(RELEASE == "24.10", reason="the 24.10 client speaks legacy on any path")
def test_jsonrpc_client_gets_404_from_a_2410_nas(make_sandbox: MakeSandbox) -> None:
    nas = make_sandbox("24.10", "empty", test_methods=False)
    with pytest.raises(Exception, match="404"):
        official.Client(nas.url, call_timeout=WAIT)


def test_api_key_over_tls_from_a_remote_peer_is_kept(make_sandbox: MakeSandbox) -> None:
    nas = make_sandbox(RELEASE, "empty", test_methods=False, tls=True, treat_as_remote=True)
    uri = nas.legacy_url if RELEASE == "24.10" else nas.url
    with official.Client(uri, call_timeout=WAIT, verify_ssl=False) as c:
        assert c.call("auth.login_with_api_key", nas.api_key) is True
    assert not nas.api_key_revoked


@pytest.mark.skipif(RELEASE == "24.10", reason="24.10 accepts plain keys over ws://")
def test_api_key_over_plain_ws_from_a_remote_peer_is_revoked(make_sandbox: MakeSandbox) -> None:
    nas = make_sandbox(RELEASE, "empty", test_methods=False, treat_as_remote=True)
    with official.Client(nas.url, call_timeout=WAIT) as c:
        assert c.call("auth.login_with_api_key", nas.api_key) is False
    assert nas.api_key_revoked
