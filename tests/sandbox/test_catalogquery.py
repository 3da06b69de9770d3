"""``catalog.get_app_details``: the ix-app questions the SDK checks its values against."""

from __future__ import annotations

import pytest
from modelkit import nas

from scale_pilot_nb.compose.convert import convert
from scale_pilot_nb.compose.ixapp import IX_APP_DEFAULTS
from scale_pilot_nb.compose.questions import check_values
from scale_pilot_nb.sandbox.contract import SandboxCallError


@pytest.mark.parametrize("version", ["24.10", "25.04", "25.10"])
async def test_ix_app_questions_accept_the_sdk_values_on_each_catalog_version(
    version: str,
) -> None:
    details = await nas(version).call("catalog.get_app_details", "ix-app", {"train": "stable"})
    assert details["name"] == "ix-app" and details["train"] == "stable"
    assert details["latest_version"] in details["versions"]
    compose = (
        'services:\n  web:\n    image: nginx\n    restart: on-failure:3\n    user: "1000:1000"\n'
    )
    compose += '    ports: ["8080:80"]\n    environment: {A: b}\n    volumes: ["/mnt/x:/x"]\n'
    values = convert(compose, "web", mode="ix-app").payload["values"]
    for number, entry in details["versions"].items():
        assert entry["version"] == number
        questions = entry["schema"]["questions"]
        by_name = {q["variable"]: q["schema"] for q in questions}
        assert by_name["max_retry_count"]["show_if"] == [["restart_policy", "=", "on-failure"]]
        port = by_name["ports"]["items"][0]["schema"]
        number_q = next(a for a in port["attrs"] if a["variable"] == "port_number")
        assert (number_q["schema"]["min"], number_q["schema"]["max"]) == (1, 65535)
        assert check_values(IX_APP_DEFAULTS | {"image": {"repository": "nginx"}}, questions) == []
        assert check_values(values, questions) == []


async def test_unknown_app_is_enoent() -> None:
    error = await nas().fails("catalog.get_app_details", "nope", {"train": "stable"})
    assert isinstance(error, SandboxCallError)
