"""validate(): the whole pipeline from source to report, never raising for a bad file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scale_pilot_nb.compose.report import Severity
from scale_pilot_nb.compose.rules_base import Mode
from scale_pilot_nb.compose.validate import validate

GOOD = """\
services:
  web:
    image: nginx:1.27
    ports: ["30080:80"]
    volumes: ["/mnt/tank/www:/usr/share/nginx/html:ro"]
    healthcheck:
      test: ["CMD", "true"]
"""


def test_clean_file_is_valid_from_text_dict_and_path(tmp_path: Path) -> None:
    path = tmp_path / "web.yml"
    path.write_text(GOOD)
    for source in (GOOD, path, str(path)):
        report = validate(source, name="web")
        assert report.valid and report.findings == [], report
    assert Path(str(validate(path).source)).name == "web.yml"
    report = validate({"services": {"web": {"image": "nginx:1.27"}}})
    assert report.valid and report.rules() == {"truenas.no-healthcheck"}


def test_findings_carry_line_and_column() -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n    privileged: true\n"
    finding = next(f for f in validate(text).findings if f.rule == "security.privileged")
    assert (finding.line, finding.column) == (4, 5)


def test_syntax_error_becomes_a_finding_with_position() -> None:
    report = validate("services:\n  web:\n    image: [unclosed\n")
    assert not report.valid
    (finding,) = report.errors
    assert finding.rule == "load.error" and finding.line is not None
    assert not finding.message.startswith("<string>")


def test_bad_name_is_reported_even_when_the_file_cannot_be_read() -> None:
    report = validate("services: [", name="Bad_Name")
    assert report.rules(Severity.ERROR) == {"load.error", "truenas.app-name"}


def test_variables_are_applied_and_unset_ones_reported() -> None:
    text = "services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      X: ${MISSING}\n"
    report = validate(text, variables={"TAG": "1.27"})
    assert report.rules(Severity.WARNING) == {"truenas.unset-variable"}
    assert "truenas.latest-tag" not in report.rules()


def test_required_variable_is_an_error_and_its_value_never_shown() -> None:
    text = "services:\n  db:\n    image: postgres:16\n    environment:\n      PW: ${PW:?set PW}\n"
    assert validate(text).rules(Severity.ERROR) == {"interpolate.required-missing"}
    report = validate(text, variables={"PW": "s3cr3t-value"})
    assert report.valid and "s3cr3t-value" not in str(report.to_dict())


def test_use_environ_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SP_TEST_TAG", "1.27")
    text = "services:\n  web:\n    image: nginx:${SP_TEST_TAG}\n"
    assert "truenas.unset-variable" in validate(text).rules()
    assert "truenas.unset-variable" not in validate(text, use_environ=True).rules()


def test_options_reach_the_rules() -> None:
    text = "services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n"
    assert validate(text, used_ports=[8080]).rules(Severity.ERROR) == {"truenas.port-in-use"}
    assert validate(text, name="Bad_Name").rules(Severity.ERROR) == {"truenas.app-name"}
    two = text + "  db:\n    image: postgres:16\n"
    assert validate(two, mode="ix-app").rules(Severity.ERROR) == {"mode.ix-app-multi-service"}
    assert validate(two, mode="ix-app", split=True, name="shop").valid


def test_unknown_mode_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="mode"):
        validate(GOOD, mode="helm")  # type: ignore[arg-type]


def test_relative_env_file_read_locally_is_not_an_error(tmp_path: Path) -> None:
    (tmp_path / "app.env").write_text("A=1\n")
    (tmp_path / "c.yml").write_text(
        "services:\n  app:\n    image: x:1\n    env_file: [app.env, other.env]\n"
    )
    report = validate(tmp_path / "c.yml")
    paths = [f.path for f in report.findings if f.rule == "truenas.relative-path"]
    assert paths == ["services.app.env_file[1]"]


def test_unreadable_environment_value_is_reported_without_quoting_it() -> None:
    text = "services:\n  db:\n    image: x:1\n    environment:\n      PW: p4ss${word\n"
    report = validate(text)
    (finding,) = report.errors
    assert finding.rule == "interpolate.invalid" and finding.path == "services.db.environment.PW"
    assert "p4ss" not in str(report.to_dict())


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.sampled_from(["", "x", "8080:80", "/mnt/tank/a", "./rel", "${X}", "$$", "host", "a:b:c"]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
SERVICE_KEYS = st.sampled_from(
    [
        "image",
        "build",
        "ports",
        "volumes",
        "environment",
        "env_file",
        "depends_on",
        "networks",
        "network_mode",
        "healthcheck",
        "deploy",
        "cap_add",
        "privileged",
        "user",
        "secrets",
        "labels",
        "command",
    ]
)
SERVICES = st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.dictionaries(SERVICE_KEYS, VALUES, max_size=6),
    max_size=3,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    services=SERVICES,
    top=st.dictionaries(st.sampled_from(["networks", "volumes", "secrets", "x-portals"]), VALUES),
    mode=st.sampled_from(["compose", "ix-app"]),
    split=st.booleans(),
)
def test_validate_never_raises_on_arbitrary_documents(
    services: dict[str, Any], top: dict[str, Any], mode: Mode, split: bool
) -> None:
    report = validate({"services": services, **top}, name="fuzz", mode=mode, split=split)
    assert report.valid == (not report.errors)
    for finding in report.findings:
        assert finding.rule and finding.message


def test_port_findings_point_at_the_entry_as_written_after_a_range() -> None:
    text = (
        "services:\n  web:\n    image: nginx:1.27\n    ports:\n"
        "      - '9000-9003'\n      - '80:80'\n      - '7000-7001:70-71'\n      - '7001:72'\n"
    )
    findings = {(f.rule, f.path, f.line) for f in validate(text).findings}
    assert ("truenas.reserved-port", "services.web.ports[1]", 6) in findings
    assert ("structure.port-collision", "services.web.ports[3]", 8) in findings
    collision = next(f for f in validate(text).findings if f.rule == "structure.port-collision")
    assert "also at services.web.ports[2]" in collision.message
    random_ports = [f for f in validate(text).findings if f.rule == "truenas.random-host-port"]
    assert [(f.path, f.line) for f in random_ports] == [("services.web.ports[0]", 5)]


def test_a_report_of_text_names_the_app_not_the_loaders_placeholder() -> None:
    report = validate("services:\n  web:\n    image: nginx:1.27\n", name="my-site")
    assert report.source is None
    assert str(report).splitlines()[0] == "Compose validation for app 'my-site' (compose mode)"
    broken = validate("services: [\n", name="my-site")
    assert broken.source is None and "<string>" not in str(broken).splitlines()[0]
