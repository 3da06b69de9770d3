"""Finding and ValidationReport: ordering, dict form, text forms."""

from __future__ import annotations

from scale_pilot_nb.compose.report import Finding, Severity, ValidationReport


def finding(severity: Severity, rule: str, path: str = "services.web") -> Finding:
    return Finding(severity, rule, path, f"{rule} happened.", "Do something.", 4, 7)


def test_errors_come_first_and_duplicates_are_dropped() -> None:
    info = finding(Severity.INFO, "truenas.no-healthcheck")
    warning = finding(Severity.WARNING, "truenas.latest-tag")
    error = finding(Severity.ERROR, "structure.no-image")
    report = ValidationReport([info, warning, error, warning], app_name="web", source="a.yml")
    assert report.findings == [error, warning, info]
    assert (report.errors, report.warnings, report.infos) == ([error], [warning], [info])
    assert not report.valid
    assert report.rules(Severity.WARNING) == {"truenas.latest-tag"}


def test_report_without_errors_is_valid() -> None:
    report = ValidationReport([finding(Severity.WARNING, "truenas.latest-tag")])
    assert report.valid
    report.extend([finding(Severity.ERROR, "structure.no-services", "services")])
    assert not report.valid and report.findings[0].rule == "structure.no-services"


def test_to_dict_is_the_aihelper_shape() -> None:
    report = ValidationReport([finding(Severity.ERROR, "structure.no-image")], app_name="web")
    data = report.to_dict()
    assert data["valid"] is False
    assert data["errors"] == [
        {
            "severity": "error",
            "rule": "structure.no-image",
            "path": "services.web",
            "message": "structure.no-image happened.",
            "hint": "Do something.",
            "line": 4,
            "column": 7,
        }
    ]
    assert data["warnings"] == [] and data["infos"] == []
    assert data["summary"] == "INVALID: 1 error(s), 0 warning(s), 0 info(s)"


def test_str_and_repr_are_readable() -> None:
    report = ValidationReport(
        [finding(Severity.ERROR, "structure.no-image")], app_name="web", source="a.yml"
    )
    text = str(report)
    assert text.splitlines()[0] == "Compose validation of a.yml for app 'web' (compose mode)"
    assert "ERROR   4:7 structure.no-image [services.web]: structure.no-image happened." in text
    assert "hint: Do something." in text
    assert repr(report) == (
        "<ValidationReport invalid app='web' mode=compose errors=1 warnings=0 infos=0 "
        "error_rules=[structure.no-image]>"
    )


def test_findings_follow_the_document_within_a_severity() -> None:
    late = Finding(Severity.WARNING, "b", "services.b", "b.", "", 9, 1)
    early = Finding(Severity.WARNING, "a", "services.a", "a.", "", 2, 5)
    nowhere = Finding(Severity.WARNING, "c", "", "c.")
    report = ValidationReport([nowhere, late, early])
    assert [f.rule for f in report.findings] == ["a", "b", "c"]
