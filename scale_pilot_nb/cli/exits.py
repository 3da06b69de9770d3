"""Exit statuses of ``scale-compose`` and which error family maps to which.

Scripts branch on these numbers, so they are part of the CLI's contract: one enum, one
mapping, listed in ``scale-compose --help``.
"""

from __future__ import annotations

from enum import IntEnum, unique

from scale_pilot_nb.errors import (
    AuthenticationError,
    ComposeError,
    ConfigError,
    ConnectionError,
    InsecureTransportError,
    TrueNASError,
    ValidationError,
)

__all__ = ["ExitStatus", "UsageError", "describe_statuses", "exit_status_for"]


@unique
class ExitStatus(IntEnum):
    """What a ``scale-compose`` exit code means."""

    OK = 0
    #: The operation ran and failed: a job failed, an app crashed, a bulk run partly failed.
    ERROR = 1
    #: Bad command line, a refused confirmation, or a compose file with validation errors.
    USAGE = 2
    #: The NAS could not be reached or refused the credentials, or no settings were found.
    CONNECTION = 3
    #: Ctrl-C.
    INTERRUPTED = 130


class UsageError(TrueNASError):
    """The command line asks for something the CLI cannot do (exit status 2)."""


def exit_status_for(error: TrueNASError) -> ExitStatus:
    """The exit status for a library error (most specific family first)."""
    if isinstance(error, ConnectionError | AuthenticationError | InsecureTransportError):
        return ExitStatus.CONNECTION
    if isinstance(error, ConfigError):
        return ExitStatus.CONNECTION
    if isinstance(error, UsageError | ComposeError | ValidationError):
        return ExitStatus.USAGE
    return ExitStatus.ERROR


def describe_statuses() -> str:
    """The exit statuses as help text."""
    return "exit status: " + ", ".join(f"{s.value} {s.name.lower()}" for s in ExitStatus)
