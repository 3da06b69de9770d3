"""scale-pilot-nb: manage TrueNAS SCALE Docker Compose apps from JupyterLab.

Heavy parts (pandas, ipywidgets, the sandbox server) are imported on first use, so
``import scale_pilot_nb`` stays fast for the CLI.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

# A KeyboardInterrupt, deliberately not a TrueNASError (see errors.py): Ctrl-C must still stop
# a script, and ``except Exception`` / ``except TrueNASError`` must not swallow it.
from scale_pilot_nb.errors import (
    ApiError,
    AppExistsError,
    AppNotFoundError,
    ArgumentError,
    AuthenticationError,
    CallTimeoutError,
    ComposeError,
    ComposeInvalidError,
    ComposeLoadError,
    ConfigError,
    ConfirmationRequired,
    ConnectionError,
    ContainerNotRunningError,
    ExecError,
    FieldError,
    InsecureTransportError,
    JobFailedError,
    NotCatalogAppError,
    OperationInterrupted,
    RateLimitedError,
    RequestOutcomeUnknown,
    ServiceChoiceError,
    ShellRefusedError,
    TrueNASError,
    UnsupportedError,
    ValidationError,
)

__version__ = "0.1.0"

# Public name -> module that defines it; resolved lazily by __getattr__.
_LAZY = {
    "AIHelper": "scale_pilot_nb.ai",
    "AppCrashedError": "scale_pilot_nb.manager.health",
    "AppNotReadyError": "scale_pilot_nb.manager.health",
    "ExecResult": "scale_pilot_nb.manager.exec_script",
    "OtherNasRevisionError": "scale_pilot_nb.manager.history",
    "RevisionNotFoundError": "scale_pilot_nb.manager.history",
    "RunnerError": "scale_pilot_nb.pilot.runner",
    "SecretsRequiredError": "scale_pilot_nb.manager.history",
    "Pilot": "scale_pilot_nb.pilot.pilot",
    "Sandbox": "scale_pilot_nb.sandbox",
    "TrueNASDockerManager": "scale_pilot_nb.manager.manager",
    "connect": "scale_pilot_nb.pilot.pilot",
    "connect_target": "scale_pilot_nb.pilot.targets",
    "default_target": "scale_pilot_nb.pilot.targets",
    "fleet": "scale_pilot_nb.pilot.fleets",
    "style": "scale_pilot_nb.notebook",
}

if TYPE_CHECKING:
    from scale_pilot_nb.ai import AIHelper
    from scale_pilot_nb.manager.exec_script import ExecResult
    from scale_pilot_nb.manager.health import AppCrashedError, AppNotReadyError
    from scale_pilot_nb.manager.history import (
        OtherNasRevisionError,
        RevisionNotFoundError,
        SecretsRequiredError,
    )
    from scale_pilot_nb.manager.manager import TrueNASDockerManager
    from scale_pilot_nb.notebook import style
    from scale_pilot_nb.pilot.fleets import fleet
    from scale_pilot_nb.pilot.pilot import Pilot, connect
    from scale_pilot_nb.pilot.runner import RunnerError
    from scale_pilot_nb.pilot.targets import connect_target, default_target
    from scale_pilot_nb.sandbox import Sandbox

__all__ = [
    "AIHelper",
    "ApiError",
    "AppCrashedError",
    "AppExistsError",
    "AppNotFoundError",
    "AppNotReadyError",
    "ArgumentError",
    "AuthenticationError",
    "CallTimeoutError",
    "ComposeError",
    "ComposeInvalidError",
    "ComposeLoadError",
    "ConfigError",
    "ConfirmationRequired",
    "ConnectionError",
    "ContainerNotRunningError",
    "ExecError",
    "ExecResult",
    "FieldError",
    "InsecureTransportError",
    "JobFailedError",
    "NotCatalogAppError",
    "OperationInterrupted",
    "OtherNasRevisionError",
    "Pilot",
    "RateLimitedError",
    "RequestOutcomeUnknown",
    "RevisionNotFoundError",
    "RunnerError",
    "Sandbox",
    "SecretsRequiredError",
    "ServiceChoiceError",
    "ShellRefusedError",
    "TrueNASDockerManager",
    "TrueNASError",
    "UnsupportedError",
    "ValidationError",
    "__version__",
    "connect",
    "connect_target",
    "default_target",
    "fleet",
    "style",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'scale_pilot_nb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if "IPython" in sys.modules:
    # Inside a kernel, register the HTML reprs now: compose results (ValidationReport,
    # DeployPlan) cannot import the notebook layer and find their renderer through
    # compose.display, which this import fills. Scripts and the CLI skip it.
    import scale_pilot_nb.notebook.html  # noqa: F401
