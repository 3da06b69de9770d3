"""3. Connection hygiene: a 10-step runbook as the sandbox sees it.

The SDK runs the runbook over one ``Pilot`` (one connection, one login, jobs and the wait for
RUNNING driven by events). The baseline is the naive way: a new connection and login per
step, jobs followed by polling ``core.get_jobs``, the wait for RUNNING by polling
``app.query`` (every ``POLL_INTERVAL``). Connections, logins and request frames are counted
by the sandbox (``sb.metrics``), not by the client.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks._harness import Row, timed
from benchmarks._raw import POLL_INTERVAL, RawClient
from scale_pilot_nb import examples
from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.validate import validate
from scale_pilot_nb.manager.manager import TrueNASDockerManager
from scale_pilot_nb.pilot.pilot import Pilot
from scale_pilot_nb.sandbox import Sandbox
from scale_pilot_nb.sandbox.metrics import Metrics
from scale_pilot_nb.sandbox.state import Timing

COMPOSE = examples.path("nginx.yml")
APP = "hygiene-web"
STEPS = ("status", "list", "validate", "deploy", "wait", "logs tail", "stop", "start",
         "delete", "list")  # fmt: skip
TIMING = Timing(job_delay=0.3, deploy_delay=0.5)


@dataclass
class Tally:
    """What the sandbox saw during one runbook."""

    connections: int = 0
    logins: int = 0
    requests: int = 0
    job_polls: int = 0
    wait_requests: int = 0

    def add(self, before: Metrics, after: Metrics, step: str) -> None:
        requests = after.frames_in - before.frames_in
        self.connections += after.connections - before.connections
        self.logins += after.logins - before.logins
        self.requests += requests
        self.job_polls += after.requests["core.get_jobs"] - before.requests["core.get_jobs"]
        if step == "wait":
            self.wait_requests += requests


def _sdk_steps(pilot: Pilot) -> list[Callable[[], object]]:
    return [
        pilot.status,
        pilot.apps,
        lambda: pilot.validate(COMPOSE, APP),
        lambda: pilot.deploy(COMPOSE, APP, wait=False),
        lambda: pilot.wait_for_state(APP),
        lambda: pilot.logs(APP, tail=20),
        lambda: pilot.stop(APP),
        lambda: pilot.start(APP),
        lambda: pilot.delete(APP, confirm=True),
        pilot.apps,
    ]


def _baseline_steps(sb: Sandbox) -> list[Callable[[RawClient], object]]:
    payload = convert(COMPOSE, APP).apps[0].payload

    def status(raw: RawClient) -> object:
        return [raw.call(m) for m in ("system.info", "docker.status", "pool.query", "app.query")]

    def check(raw: RawClient) -> object:
        return validate(COMPOSE, name=APP, used_ports=raw.call("app.used_ports"))

    def wait(raw: RawClient) -> None:
        while raw.call("app.query", [["name", "=", APP]])[0]["state"] != "RUNNING":
            time.sleep(POLL_INTERVAL)

    def logs(raw: RawClient) -> int:
        containers = raw.call("app.container_ids", APP, {"alive_only": False})
        return sum(
            raw.collect(
                "app.container_log_follow:"
                + json.dumps({"app_name": APP, "container_id": cid, "tail_lines": 20}),
                quiet=0.5,
            )
            for cid in containers
        )

    return [
        status,
        lambda raw: raw.call("app.query"),
        check,
        lambda raw: raw.job("app.create", payload),
        wait,
        logs,
        lambda raw: raw.job("app.stop", APP),
        lambda raw: raw.job("app.start", APP),
        lambda raw: raw.job("app.delete", APP, {"remove_ix_volumes": False}),
        lambda raw: raw.call("app.query"),
    ]


def measure(rounds: int = 3) -> tuple[Tally, Tally, float, float]:
    """Median seconds and the sandbox's tallies of both runbooks (from the last round)."""
    # Rate limit off: the baseline logs in ~10 times per round from one address.
    with Sandbox(seed="demo", timing=TIMING, rate_limit=False) as sb:
        sdk_tally, baseline_tally = Tally(), Tally()

        def sdk() -> None:
            nonlocal sdk_tally
            sdk_tally = Tally()
            before = sb.metrics
            with Pilot(TrueNASDockerManager(sb.url, sb.api_key, username=sb.username)) as pilot:
                for name, step in zip(STEPS, _sdk_steps(pilot), strict=True):
                    step()
                    after = sb.metrics
                    sdk_tally.add(before, after, name)
                    before = after

        def baseline() -> None:
            nonlocal baseline_tally
            baseline_tally = Tally()
            for name, step in zip(STEPS, _baseline_steps(sb), strict=True):
                before = sb.metrics
                with RawClient(sb) as raw:
                    step(raw)
                baseline_tally.add(before, sb.metrics, name)

        sdk_times, baseline_times = [], []
        for _ in range(rounds):
            sdk_times.append(timed(sdk))
            baseline_times.append(timed(baseline))
    return (
        sdk_tally,
        baseline_tally,
        statistics.median(sdk_times),
        statistics.median(baseline_times),
    )


def run(rounds: int = 3) -> list[Row]:
    sdk, base, sdk_s, base_s = measure(rounds)

    def describe(t: Tally) -> str:
        return (
            f"{t.connections} conn, {t.logins} login, {t.requests} requests "
            f"({t.job_polls} core.get_jobs polls; {t.wait_requests} during 'wait')"
        )

    return [
        Row(
            "3 connection hygiene",
            "10-step runbook (status, list, validate, deploy, wait, logs tail, stop, start, "
            "delete, list), job latency 0.3 s",
            describe(sdk),
            f"new connection+login per step, polling every {POLL_INTERVAL} s: {describe(base)}",
            f"target 1 conn / 1 login / 0 polls: "
            f"{'met' if (sdk.connections, sdk.logins, sdk.job_polls) == (1, 1, 0) else 'MISSED'}"
            f"; wall {sdk_s:.2f} s vs {base_s:.2f} s",
        )
    ]


if __name__ == "__main__":
    for row in run():
        print(row.markdown())
