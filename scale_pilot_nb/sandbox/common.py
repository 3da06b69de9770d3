"""Helpers every method module shares: app lookup, Docker checks, job progress."""

from __future__ import annotations

import errno

from scale_pilot_nb.sandbox.contract import CallContext, SandboxCallError, SandboxValidationErrors
from scale_pilot_nb.sandbox.state import App, SandboxModel


class InstanceNotFound(SandboxValidationErrors):
    """The middleware's ``InstanceNotFound``: a ValidationError with attribute ``None``.

    ``errno`` is ENOENT (a single ValidationError keeps its own errno on the wire).
    """

    lone = True

    def __init__(self, message: str) -> None:
        super().__init__([("None", message, errno.ENOENT)])
        self.errors = [(None, message, errno.ENOENT)]  # type: ignore[list-item]
        self.extra = [[None, message, errno.ENOENT]]
        self.errno = errno.ENOENT


def no_pool() -> SandboxCallError:
    """``docker.state.validate`` failure when no apps pool is configured."""
    return SandboxCallError(errno.EFAULT, "No pool configured for Docker")


def require_docker(model: SandboxModel) -> None:
    """Raise like ``docker.state.validate()`` when apps are unavailable."""
    if model.apps_pool is None:
        raise no_pool()


def get_app(model: SandboxModel, name: str) -> App:
    """The installed app ``name``.

    Raises:
        InstanceNotFound: ``App <name> does not exist`` (also when Docker is unconfigured).
    """
    app = model.apps.get(name) if model.apps_pool is not None else None
    if app is None:
        raise InstanceNotFound(f"App {name} does not exist")
    return app


class Steps:
    """Job progress reporter that also spends ``Timing.job_delay`` across the steps.

    Each step sleeps the share of ``job_delay`` its progress advance represents, so a job
    that runs from 0 to 100 % takes ``job_delay`` seconds in total.
    """

    def __init__(self, model: SandboxModel, ctx: CallContext) -> None:
        self._model = model
        self._ctx = ctx
        self._percent = 0.0

    async def __call__(self, percent: float, description: str) -> None:
        """Report ``percent`` and ``description`` after the step's share of the delay."""
        advance = max(percent - self._percent, 0.0)
        self._percent = max(percent, self._percent)
        await self._model.pause(self._model.timing.job_delay * advance / 100)
        if self._ctx.job is not None:
            self._ctx.job.set_progress(percent, description)
