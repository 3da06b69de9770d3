"""``scale-compose``: the command-line face of scale-pilot-nb.

A thin layer over :class:`~scale_pilot_nb.pilot.Pilot`: parse the command line, call one
library method, print the result as a table or one versioned JSON document, and map every
error to one :class:`ExitStatus` in one place (:mod:`scale_pilot_nb.cli.app`).

Start-up must stay fast: importing this package imports only the standard library; each
command imports what it needs when it runs (pandas and ipywidgets are never needed).
"""

from __future__ import annotations

from scale_pilot_nb.cli.app import main
from scale_pilot_nb.cli.exits import ExitStatus

__all__ = ["ExitStatus", "main"]
