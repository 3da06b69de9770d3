"""Fuzzing the public surface: wrong types, None, huge and odd strings for every argument.

Each public method of :class:`TrueNASDockerManager` (what ``Pilot``, the CLI and ``AIHelper``
call) is called with one argument replaced by a drawn value and the others valid, on a demo
sandbox over real sockets. Whatever happens must be one of: a result, or one of our typed
errors (``TrueNASError``). Never a raw exception, never a hang (each call has a deadline), and
when an argument was refused (``ArgumentError``) nothing that changes the NAS was sent.
"""

from __future__ import annotations

import concurrent.futures
import inspect
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scale_pilot_nb.errors import ArgumentError, TrueNASError
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.state import Timing

COMPOSE = "services:\n  web:\n    image: nginx:1.27.3\n"

#: Methods that change the NAS: none may be sent when an argument was refused.
MUTATIONS = frozenset(
    {
        "app.create",
        "app.update",
        "app.delete",
        "app.start",
        "app.stop",
        "app.redeploy",
        "app.upgrade",
        "app.rollback",
        "app.pull_images",
        "docker.backup",
        "docker.restore_backup",
        "docker.delete_backup",
        "pool.dataset.create",
    }
)

#: A call that takes longer than this is a hang (the sandbox answers in milliseconds).
HANG = 60.0

#: method -> valid arguments (positional names first); the fuzzer swaps one for a drawn value.
CALLS: dict[str, dict[str, Any]] = {
    "get_app": {"name": "whoami"},
    "app_config": {"name": "whoami"},
    "validate": {"source": COMPOSE, "name": "fuzz-web", "mode": "compose", "split": False},
    "plan": {"source": COMPOSE, "name": "fuzz-web", "mode": "compose", "variables": None},
    "deploy": {
        "source": COMPOSE,
        "name": "fuzz-web",
        "timeout": 30.0,
        "dry_run": True,
        "confirm": None,
    },
    "start_app": {"name": "whoami", "timeout": 30.0},
    "stop_app": {"name": "backup-sync", "timeout": 30.0},
    "restart_app": {"name": "whoami", "wait": False, "timeout": 30.0},
    "redeploy_app": {"name": "whoami", "wait": False, "timeout": 30.0},
    "delete_app": {"name": "no-such-app", "remove_volumes": False},
    "bulk": {"action": "stop", "names": ["backup-sync"], "concurrency": 2, "timeout": 30.0},
    "wait_for_state": {"name": "whoami", "state": "RUNNING", "timeout": 5.0},
    "job": {"job_id": 1, "wait": False},
    "history": {"name": "whoami"},
    "diff": {"name": "whoami", "a": 1, "b": 2},
    "rollback": {"name": "no-such-app", "revision": -1, "secrets": None, "timeout": 30.0},
    "rollback_plan": {"name": "no-such-app", "revision": -1, "version": None},
    "upgrade_summary": {"name": "jellyfin", "version": "latest"},
    "update_images": {"name": "whoami", "wait": False, "timeout": 30.0},
    "upgrade": {"name": "jellyfin", "version": "latest", "wait": False, "timeout": 30.0},
    "backup": {"name": "fuzz"},
    "restore_backup": {"name": "no-such-backup", "timeout": 30.0},
    "delete_backup": {"name": "no-such-backup"},
    "import_": {"path": "no-such-folder", "dry_run": True, "secrets": None},
    "logs": {"name": "whoami", "service": None, "tail": 5},
}

odd_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=20).map(lambda s: s * 500),
    st.just("x" * 2_000_000),
    st.just("web\n"),
    st.just("../../etc/passwd"),
    st.binary(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just(object()),
)

TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module")
def nas() -> Iterator[tuple[Sandbox, Pilot]]:
    with Sandbox("25.10", "demo", timing=Timing()) as sandbox:
        manager = TrueNASDockerManager(sandbox.url, sandbox.api_key, history=False)
        with Pilot(manager) as pilot:
            yield sandbox, pilot


class Hung(Exception):
    """The call did not end within :data:`HANG` seconds."""


def _call(pilot: Pilot, method: str, kwargs: dict[str, Any]) -> Any:
    function: Callable[..., Any] = getattr(pilot.manager, method)
    if inspect.isasyncgenfunction(function):

        async def drain() -> list[Any]:
            return [item async for item in function(**kwargs)]

        future = pilot.submit(drain())
    else:
        future = pilot.submit(function(**kwargs))
    done, _ = concurrent.futures.wait([future], timeout=HANG)
    if not done:  # (not future.result(HANG): our CallTimeoutError is a TimeoutError too)
        future.cancel()
        raise Hung
    return future.result()


def _mutations(sandbox: Sandbox) -> int:
    requests = sandbox.metrics.requests
    return sum(requests[name] for name in MUTATIONS)


def _parameters() -> list[tuple[str, str]]:
    pairs = []
    for method, valid in CALLS.items():
        names = list(inspect.signature(getattr(TrueNASDockerManager, method)).parameters)
        assert set(valid) <= set(names), (method, set(valid) - set(names))
        pairs.extend((method, name) for name in valid)
    return pairs


@pytest.mark.parametrize(("method", "argument"), _parameters())
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,  # the same values every run: CI never meets a new one by chance
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=odd_values)
def test_any_value_gives_a_result_or_a_typed_error(
    nas: tuple[Sandbox, Pilot], method: str, argument: str, value: Any
) -> None:
    sandbox, pilot = nas
    kwargs = dict(CALLS[method], **{argument: value})
    before = _mutations(sandbox)
    TALLY["calls"] += 1
    try:
        _call(pilot, method, kwargs)
    except Hung:
        pytest.fail(f"{method}({argument}={value!r:.80}) hung for {HANG} s")
    except ArgumentError:
        TALLY["argument errors"] += 1
        assert _mutations(sandbox) == before, f"{method} sent a change before refusing"
    except TrueNASError:
        TALLY["typed errors"] += 1
    except Exception as exc:  # the finding this test exists for
        TALLY["raw exceptions"] += 1
        pytest.fail(f"{method}({argument}={value!r:.80}) raised {type(exc).__name__}: {exc!s:.200}")
    else:
        TALLY["results"] += 1


def test_tally(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints what the fuzzing above met (run with -s to see it); runs after it in file order."""
    with capsys.disabled():
        print(f"\nfuzz tally: {dict(TALLY)}")
    assert TALLY["raw exceptions"] == 0
