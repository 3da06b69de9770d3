"""The deploy form's pointer to an error: numbered lines of the editor around it, marked.

A ``Textarea`` cannot be scrolled or have a line marked without JavaScript in the page, and
scripts inside widget HTML do not run in JupyterLab. So the form shows, right under the
editor, the lines around the first error with their numbers, the error's line marked and its
message under it: plain HTML that every front end renders the same way.
"""

from __future__ import annotations

import html

from scale_pilot_nb.compose.report import Finding, ValidationReport

__all__ = ["CONTEXT_LINES", "excerpt_html", "first_located_error"]

#: Lines shown before and after the error's line.
CONTEXT_LINES = 3


def first_located_error(report: ValidationReport) -> Finding | None:
    """The first error that names a line (errors come in document order), or ``None``."""
    return next((f for f in report.errors if f.line is not None), None)


def excerpt_html(text: str, finding: Finding, *, context: int = CONTEXT_LINES) -> str:
    """Lines ``line - context`` … ``line + context`` of ``text``, the finding's line marked.

    Args:
        text: the editor's content the finding was made on.
        finding: an error with a 1-based ``line`` (past the end: an empty line is marked).
        context: lines shown on either side.
    """
    line = finding.line or 1
    lines = text.splitlines()
    lines += [""] * (line - len(lines))  # an error at the end of the text: an empty last line
    first = max(1, line - context)
    last = min(len(lines), line + context)
    rows = []
    for number in range(first, last + 1):
        hit = number == line
        css = "sp-excerpt-line sp-excerpt-hit" if hit else "sp-excerpt-line"
        rows.append(
            f'<div class="{css}"><span class="sp-excerpt-no">{number}</span>'
            f"<span>{html.escape(lines[number - 1])}</span></div>"
        )
        if hit:
            rows.append(
                f'<div class="sp-excerpt-note">line {number}: {html.escape(finding.message)}'
                f" ({html.escape(finding.rule)})</div>"
            )
    return f'<div class="sp-excerpt">{"".join(rows)}</div>'
