"""ipywidgets for the notebook: deploy form, live dashboard, log viewer, stats chart, progress.

Each widget object displays as its live ipywidget view plus a stable ``text/html`` and
``text/plain`` summary (see ``_base``), and does its work on the Pilot's loop thread without
printing. Build them through the Pilot: ``pilot.deploy_form()``, ``pilot.dashboard()``,
``pilot.log_viewer(app)``, ``pilot.stats_view()``.
"""

from __future__ import annotations

from scale_pilot_nb.notebook.widgets.dashboard import Dashboard
from scale_pilot_nb.notebook.widgets.deploy_form import DeployForm
from scale_pilot_nb.notebook.widgets.log_viewer import LogViewer
from scale_pilot_nb.notebook.widgets.progress import (
    ProgressBar,
    TextProgress,
    in_notebook,
    job_progress,
)
from scale_pilot_nb.notebook.widgets.stats_view import StatsView

__all__ = [
    "Dashboard",
    "DeployForm",
    "LogViewer",
    "ProgressBar",
    "StatsView",
    "TextProgress",
    "in_notebook",
    "job_progress",
]
