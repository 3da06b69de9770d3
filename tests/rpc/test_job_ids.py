"""``call_job(on_job=...)`` hears the id of the job it started, once, in every version."""

from __future__ import annotations

from scale_pilot_nb.sandbox import Sandbox

from .conftest import client_for


async def test_on_job_hears_the_id_of_the_job_it_started(sandbox: Sandbox) -> None:
    heard: list[int] = []
    async with client_for(sandbox) as client:
        app = (await client.call("app.query"))[0]["name"]
        await client.call_job("app.stop", app, on_job=heard.append)
        assert len(heard) == 1
        (job,) = await client.call("core.get_jobs", [["id", "=", heard[0]]])
    assert job["method"] == "app.stop" and job["arguments"] == [app]
    assert job["state"] == "SUCCESS"
