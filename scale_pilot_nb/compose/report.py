"""Validation findings and the report that collects them.

A :class:`Finding` is one problem (or remark) about a compose file, with a stable rule id that
tests, notebooks and agents can match on. :class:`ValidationReport` is what ``validate`` returns
and what ``AIHelper`` turns into a dict. Findings never carry secret values: rules name the key
(``POSTGRES_PASSWORD``), never what it is set to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from scale_pilot_nb.compose.display import html_of

__all__ = ["Finding", "Severity", "ValidationReport"]


class Severity(StrEnum):
    """How much a finding matters: errors block a deploy, warnings and infos do not."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One problem or remark about a compose file.

    Attributes:
        severity: error, warning or info.
        rule: stable id such as ``"truenas.bind-outside-pool"``; match on this, not on the text.
        path: where in the document, e.g. ``"services.web.ports[0]"`` (``""`` for the whole file).
        message: one sentence saying what is wrong; never contains a secret value.
        hint: one sentence saying what to do about it.
        line: 1-based line in the source file, when known.
        column: 1-based column in the source file, when known.
    """

    severity: Severity
    rule: str
    path: str
    message: str
    hint: str = ""
    line: int | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-safe)."""
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
            "hint": self.hint,
            "line": self.line,
            "column": self.column,
        }

    def __str__(self) -> str:
        where = f"{self.line}:{self.column} " if self.line is not None else ""
        location = f" [{self.path}]" if self.path else ""
        text = f"{self.severity.value.upper():7} {where}{self.rule}{location}: {self.message}"
        return f"{text}\n        hint: {self.hint}" if self.hint else text


@dataclass
class ValidationReport:
    """Everything validation found about one compose file.

    Attributes:
        findings: all findings: errors, then warnings, then infos, each in document order.
        app_name: the app name that was checked, if one was given.
        mode: ``"compose"`` (custom app) or ``"ix-app"`` (catalog ix-app values).
        source: a short description of where the compose came from (file name or ``"<string>"``).
    """

    findings: list[Finding] = field(default_factory=list)
    app_name: str | None = None
    mode: str = "compose"
    source: str | None = None

    def __post_init__(self) -> None:
        self.findings = _ordered(self.findings)

    def extend(self, findings: Iterable[Finding]) -> None:
        """Add findings, keeping the order stable (errors first)."""
        self.findings = _ordered([*self.findings, *findings])

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings and infos do not block a deploy)."""
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        """Findings that block a deploy."""
        return self._of(Severity.ERROR)

    @property
    def warnings(self) -> list[Finding]:
        """Findings that deserve a look but do not block a deploy."""
        return self._of(Severity.WARNING)

    @property
    def infos(self) -> list[Finding]:
        """Remarks: how TrueNAS will treat something, nothing to fix."""
        return self._of(Severity.INFO)

    def rules(self, severity: Severity | str | None = None) -> set[str]:
        """The rule ids present, optionally only those of one severity."""
        wanted = Severity(severity) if severity is not None else None
        return {f.rule for f in self.findings if wanted is None or f.severity is wanted}

    def _of(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity is severity]

    def to_dict(self) -> dict[str, Any]:
        """The shape AIHelper returns: ``{"valid", "errors", "warnings", "infos", ...}``."""
        return {
            "valid": self.valid,
            "app_name": self.app_name,
            "mode": self.mode,
            "source": self.source,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "infos": [f.to_dict() for f in self.infos],
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """One line: verdict and counts."""
        verdict = "valid" if self.valid else "INVALID"
        return (
            f"{verdict}: {len(self.errors)} error(s), {len(self.warnings)} warning(s), "
            f"{len(self.infos)} info(s)"
        )

    def __str__(self) -> str:
        title = " ".join(
            part
            for part in (
                "Compose validation",
                f"of {self.source}" if self.source else "",
                f"for app {self.app_name!r}" if self.app_name else "",
                f"({self.mode} mode)",
            )
            if part
        )
        lines = [title, self.summary(), *(str(f) for f in self.findings)]
        return "\n".join(lines)

    def _repr_html_(self) -> str | None:
        """Jupyter's rich view, from the renderer the notebook layer registered (if any)."""
        return html_of(self)

    def __repr__(self) -> str:
        rules = ", ".join(sorted(self.rules(Severity.ERROR))) or "-"
        return (
            f"<ValidationReport {'valid' if self.valid else 'invalid'} app={self.app_name!r} "
            f"mode={self.mode} errors={len(self.errors)} warnings={len(self.warnings)} "
            f"infos={len(self.infos)} error_rules=[{rules}]>"
        )


def _ordered(findings: list[Finding]) -> list[Finding]:
    """Errors, warnings, infos; each in document order (unlocated last); no duplicates."""
    unique = list(dict.fromkeys(findings))
    return sorted(
        unique,
        key=lambda f: (_SEVERITY_ORDER[f.severity], f.line is None, f.line or 0, f.column or 0),
    )
